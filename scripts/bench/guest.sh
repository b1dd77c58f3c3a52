#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of `make bench`: run inside a vm-run guest (root, speaker
# loaded, SPEAKER_KO naming its file), print "KEY=VALUE" summary lines and
# "raw ..." lines on standard output; scripts/bench/report turns them into
# BENCHMARKS.md. Environment (set by scripts/bench/run):
#   BENCH_BIN       speaker-bench binary
#   BENCH_FILTERS   programs compiled by speaker-compile for the benchmarks
#   BENCH_FLOOR_KO  reference module with an empty sys_enter probe
#   BENCH_PARTS     parts to run (default: micro switch redis scale)
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
ROOT=$(dirname "$(dirname "$HERE")")
COMPILE=$ROOT/tools/seccomp-compile/speaker-compile
CFG=/sys/kernel/config/speaker
BENCH=${BENCH_BIN:?}
FILTERS=${BENCH_FILTERS:?}
PARTS=${BENCH_PARTS:-micro switch redis scale}

# redis-benchmark: requests per test and run, rounds of the three servers.
# 11 rounds: with 5, single runs spread by up to 2 %, more than the 1 %
# the goal allows, and the median moved with them.
REDIS_REQUESTS=${BENCH_REDIS_REQUESTS:-10000}
REDIS_ROUNDS=${BENCH_REDIS_ROUNDS:-11}
REDIS_TESTS=set,get
# Server and client share the last CPU: with nothing else to run there,
# guest time (icount) counts mostly their instructions.
PIN=(taskset -c "$(($(nproc) - 1))")
REDIS_ARGS=(--save '' --appendonly no --bind 127.0.0.1 --dir /tmp
	--protected-mode no --daemonize no)

die() {
	echo "guest.sh: $*" >&2
	exit 1
}

wait_port() {
	local i
	for ((i = 0; i < 300; i++)); do
		redis-cli -p "$1" ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "redis on port $1 did not come up"
}

# Wait for item $1 to reach phase $2 (the detector ends booting by itself).
wait_phase() {
	local i
	for ((i = 0; i < 600; i++)); do
		[[ $(cat "$1/phase") == "$2" ]] && return 0
		sleep 0.1
	done
	die "$1 never reached phase $2 (is $(cat "$1/phase"))"
}

# Requests per second of each test: "TEST RPS" lines.
redis_load() {
	"${PIN[@]}" redis-benchmark -p "$1" -n "$2" -t "$REDIS_TESTS" --csv 2>/dev/null |
		tr -d '"' | awk -F, 'NR > 1 && $2 > 0 { print tolower($1), $2 }'
}

# CPU time (ns) that the threads of process $1 have run.
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat | awk '{ n += $1 } END { printf "%d", n }'
}

# The container's init (the redis-server) under unshare process $1.
init_of() {
	local i child
	for ((i = 0; i < 100; i++)); do
		child=$(pgrep -P "$1" | head -n 1) && [[ -n $child ]] &&
			echo "$child" && return 0
		sleep 0.1
	done
	die "no container init under PID $1"
}

# Start redis on port $2 in a container; $1 names it. With an item ($3)
# the container is armed for that item, with a program ($4) it runs under
# that native seccomp filter.
redis_start() {
	local name=$1 port=$2 item=${3:-} prog=${4:-}
	local -a cmd=(/usr/bin/redis-server --port "$port" "${REDIS_ARGS[@]}")

	[[ -z $prog ]] || cmd=("$BENCH" seccomp-exec "$prog" "${cmd[@]}")
	(
		[[ -z $item ]] || echo "$BASHPID" >"$item/target"
		exec "${PIN[@]}" unshare --pid --fork --mount-proc --kill-child "${cmd[@]}"
	) >"/tmp/redis-$port.log" 2>&1 &
	UNSHARE[$name]=$!
	SERVER[$name]=$(init_of $!)
	PORT[$name]=$port
	if [[ -n $item ]]; then
		# No client before booting ends: a profile learnt without one
		# lacks accept4 there, and redis would spin on its EPERM.
		wait_phase "$item" running
	fi
	wait_port "$port"
}

redis_stop() {
	# unshare blocks SIGTERM; its --kill-child takes the server along.
	kill -KILL "${UNSHARE[$1]}" 2>/dev/null || true
	wait "${UNSHARE[$1]}" 2>/dev/null || true
}

# Learn a redis profile with the module's trace mode, into directory $1.
redis_trace() {
	local item=$CFG/bench-redis-trace

	mkdir "$item"
	echo trace >"$item/mode"
	echo redis-server >"$item/service"
	echo 1000 >"$item/settle_ms"
	redis_start trace 7000 "$item"
	redis_load 7000 2000 >/dev/null
	# A stop signal from outside to the init: shutdown, then exit.
	kill -TERM "${SERVER[trace]}"
	wait "${UNSHARE[trace]}" || true
	# The module's recorded text loses its last character to a NUL (the
	# formatter leaves vsnprintf no room for its terminator): mend it.
	mkdir -p /tmp/redis-recorded
	# shellcheck disable=SC1003 # sed's a command, not a quote
	tr -d '\0' <"$item/recorded" | sed '$a\' >/tmp/redis-recorded/recorded
	"$COMPILE" -q --save /tmp/redis-recorded "$1"
	rmdir "$item"
}

# Every call of the three phases, as one list for native seccomp.
union_profile() {
	local src=$1 dst=$2 ph
	mkdir -p "$dst"
	for ph in booting running shutdown; do
		sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$src"/{booting,running,shutdown} |
			sort -u >"$dst/$ph"
	done
}

calls_in() {
	sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$1" | sort -u | wc -l
}

# One redis-benchmark run against server $1 in round $2: throughput of
# each test, and the server's CPU time per request.
redis_round() {
	local cfg=$1 r=$2 c0 c1 test rps n=0

	c0=$(cpu_ns "${SERVER[$cfg]}")
	while read -r test rps; do
		echo "raw redis ${cfg}_$test $r $rps"
		n=$((n + REDIS_REQUESTS))
	done < <(redis_load "${PORT[$cfg]}" "$REDIS_REQUESTS")
	c1=$(cpu_ns "${SERVER[$cfg]}")
	echo "raw redis ${cfg}_cpu $r $(((c1 - c0) / n))"
}

redis_summary() {
	local cfg key med spread
	for cfg in plain speaker native; do
		for key in ${REDIS_TESTS//,/ } cpu; do
			read -r med spread < <(awk -v k="${cfg}_$key" \
				'$3 == k { print $5 }' /tmp/redis-raw | "$BENCH" stats)
			echo "redis_${cfg}_$key=$med"
			echo "redis_${cfg}_${key}_spread=$spread"
		done
	done
}

part_redis() {
	local prof=$ROOT/profiles/redis item=$CFG/bench-redis r i ph
	local -a order=(plain speaker native)
	declare -gA UNSHARE=() SERVER=() PORT=()

	if [[ -f $prof/running ]]; then
		echo "redis_profile=profiles/redis"
	else
		prof=/tmp/redis-profile
		redis_trace "$prof"
		echo "redis_profile=traced"
	fi
	for ph in booting running shutdown; do
		echo "redis_calls_$ph=$(calls_in "$prof/$ph")"
		echo "redis_list_$ph=$(sed 's/#.*//; s/[[:space:]]//g; /^$/d' "$prof/$ph" | tr '\n' ' ')"
	done
	echo "redis_requests=$REDIS_REQUESTS"
	echo "redis_rounds=$REDIS_ROUNDS"
	union_profile "$prof" /tmp/redis-union
	echo "redis_calls_union=$(calls_in /tmp/redis-union/running)"
	"$COMPILE" -q -d errno:EPERM -o /tmp/redis-union-bpf /tmp/redis-union

	redis_start plain 7001
	mkdir "$item"
	"$COMPILE" -q -d errno:EPERM "$prof" "$item"
	echo redis-server >"$item/service"
	echo 1000 >"$item/settle_ms"
	redis_start speaker 7002 "$item"
	redis_start native 7003 "" /tmp/redis-union-bpf/running

	for ((r = 0; r < REDIS_ROUNDS; r++)); do
		for ((i = 0; i < 3; i++)); do
			redis_round "${order[(r + i) % 3]}" $((r + 1))
		done
	done | tee /tmp/redis-raw
	redis_summary

	echo "redis_phase=$(cat "$item/phase")"
	echo "redis_violations=$(awk 'NF == 2 { n += $2 } END { print n + 0 }' "$item/violations")"
	sed -n 's/^\(pid .*\)$/redis_violation: \1/p' "$item/violations" | head -n 3
	for i in plain speaker native; do
		redis_stop "$i"
	done
	echo 0 >"$item/target"
	rmdir "$item"
}

main() {
	local part start

	[[ -z ${BENCH_DEBUG:-} ]] || set -x
	echo "kernel=$(uname -r)"
	echo "cpus=$(nproc)"
	echo "cmdline=$(cat /proc/cmdline)"
	echo "libseccomp=$(dpkg-query -W -f='${Version}' libseccomp2 2>/dev/null)"
	echo "redis=$(redis-server --version | sed 's/.* v=\([^ ]*\).*/\1/')"
	echo "jit=$(cat /proc/sys/net/core/bpf_jit_enable 2>/dev/null || echo '?')"
	for part in $PARTS; do
		echo "part=$part"
		start=$(date +%s)
		case $part in
		micro | switch | scale) "$BENCH" "$part" "$FILTERS" ;;
		redis) part_redis ;;
		*) die "unknown part $part" ;;
		esac
		echo "part_seconds_$part=$(($(date +%s) - start))"
	done
	echo "done=1"
}

main "$@"
