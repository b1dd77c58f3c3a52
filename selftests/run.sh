#!/usr/bin/env bash
# Run speaker's selftests and print one TAP stream (run inside a test VM,
# as root, with the module loaded and SPEAKER_KO naming its file):
#   selftests/run.sh [NAME...]    default: every program in TEST_GEN_PROGS
# Each program's results are numbered into this stream as
# "ok N program: fixture.test"; everything else it prints becomes a "# "
# diagnostic line. A program that crashes, times out (settings) or runs no
# test counts as one failure. Exit status 0 only if nothing failed.
set -uo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
export SPEAKER_ROOT=${SPEAKER_ROOT:-$(dirname "$HERE")}
OUTPUT=${SELFTESTS_OUTPUT:-$SPEAKER_ROOT/build/selftests}
KSFT_SKIP=4

NUM=0
PASS=0
FAIL=0
SKIP=0

# Per-program time limit from the settings file, in seconds.
time_limit() {
	local limit
	limit=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$HERE/settings" 2>/dev/null)
	echo "${limit:-300}"
}

# Print result $2 ("ok"/"not ok"/"skip") of program $1 with text $3.
report() {
	NUM=$((NUM + 1))
	case $2 in
	ok) PASS=$((PASS + 1)) && echo "ok $NUM $1: $3" ;;
	skip) SKIP=$((SKIP + 1)) && echo "ok $NUM $1: $3" ;;
	*) FAIL=$((FAIL + 1)) && echo "not ok $NUM $1: $3" ;;
	esac
}

# One TAP result line of program $1's own output, renumbered.
relay_result() {
	local re='^(not )?ok [0-9]+ (.*)$' negated text
	[[ $2 =~ $re ]] || return 1
	negated=${BASH_REMATCH[1]}
	text=${BASH_REMATCH[2]}
	if [[ -n $negated ]]; then
		report "$1" "not ok" "$text"
	elif [[ $text =~ \#\ *[Ss][Kk][Ii][Pp] ]]; then
		report "$1" skip "$text"
	else
		report "$1" ok "$text"
	fi
}

# Relay program $1's output from stdin as it arrives.
relay() {
	local line
	while IFS= read -r line; do
		relay_result "$1" "$line" || echo "# $line"
	done
}

# Account for how program $1 ended (status $2) beyond its own results.
judge_exit() {
	local name=$1 status=$2 results=$3 failed=$4 limit=$5
	if ((status == 124 || status == 137)); then
		report "$name" "not ok" "timed out after $limit s"
	elif ((results == 0 && status == KSFT_SKIP)); then
		report "$name" skip "# SKIP skipped as a whole"
	elif ((results == 0)); then
		report "$name" "not ok" "ran no test (exit status $status)"
	elif ((status != 0 && status != KSFT_SKIP && failed == 0)); then
		report "$name" "not ok" "exited with status $status"
	fi
}

run_program() {
	local name=$1 limit num0=$NUM fail0=$FAIL status

	limit=$(time_limit)
	echo "# selftests: speaker: $name"
	if [[ ! -x $OUTPUT/$name ]]; then
		report "$name" "not ok" "not built ($OUTPUT/$name missing)"
		return
	fi
	relay "$name" < <(cd "$OUTPUT" && exec timeout -k 10 "$limit" "./$name" 2>&1)
	wait $!
	status=$?
	judge_exit "$name" "$status" $((NUM - num0)) $((FAIL - fail0)) "$limit"
}

main() {
	local -a names=("$@")
	local name

	if ((${#names[@]} == 0)); then
		mapfile -t names <"$OUTPUT/tests.list" ||
			{ echo "run.sh: no $OUTPUT/tests.list; build with make -C selftests" >&2 && exit 2; }
	fi
	echo "TAP version 13"
	echo "# kernel $(uname -r), module ${SPEAKER_KO:-(none)}"
	for name in "${names[@]}"; do
		run_program "$name"
	done
	echo "1..$NUM"
	echo "# speaker selftests: pass:$PASS fail:$FAIL skip:$SKIP"
	((FAIL == 0))
}

main "$@"
