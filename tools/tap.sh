# SPDX-License-Identifier: GPL-2.0
#
# TAP output for the tools' host tests (POSIX sh). Source it, report with
# pass/fail/skip, end with tap_done, whose status is the run's.

T=0
PASSED=0
FAILED=0
SKIPPED=0

pass() {
	T=$((T + 1))
	PASSED=$((PASSED + 1))
	echo "ok $T - $1"
}

# fail NAME [LINE...]: the LINEs follow as diagnostics.
fail() {
	T=$((T + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $T - $1"
	shift
	for line in "$@"; do
		echo "# $line"
	done
}

skip() {
	T=$((T + 1))
	SKIPPED=$((SKIPPED + 1))
	echo "ok $T - $1 # SKIP $2"
}

# The plan and the closing line; succeeds only if nothing failed.
tap_done() {
	echo "1..$T"
	[ "$SKIPPED" -eq 0 ] || echo "# $SKIPPED skipped"
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
