#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# redis-server under speaker, enforcing the committed profiles/redis (what
# make demo APP=redis traced in Docker), end to end: booting -> running
# by the kernel's own detection, a short redis-benchmark with no
# violation, attacks in the running phase stopped and logged, the stop
# signal -> shutdown -> exited and a clean exit. Prints TAP; run by
# selftests/run.sh inside a test VM with the module loaded.
#
# The plain form (scripts/speaker-run without Docker: new PID and mount
# namespaces) always runs. The Docker form runs when
# SPEAKER_CONTAINER_TESTS=1 (make check-containers): dockerd alone takes
# half a minute to start under TCG.
set -uo pipefail

ROOT=${SPEAKER_ROOT:-$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)}
SA_ROOT=$ROOT
SA_WORK=$(mktemp -d /tmp/redis_enforce.XXXXXX)
# shellcheck source=scripts/speaker-apps.sh
. "$ROOT/scripts/speaker-apps.sh"
PROFILE=${SPEAKER_REDIS_PROFILE:-$ROOT/profiles/redis}
INTRUDE=${SELFTESTS_OUTPUT:-$ROOT/build/selftests}/intrude
KSFT_SKIP=4

NUM=0
FAILED=0

ok() {
	NUM=$((NUM + 1))
	echo "ok $NUM - $*"
}

not_ok() {
	NUM=$((NUM + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $NUM - $*"
}

skip() {
	NUM=$((NUM + 1))
	echo "ok $NUM - $1 # SKIP $2"
}

# check TEXT COMMAND...: one TAP line for whether COMMAND succeeds.
check() {
	local text=$1

	shift
	if "$@"; then
		ok "$text"
		return 0
	fi
	not_ok "$text"
	return 1
}

diag() {
	sed 's/^/# /'
}

cleanup() {
	local item

	[[ -n ${SA_PLAIN:-} ]] && kill "$SA_PLAIN" 2>/dev/null
	[[ -n ${SA_CID:-} ]] && docker rm -f "$SA_CID" >/dev/null 2>&1
	for item in "$SA_CONFIGFS/redis" "$SA_CONFIGFS/redis-plain"; do
		[[ -d $item ]] || continue
		echo 0 >"$item/target" 2>/dev/null
		rmdir "$item" 2>/dev/null
	done
	if ((${DOCKERD_STARTED:-0})); then
		kill "$(cat /var/run/docker.pid 2>/dev/null)" 2>/dev/null
	fi
	rm -rf "$SA_WORK"
}
trap cleanup EXIT

# The calls each intrude attack makes first, as the kernel log names them.
declare -A ATTACK_CALL=([exec]=execve [rawsock]=socket [ptrace]=ptrace [mount]=mount)

# attacks NAME: intrude's attacks on SA_PID; each killed and logged.
attacks() {
	local name=$1 before out a bad=0

	before=$(dmesg | wc -l)
	out=$("$INTRUDE" "$SA_PID" "${!ATTACK_CALL[@]}" 2>&1) || bad=1
	diag <<<"$out"
	for a in "${!ATTACK_CALL[@]}"; do
		dmesg | tail -n +"$((before + 1))" |
			grep "speaker: $name: running: denied ${ATTACK_CALL[$a]} (" >/dev/null ||
			{ echo "# no 'running: denied ${ATTACK_CALL[$a]}' in the kernel log" && bad=1; }
	done
	((bad == 0))
}

# no_violations [PHASES]: no violation in these phases (default: all;
# the running count includes the attacks once they ran).
no_violations() {
	local v want=${1:-"booting running shutdown"} i=0 p bad=0 c

	v=$(sa_violations)
	read -r -a c <<<"$v"
	for p in booting running shutdown; do
		[[ " $want " == *" $p "* ]] && ((c[i] != 0)) && bad=1
		i=$((i + 1))
	done
	((bad == 0)) && return 0
	echo "# violations (booting running shutdown): $v"
	diag <"$SA_ITEM/violations"
	return 1
}

plain_form() {
	local t='redis enforce'

	if ! sa_start_plain "$PROFILE"; then
		not_ok "$t: booting -> running"
		return
	fi
	if ! check "$t: booting -> running" sa_wait_phase running 120; then
		diag <"$SA_ITEM/violations"
		return
	fi
	if sa_wait_ready 60 && sa_workload short && no_violations; then
		ok "$t: workload completes with zero violations"
	else
		not_ok "$t: workload completes with zero violations"
		diag <"$SA_WORK/bench.out"
		diag <"$SA_ITEM/violations"
		dmesg | grep 'speaker: ' | tail -n 20 | diag
	fi
	check "$t: attacks in the running phase are stopped and logged" attacks redis-plain
	check "$t: redis still answers after the attacks" sa_ping
	sa_stop_plain
	if [[ $(sa_transition_path) == "booting -> running -> shutdown -> exited" ]] &&
		[[ $SA_PLAIN_STATUS == 0 ]] &&
		grep -- "$SA_CLEAN_LOG" "$SA_WORK/redis/plain.log" >/dev/null &&
		no_violations "booting shutdown"; then
		ok "$t: SIGTERM -> shutdown -> exited, redis exits cleanly"
	else
		not_ok "$t: SIGTERM -> shutdown -> exited, redis exits cleanly"
		echo "# phases: $(sa_transition_path 2>&1); exit status ${SA_PLAIN_STATUS:-?}"
		tail -n 5 "$SA_WORK/redis/plain.log" | diag
	fi
}

docker_form() {
	local t='redis enforce in Docker' before out s

	if [[ ${SPEAKER_CONTAINER_TESTS:-0} != 1 ]]; then
		for s in "booting -> running" "workload completes with zero violations" \
			"docker exec and attacks in the running phase are stopped and logged" \
			"docker stop -> shutdown -> exited, redis exits cleanly"; do
			skip "$t: $s" "dockerd is slow under TCG: SPEAKER_CONTAINER_TESTS=1 (make check-containers)"
		done
		return
	fi
	docker info >/dev/null 2>&1 || DOCKERD_STARTED=1
	if ! { sa_docker_up && sa_base_image; }; then
		not_ok "$t: dockerd and the base image are up"
		return
	fi
	if ! { sa_start enforce "$PROFILE" && sa_wait_phase running 180; }; then
		not_ok "$t: booting -> running"
		diag <"$SA_ITEM/violations"
		return
	fi
	ok "$t: booting -> running"
	if sa_wait_ready 60 && sa_workload short && no_violations; then
		ok "$t: workload completes with zero violations"
	else
		not_ok "$t: workload completes with zero violations"
	fi
	before=$(dmesg | wc -l)
	out=$(timeout 60 docker exec "$SA_CID" /bin/sh -c 'echo pwned' 2>&1)
	if [[ $out != *pwned* ]] && attacks redis &&
		dmesg | tail -n +"$((before + 1))" | grep "speaker: redis: running: denied" >/dev/null; then
		ok "$t: docker exec and attacks in the running phase are stopped and logged"
	else
		not_ok "$t: docker exec and attacks in the running phase are stopped and logged"
		echo "# docker exec said: $out"
	fi
	if sa_stop && [[ $(sa_transition_path) == "booting -> running -> shutdown -> exited" ]] &&
		sa_clean_exit && no_violations "booting shutdown"; then
		ok "$t: docker stop -> shutdown -> exited, redis exits cleanly"
	else
		not_ok "$t: docker stop -> shutdown -> exited, redis exits cleanly"
		echo "# phases: $(sa_transition_path)"
	fi
	sa_remove
}

main() {
	local why=''

	echo "TAP version 13"
	[[ -d $SA_CONFIGFS ]] || why="no $SA_CONFIGFS (module not loaded)"
	[[ -f $PROFILE/running ]] || why="no $PROFILE (make demo APP=redis ARGS=--save-profile)"
	command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null ||
		why="redis-server or redis-benchmark missing (scripts/deps.sh)"
	[[ -x $SA_COMPILE ]] || why="no $SA_COMPILE (make tools)"
	[[ -x $INTRUDE ]] || why="no $INTRUDE (make selftests)"
	if [[ -n $why ]]; then
		echo "1..0 # SKIP $why"
		exit "$KSFT_SKIP"
	fi
	sa_app redis
	plain_form
	sa_app redis
	docker_form
	echo "1..$NUM"
	echo "# $FAILED of $NUM failed"
	((FAILED == 0))
}

main "$@"
