# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# speaker-apps.sh: run real services in Docker under speaker, inside a
# vm-run guest (as root, module loaded). Source it from bash:
#
#   . scripts/speaker-apps.sh
#   sa_docker_up && sa_base_image
#   sa_app redis                       # settings of one app (SA_* below)
#   sa_start enforce profiles/redis    # speaker-run --docker; SA_CID, SA_PID
#   sa_wait_phase running 120 && sa_workload enforce
#   sa_stop && sa_clean_exit
#
# The container is a busybox image with the guest's /usr, /lib, /lib64 and
# /etc bind-mounted read-only (so the service is Debian's own package),
# --network host, tmpfs where the service writes, and the service's own
# stop signal. Docker's seccomp profile is off (seccomp=unconfined):
# speaker's per-phase filters stand in for it.
#
# Apps: redis (redis-server, SIGTERM), nginx (nginx-light, SIGQUIT),
# mariadb (mariadb-server as the MySQL stand-in, SIGTERM; its data
# directory is initialized by the container's entrypoint, as the official
# image does on a first start, so that is part of booting).

# Debian's docker CLI, which matches Debian's dockerd.
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

SA_ROOT=${SA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SA_WORK=${SA_WORK:-/tmp/speaker-apps}
SA_IMAGE=${SA_IMAGE:-speaker/base}
SA_CONFIGFS=${SPEAKER_CONFIGFS:-/sys/kernel/config/speaker}
SA_COMPILE=${SA_COMPILE:-$SA_ROOT/tools/seccomp-compile/speaker-compile}
SA_RUN=${SA_RUN:-$SA_ROOT/scripts/speaker-run}
SA_T0=${SA_T0:-$(date +%s%N)}
SA_SEQ=0

# Where the docker run options are kept between sa_app and sa_start.
SA_DOCKER_ARGS=()

sa_log() {
	local ns
	ns=$(($(date +%s%N) - SA_T0))
	printf '[%4d.%ds] %s\n' $((ns / 1000000000)) $((ns / 100000000 % 10)) "$*" >&2
}

sa_die() {
	sa_log "error: $*"
	return 1
}

# --- Docker -------------------------------------------------------------

# dockerd as the lead verified it in the guest: no iptables, no bridge,
# vfs storage (overlay on the guest's overlay root does not work).
sa_docker_up() {
	local i

	if ! grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts; then
		mkdir -p /sys/fs/cgroup
		mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup ||
			sa_die "cannot mount cgroup2 on /sys/fs/cgroup" || return
	fi
	docker info >/dev/null 2>&1 && return 0
	command -v dockerd >/dev/null || sa_die "no dockerd (docker.io not installed)" || return
	mkdir -p "$SA_WORK" /var/lib/docker
	dockerd --iptables=false --bridge=none --storage-driver=vfs \
		>"$SA_WORK/dockerd.log" 2>&1 &
	for ((i = 0; i < 600; i++)); do
		docker info >/dev/null 2>&1 && return 0
		kill -0 $! 2>/dev/null || break
		sleep 0.2
	done
	tail -n 20 "$SA_WORK/dockerd.log" >&2
	sa_die "dockerd did not come up"
}

# The base image: busybox and empty mount points, imported once per VM.
sa_base_image() {
	local dir=$SA_WORK/image a

	docker image inspect "$SA_IMAGE" >/dev/null 2>&1 && return 0
	rm -rf "$dir"
	mkdir -p "$dir/bin"
	cp /bin/busybox "$dir/bin/" || sa_die "no /bin/busybox (busybox-static)" || return
	for a in sh ls cat sleep id echo; do
		ln -s busybox "$dir/bin/$a"
	done
	for a in usr lib lib64 etc proc sys dev tmp run srv data var/lib var/log; do
		mkdir -p "$dir/$a"
	done
	chmod 1777 "$dir/tmp"
	tar -C "$dir" -c . | docker import - "$SA_IMAGE" >/dev/null ||
		sa_die "docker import of $SA_IMAGE failed"
}

# Docker's default seccomp profile as dockerd hands it to runc: start a
# throw-away container with the defaults and read its OCI config. Prints
# "ALLOWED CONDITIONAL DEFAULT_ACTION DOCKER_VERSION": x86_64 system calls
# the profile allows, how many of those only with certain arguments, the
# action for the rest. Must not run while a speaker item is armed on
# PID 1 (it would catch this container).
sa_docker_default_allowlist() {
	local id cfg nrs all cond version

	version=$(dpkg-query -W -f='${Version}' docker.io 2>/dev/null)
	id=$(docker run -d --network none "$SA_IMAGE" sleep 600) || return
	cfg=/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/$id/config.json
	if [[ ! -r $cfg ]]; then
		docker rm -f "$id" >/dev/null 2>&1
		sa_die "no OCI config at $cfg"
		return
	fi
	nrs=$SA_WORK/unistd_64
	sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$/\1 \2/p' \
		/usr/include/x86_64-linux-gnu/asm/unistd_64.h >"$nrs"
	all=$(jq -r '.linux.seccomp.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]' "$cfg" |
		sort -u | join - <(sort "$nrs") | awk '{print $2}' | sort -un | wc -l)
	cond=$(jq -r '.linux.seccomp.syscalls[] | select(.action == "SCMP_ACT_ALLOW" and ((.args // []) | length) > 0) | .names[]' "$cfg" |
		sort -u | join - <(sort "$nrs") | awk '{print $2}' | sort -un | wc -l)
	echo "$all $cond $(jq -r '.linux.seccomp.defaultAction' "$cfg") $version"
	docker rm -f "$id" >/dev/null 2>&1
}

# --- apps ---------------------------------------------------------------

SA_APPS="redis nginx mariadb"

# Set the app's settings:
#   SA_APP SA_SERVICE SA_STOPSIG SA_SETTLE_MS SA_READY_LOG SA_CLEAN_LOG
#   SA_PKGS (packages whose versions go into a profile's header)
#   SA_CMD (the container's command, for people) SA_DOCKER_ARGS
#   SA_HAND: calls added by hand to a traced profile, each "PHASES CALLS
#   REASON" (PHASES and CALLS comma-separated, PHASES "all" for the three),
#   named in the profile's header (sa_hand_edit)
# shellcheck disable=SC2034 # read by the scripts that source this file
sa_app() {
	local common=(--network host --security-opt seccomp=unconfined
		-v /usr:/usr:ro -v /lib:/lib:ro -v /lib64:/lib64:ro -v /etc:/etc:ro)

	SA_APP=$1
	SA_PLAIN_CMD=()
	# The vDSO's calls (clock_gettime, gettimeofday, ...) need no hand
	# edit: speaker-compile --save adds them, as a trace never sees them
	# where the vDSO serves them (6.12 under TCG) but they are system
	# calls where the clocksource has no vDSO mode (6.1 under TCG).
	SA_HAND=()
	mkdir -p "$SA_WORK/$SA_APP"
	case $SA_APP in
	redis)
		SA_SERVICE=redis-server
		SA_STOPSIG=SIGTERM
		SA_SETTLE_MS=${SA_SETTLE_MS_REDIS:-3000}
		SA_READY_LOG='Ready to accept connections'
		SA_CLEAN_LOG='Redis is now ready to exit, bye bye'
		SA_PKGS=(redis-server redis-tools)
		SA_PORT=6399
		# A save point that never fires in a demo, so that shutdown
		# writes the final snapshot as a production redis does.
		local rcmd=(/usr/bin/redis-server --port "$SA_PORT" --bind 127.0.0.1
			--protected-mode no --save "3600 1" --daemonize no
			--supervised no)
		SA_CMD=("${rcmd[@]}" --dir /data)
		SA_DOCKER_ARGS=("${common[@]}" --tmpfs /data --stop-signal SIGTERM)
		# Without Docker (sa_start_plain): the same server and options.
		SA_PLAIN_CMD=("${rcmd[@]}" --dir "$SA_WORK/redis/data")
		SA_HAND+=("shutdown madvise jemalloc's background thread (jemalloc_bg_thd) hands freed memory back with madvise on a timer, in every phase; traces rarely catch it in the short shutdown, and a make check run was killed for it there")
		SA_HAND+=("running,shutdown munmap jemalloc maps new memory (mmap, traced in every phase) and when the kernel returns an address off the alignment it needs, unmaps it and maps again larger, trimming with munmap; traces on 6.12 did not see it (newer kernels place large anonymous mappings on huge-page boundaries, which may be why), and a make check run on 6.1 was killed for it in running")
		;;
	nginx)
		SA_SERVICE=nginx
		SA_STOPSIG=SIGQUIT
		SA_SETTLE_MS=${SA_SETTLE_MS_NGINX:-3000}
		SA_READY_LOG='start worker process'
		SA_CLEAN_LOG='\[notice\] 1#1: exit$'
		SA_PKGS=(nginx-light nginx-common curl)
		SA_PORT=8080
		sa_nginx_files
		SA_CMD=(/usr/sbin/nginx -c /srv/speaker/nginx.conf)
		SA_DOCKER_ARGS=("${common[@]}" --tmpfs /var/log/nginx
			--tmpfs /var/lib/nginx --tmpfs /run
			-v "$SA_WORK/nginx:/srv/speaker:ro" --stop-signal SIGQUIT)
		;;
	mariadb)
		SA_SERVICE=mysqld
		SA_STOPSIG=SIGTERM
		# mysqld repeats the calls of mariadb-install-db's bootstrap run:
		# under a loaded TCG host InnoDB's start went 5 s without a call
		# new since attach, and booting ended before mysqld listened.
		SA_SETTLE_MS=${SA_SETTLE_MS_MARIADB:-10000}
		SA_READY_LOG='ready for connections'
		SA_CLEAN_LOG='Shutdown complete'
		SA_PKGS=(mariadb-server mariadb-client)
		SA_PORT=3306
		SA_SOCK=$SA_WORK/mariadb/run/mysqld.sock
		sa_mariadb_files
		SA_CMD=(/srv/speaker/entrypoint.sh)
		SA_HAND+=("booting,shutdown pselect6,clock_nanosleep mysqld's shutdown waits for its threads in sleep loops (close_connections' my_sleep() is a select(), which glibc makes pselect6; clock_nanosleep from another wait), but only when they are slow to exit; traces can miss them, and enforce passes were killed for each: in shutdown, and in booting, where mariadb-install-db's bootstrap mariadbd shuts down the same way")
		SA_HAND+=("shutdown mmap malloc asks for more memory while mysqld closes connections at shutdown when the stop comes under load; the traces saw munmap, mprotect and madvise there but not mmap, and an enforce pass stopped with clients connected was killed for it")
		SA_DOCKER_ARGS=("${common[@]}" --tmpfs /var/lib/mysql
			-v "$SA_WORK/mariadb/run:/run/mysqld"
			-v "$SA_WORK/mariadb/srv:/srv/speaker:ro" --stop-signal SIGTERM)
		;;
	*)
		sa_die "unknown app '$SA_APP' (known: $SA_APPS)"
		return
		;;
	esac
}

# nginx: a config of our own (the Debian one serves /var/www, not in the
# image), a page, a 1 MiB file for sendfile, a directory for autoindex.
sa_nginx_files() {
	local dir=$SA_WORK/nginx

	mkdir -p "$dir/html/files"
	cat >"$dir/nginx.conf" <<-'EOF'
		user www-data;
		daemon off;
		worker_processes 2;
		error_log stderr notice;
		pid /run/nginx.pid;
		events { worker_connections 256; }
		http {
			include /etc/nginx/mime.types;
			access_log /var/log/nginx/access.log;
			sendfile on;
			keepalive_timeout 30;
			gzip on;
			gzip_types text/plain;
			server {
				listen 127.0.0.1:8080;
				root /srv/speaker/html;
				location /files/ { autoindex on; }
			}
		}
	EOF
	echo "<html><body>speaker demo</body></html>" >"$dir/html/index.html"
	head -c 1048576 /dev/zero | tr '\0' 'x' >"$dir/html/files/big.txt"
	echo "small" >"$dir/html/files/small.txt"
}

# mariadb: an entrypoint that does what the official image's does on a
# first start (the data directory is an empty tmpfs every time):
# initialize it, then exec the server. The server runs as mysqld (Debian's
# symlink to mariadbd), so the settle period starts at the real server and
# not at mariadb-install-db's bootstrap run of mariadbd.
sa_mariadb_files() {
	local dir=$SA_WORK/mariadb

	mkdir -p "$dir/run" "$dir/srv"
	chown mysql:mysql "$dir/run"
	cat >"$dir/srv/entrypoint.sh" <<-'EOF'
		#!/bin/sh
		set -e
		chown mysql:mysql /var/lib/mysql
		echo "entrypoint: initializing /var/lib/mysql"
		mariadb-install-db --user=mysql --datadir=/var/lib/mysql \
			--skip-test-db --skip-name-resolve >/tmp/install-db.log 2>&1 ||
			{ cat /tmp/install-db.log; exit 1; }
		echo "entrypoint: starting mysqld"
		exec /usr/sbin/mysqld --user=mysql
	EOF
	chmod 755 "$dir/srv/entrypoint.sh"
}

# Package versions for a profile's header: "name version, ...".
sa_versions() {
	local p out=()

	for p in "$@"; do
		out+=("$p $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo '?')")
	done
	local IFS=,
	out=("${out[*]}")
	echo "${out[0]//,/, }"
}

# --- one container under speaker -----------------------------------------

# sa_start MODE [PROFILE]: MODE trace, enforce or complain. Starts the
# app's container under speaker-run; sets SA_NAME (container), SA_CID,
# SA_PID, SA_ITEM.
sa_start() {
	local mode=$1 profile=${2:-} opts=() out

	SA_SEQ=$((SA_SEQ + 1))
	SA_PLAIN=''
	SA_NAME=speaker-$SA_APP-$SA_SEQ
	SA_ITEM=$SA_CONFIGFS/$SA_APP
	docker rm -f "$SA_NAME" >/dev/null 2>&1
	case $mode in
	trace) opts=(--trace) ;;
	complain) opts=(--complain --profile "$profile") ;;
	enforce) opts=(--profile "$profile") ;;
	*) sa_die "sa_start: unknown mode $mode"; return ;;
	esac
	# A fresh item: counters, traces and transitions start at zero.
	if [[ -d $SA_ITEM ]]; then
		echo 0 >"$SA_ITEM/target" 2>/dev/null
		rmdir "$SA_ITEM" || sa_die "cannot remove old item $SA_ITEM" || return
	fi
	out=$("$SA_RUN" "${opts[@]}" --name "$SA_APP" --service "$SA_SERVICE" \
		--settle-ms "$SA_SETTLE_MS" --docker -- docker run -d \
		--name "$SA_NAME" "${SA_DOCKER_ARGS[@]}" "$SA_IMAGE" "${SA_CMD[@]}") ||
		sa_die "speaker-run failed for $SA_APP ($mode)" || return
	SA_CID=${out##*$'\n'}
	SA_PID=$(docker inspect -f '{{.State.Pid}}' "$SA_CID")
	sa_log "$SA_APP ($mode): container $SA_NAME ${SA_CID:0:12}, init PID $SA_PID, item $(cat "$SA_ITEM/phase")"
}

sa_phase() {
	cat "$SA_ITEM/phase"
}

# Order of phases, to wait for "at least" a phase.
sa_phase_rank() {
	case $1 in
	idle) echo 0 ;; armed) echo 1 ;; booting) echo 2 ;; running) echo 3 ;;
	shutdown) echo 4 ;; exited) echo 5 ;; *) echo 9 ;;
	esac
}

# sa_wait_phase PHASE SECONDS: wait until the item reached PHASE or a later
# one; 1 on timeout. Says what the detector waited for meanwhile.
sa_wait_phase() {
	local want=$1 secs=$2 i phase rank last=''

	rank=$(sa_phase_rank "$want")
	for ((i = 0; i < secs * 5; i++)); do
		phase=$(sa_phase)
		(($(sa_phase_rank "$phase") >= rank)) && return 0
		if ((i % 50 == 0)); then
			local d
			d=$(cat "$SA_ITEM/detector")
			[[ $d == "$last" ]] || sa_log "$SA_APP: $d"
			last=$d
		fi
		sleep 0.2
	done
	sa_log "$SA_APP: still $(sa_phase) after $secs s: $(cat "$SA_ITEM/detector")"
	return 1
}

# The time of the last transition to PHASE, "+S.MMMs", from transitions.
sa_transition_time() {
	awk -v p="$1" '$1 == p { t = $2 } END { print t }' "$SA_ITEM/transitions"
}

# "booting -> running -> shutdown -> exited" from the transitions (the
# "armed" before the container existed left out).
sa_transition_path() {
	awk '$1 != "armed" { printf "%s%s", (n++ ? " -> " : ""), $1 } END { print "" }' \
		"$SA_ITEM/transitions"
}

# Did the service say it was ready before speaker left booting? A service
# still booting in the running phase runs booting-only calls there (a
# trace then learns them as running calls). Compares the wall-clock time of
# the first ready line (docker logs -t) with that of the kernel's
# "booting -> running" line (its printk time turned into wall-clock time
# through /proc/uptime). Sets SA_READY_LAG: seconds from running to ready
# (negative: ready first).
sa_ready_before_running() {
	local item=${SA_ITEM##*/} ts ready now up

	SA_READY_LAG=''
	ts=$(dmesg | sed -n "s/^\[ *\([0-9.]*\)\] speaker: $item: booting -> running .*/\1/p" | tail -n 1)
	ready=$(docker logs -t "$SA_CID" 2>&1 | grep -- "$SA_READY_LOG" | head -n 1 | cut -d' ' -f1)
	[[ -n $ts && -n $ready ]] || return 1
	ready=$(date -d "$ready" +%s.%N) || return 1
	now=$(date +%s.%N)
	up=$(cut -d' ' -f1 /proc/uptime)
	SA_READY_LAG=$(awk -v r="$ready" -v n="$now" -v u="$up" -v t="$ts" \
		'BEGIN { printf "%.1f", r - (n - u + t) }')
	awk -v l="$SA_READY_LAG" 'BEGIN { exit !(l <= 0.5) }'
}

# Does the container's log have a line matching $1? (grep -q would quit
# early and fail the pipeline under pipefail.)
sa_log_has() {
	docker logs "$SA_CID" 2>&1 | grep -- "$1" >/dev/null
}

# Wait (up to $1 s) until the app answers its own client.
sa_wait_ready() {
	local secs=$1 i

	for ((i = 0; i < secs * 2; i++)); do
		sa_ping && return 0
		if [[ -n ${SA_PLAIN:-} ]]; then
			kill -0 "$SA_PLAIN" 2>/dev/null || break
		else
			[[ $(docker inspect -f '{{.State.Running}}' "$SA_CID" 2>/dev/null) == true ]] ||
				break
		fi
		sleep 0.5
	done
	if [[ -n ${SA_PLAIN:-} ]]; then
		sa_die "$SA_APP does not answer (plain form)"
	else
		sa_die "$SA_APP does not answer (container $(docker inspect -f '{{.State.Status}} exit {{.State.ExitCode}}' "$SA_CID" 2>/dev/null))"
	fi
}

sa_ping() {
	case $SA_APP in
	redis) [[ $(redis-cli -p "$SA_PORT" ping 2>/dev/null) == PONG ]] ;;
	nginx) curl -sf -o /dev/null "http://127.0.0.1:$SA_PORT/" ;;
	mariadb) mysqladmin -S "$SA_SOCK" -uroot ping >/dev/null 2>&1 ;;
	esac
}

# Violation counts "booting running shutdown" from the item.
sa_violations() {
	awk 'NR <= 3 { printf "%s%s", (NR > 1 ? " " : ""), $2 } END { print "" }' \
		"$SA_ITEM/violations"
}

# docker stop (sends the image's stop signal), then wait for exited.
sa_stop() {
	docker stop -t 180 "$SA_CID" >/dev/null || sa_die "docker stop failed" || return
	sa_wait_phase exited 60
}

# Exit status 0 and the app's clean-exit line in its log.
sa_clean_exit() {
	local code

	code=$(docker inspect -f '{{.State.ExitCode}}' "$SA_CID")
	if [[ $code != 0 ]]; then
		sa_log "$SA_APP: container exited with status $code; last log lines:"
		docker logs "$SA_CID" 2>&1 | tail -n 8 | sed 's/^/    | /' >&2
		return 1
	fi
	sa_log_has "$SA_CLEAN_LOG" ||
		sa_die "$SA_APP: exit status 0 but no '$SA_CLEAN_LOG' in its log"
}

# The calls recorded by several trace passes are merged (their union) in a
# copy of the item that speaker-compile --save reads: sa_record_reset,
# then sa_record_add after each traced pass, then sa_save_profile DIR.
# The copy also turns a NUL into the newline it stands for: modules before
# commit a826e94 ended the recorded text with a NUL, which speaker-compile
# refuses.
sa_record_reset() {
	rm -rf "$SA_WORK/items/$SA_APP"
	mkdir -p "$SA_WORK/items/$SA_APP"
	: >"$SA_WORK/items/$SA_APP/recorded"
}

sa_record_add() {
	{
		tr '\0' '\n' <"$SA_ITEM/recorded"
		echo
	} >>"$SA_WORK/items/$SA_APP/recorded"
}

sa_save_profile() {
	local dir=$1

	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	"$SA_COMPILE" --save "$SA_WORK/items/$SA_APP" "$dir" >&2
}

# sa_hold_clients: before a docker stop, leave clients connected, as in
# production: a blocked or slow request in flight and an idle connection.
# The service has to close them while it shuts down. sa_release_clients
# reaps them after the stop.
SA_CLIENT_PIDS=()
SA_IDLE_FD=''

sa_hold_clients() {
	local url=http://127.0.0.1:$SA_PORT fifo=$SA_WORK/idle-client

	SA_CLIENT_PIDS=()
	case $SA_APP in
	redis)
		redis-cli -p "$SA_PORT" blpop speaker:never 0 >/dev/null 2>&1 &
		SA_CLIENT_PIDS+=($!)
		exec {SA_IDLE_FD}<>"/dev/tcp/127.0.0.1/$SA_PORT"
		;;
	nginx)
		curl -s -o /dev/null --limit-rate 256k "$url/files/big.txt?slow" &
		SA_CLIENT_PIDS+=($!)
		exec {SA_IDLE_FD}<>"/dev/tcp/127.0.0.1/$SA_PORT"
		;;
	mariadb)
		mysql -S "$SA_SOCK" -uroot -e 'SELECT SLEEP(600)' >/dev/null 2>&1 &
		SA_CLIENT_PIDS+=($!)
		# An authenticated session that waits for its next statement.
		rm -f "$fifo" && mkfifo "$fifo"
		mysql -h 127.0.0.1 -P "$SA_PORT" -ubench -pbench <"$fifo" >/dev/null 2>&1 &
		SA_CLIENT_PIDS+=($!)
		exec {SA_IDLE_FD}>"$fifo"
		echo "SELECT 1;" >&"$SA_IDLE_FD"
		;;
	esac
	sleep 1
}

sa_release_clients() {
	local pid

	[[ -z $SA_IDLE_FD ]] || exec {SA_IDLE_FD}>&-
	SA_IDLE_FD=''
	for pid in "${SA_CLIENT_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${SA_CLIENT_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	SA_CLIENT_PIDS=()
}

# sa_hand_edit DIR: apply SA_HAND to the profile in DIR; prints one line
# per entry that added a call: "PHASES +CALLS: REASON".
sa_hand_edit() {
	local dir=$1 e phases calls why phase call added p c

	for e in "${SA_HAND[@]}"; do
		read -r phases calls why <<<"$e"
		[[ $phases == all ]] && phases=booting,running,shutdown
		added=()
		IFS=, read -r -a p <<<"$phases"
		IFS=, read -r -a c <<<"$calls"
		for phase in "${p[@]}"; do
			for call in "${c[@]}"; do
				grep -qx -- "$call" "$dir/$phase" && continue
				grep -qx '# added by hand (see the header):' "$dir/$phase" ||
					printf '\n# added by hand (see the header):\n' >>"$dir/$phase"
				echo "$call" >>"$dir/$phase"
				[[ " ${added[*]} " == *" $call "* ]] || added+=("$call")
			done
		done
		((${#added[@]} == 0)) || echo "$phases +${added[*]}: $why"
	done
}

sa_remove() {
	docker rm -f "$SA_CID" >/dev/null 2>&1
}

# --- without Docker ---------------------------------------------------------

# sa_start_plain PROFILE: the app under speaker-run's plain form (new PID
# and mount namespaces, no Docker), in the background, enforcing PROFILE.
# Sets SA_ITEM, SA_PID (the namespace's init as the host sees it) and
# SA_PLAIN (speaker-run's PID, which becomes unshare); the service's
# output goes to $SA_WORK/APP/plain.log. Only apps with SA_PLAIN_CMD.
sa_start_plain() {
	local profile=$1 i

	((${#SA_PLAIN_CMD[@]})) || sa_die "$SA_APP has no plain form" || return
	SA_PLAIN_STATUS=''
	SA_ITEM=$SA_CONFIGFS/$SA_APP-plain
	if [[ -d $SA_ITEM ]]; then
		echo 0 >"$SA_ITEM/target" 2>/dev/null
		rmdir "$SA_ITEM" || sa_die "cannot remove old item $SA_ITEM" || return
	fi
	mkdir -p "$SA_WORK/$SA_APP/data"
	"$SA_RUN" --profile "$profile" --name "$SA_APP-plain" --service "$SA_SERVICE" \
		--settle-ms "$SA_SETTLE_MS" --stop-signal "$SA_STOPSIG" -- \
		"${SA_PLAIN_CMD[@]}" >"$SA_WORK/$SA_APP/plain.log" 2>&1 &
	SA_PLAIN=$!
	for ((i = 0; i < 300; i++)); do
		[[ -d $SA_ITEM ]] && (($(sa_phase_rank "$(sa_phase)") >= 2)) && break
		kill -0 "$SA_PLAIN" 2>/dev/null || break
		sleep 0.1
	done
	SA_PID=$(cat "$SA_ITEM/target" 2>/dev/null)
	[[ $SA_PID =~ ^[1-9][0-9]*$ ]] ||
		{ cat "$SA_WORK/$SA_APP/plain.log" >&2; sa_die "the plain form did not attach"; return; }
	sa_log "$SA_APP (plain, enforce): PID namespace init $SA_PID, item $(sa_phase)"
}

# The stop signal to the namespace's init, as docker stop would send it;
# then the exit status of the service (speaker-run execs unshare, which
# returns its child's status). Sets SA_PLAIN_STATUS.
# shellcheck disable=SC2034 # read by the scripts that source this file
sa_stop_plain() {
	kill -s "$SA_STOPSIG" "$SA_PID" 2>/dev/null || sa_log "$SA_APP: cannot signal $SA_PID"
	wait "$SA_PLAIN"
	SA_PLAIN_STATUS=$?
	SA_PLAIN=''
	sa_wait_phase exited 30
}

# --- workloads ------------------------------------------------------------

# sa_workload LEVEL: the app's own client tools against the service.
# LEVEL trace (the broadest: what the profile learns from), enforce (the
# same kinds of requests, fewer), short (make check). Fails if a client
# fails or the service stops answering.
sa_workload() {
	local level=$1

	case $SA_APP in
	redis) sa_workload_redis "$level" ;;
	nginx) sa_workload_nginx "$level" ;;
	mariadb) sa_workload_mariadb "$level" ;;
	esac || return
	sa_ping || sa_die "$SA_APP stopped answering after the workload"
}

sa_workload_redis() {
	local n c=(redis-cli -p "$SA_PORT") last

	case $1 in
	trace) n=2000 ;;
	enforce) n=1000 ;;
	*) n=300 ;;
	esac
	if [[ $1 == short ]]; then
		redis-benchmark -p "$SA_PORT" -q -n "$n" -c 10 \
			-t ping,set,get,incr,lpush,lpop,sadd,hset >"$SA_WORK/bench.out" 2>&1
	else
		# Every test of redis-benchmark, plain and pipelined.
		redis-benchmark -p "$SA_PORT" -q -n "$n" -c 20 >"$SA_WORK/bench.out" 2>&1 &&
			redis-benchmark -p "$SA_PORT" -q -n "$n" -c 4 -P 16 \
				-t set,get,lpush,lpop,mset >>"$SA_WORK/bench.out" 2>&1
	fi || { tail -n 5 "$SA_WORK/bench.out" >&2; sa_die "redis-benchmark failed"; return; }
	sed 's/.*\r//' "$SA_WORK/bench.out" | grep 'requests per second' |
		sed 's/^/    /' | head -n 6 >&2
	# Administration and persistence, as an operator would do.
	last=$("${c[@]}" lastsave)
	{
		"${c[@]}" set speaker:key value ex 600 &&
			"${c[@]}" info all &&
			"${c[@]}" config get maxmemory &&
			"${c[@]}" dbsize &&
			"${c[@]}" client list &&
			"${c[@]}" slowlog get 4 &&
			"${c[@]}" memory stats &&
			"${c[@]}" scan 0 count 20 &&
			"${c[@]}" bgsave
	} >"$SA_WORK/cli.out" 2>&1 || { tail -n 5 "$SA_WORK/cli.out" >&2; sa_die "redis-cli failed"; return; }
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $("${c[@]}" lastsave) != "$last" ]] && break
		sleep 0.2
	done
	[[ $("${c[@]}" lastsave) != "$last" ]] || sa_die "BGSAVE did not finish"
}

sa_workload_nginx() {
	local url=http://127.0.0.1:$SA_PORT n codes bad

	case $1 in
	trace) n=400 ;;
	enforce) n=200 ;;
	*) n=100 ;;
	esac
	# One curl process per batch (a process per request is slow under
	# TCG): keep-alive GETs, new connections, HEAD, 404, POST, a 1 MiB
	# file (sendfile), gzip, a range, an autoindex page, parallel clients.
	codes=$SA_WORK/codes
	{
		curl -s -o /dev/null -w '%{http_code}\n' "$url/index.html?[1-$n]"
		curl -s -o /dev/null -w '%{http_code}\n' -H 'Connection: close' "$url/?[1-$((n / 4))]"
		curl -s -o /dev/null -w '%{http_code}\n' -I "$url/files/small.txt?[1-20]"
		curl -s -o /dev/null -w '%{http_code}\n' "$url/files/big.txt?[1-10]"
		curl -s -o /dev/null -w '%{http_code}\n' --compressed "$url/files/small.txt?gz[1-10]"
		curl -s -o /dev/null -w '%{http_code}\n' -r 100-199 "$url/files/big.txt?r[1-10]"
		curl -s -o /dev/null -w '%{http_code}\n' "$url/files/?[1-10]"
		curl -s -o /dev/null -w '%{http_code}\n' -Z --parallel-max 8 "$url/index.html?p[1-$n]"
	} >"$codes" 2>"$SA_WORK/curl.err"
	{
		curl -s -o /dev/null -w '%{http_code}\n' "$url/missing[1-20]"
		curl -s -o /dev/null -w '%{http_code}\n' -d x=1 "$url/index.html?post[1-10]"
	} >"$codes.err" 2>>"$SA_WORK/curl.err"
	bad=$(grep -cvE '^(200|206)$' "$codes")
	sa_log "nginx: $(grep -c . "$codes") requests, $bad not 200/206; $(grep -c '^404$' "$codes.err") 404s, $(grep -c '^405$' "$codes.err") 405s as expected"
	((bad == 0)) || sa_die "nginx answered $(sort "$codes" | uniq -c | tr '\n' ' ')"
}

sa_mysql() {
	mysql -S "$SA_SOCK" -uroot --batch
}

sa_workload_mariadb() {
	local q n conc

	case $1 in
	trace) q=800 n=200 conc=8 ;;
	enforce) q=400 n=100 conc=4 ;;
	*) q=100 n=50 conc=2 ;;
	esac
	# A scripted session: schema, rows, reads, updates, a transaction.
	{
		echo "CREATE DATABASE IF NOT EXISTS speaker;"
		echo "USE speaker;"
		echo "DROP TABLE IF EXISTS kv;"
		echo "CREATE TABLE kv (id INT AUTO_INCREMENT PRIMARY KEY, k INT, v VARCHAR(64), INDEX(k)) ENGINE=InnoDB;"
		local i
		for ((i = 1; i <= n; i++)); do
			echo "INSERT INTO kv (k, v) VALUES ($((i % 17)), 'value $i');"
		done
		echo "SELECT k, COUNT(*), MAX(v) FROM kv GROUP BY k ORDER BY k LIMIT 3;"
		echo "UPDATE kv SET v = CONCAT(v, '!') WHERE k = 3;"
		echo "START TRANSACTION; DELETE FROM kv WHERE k = 5; INSERT INTO kv (k, v) VALUES (5, 'again'); COMMIT;"
		echo "SELECT COUNT(*) FROM kv;"
		echo "CREATE USER IF NOT EXISTS 'bench'@'127.0.0.1' IDENTIFIED BY 'bench';"
		echo "GRANT ALL ON *.* TO 'bench'@'127.0.0.1';"
		echo "FLUSH TABLES;"
		echo "SHOW GLOBAL STATUS LIKE 'Questions';"
	} | sa_mysql >"$SA_WORK/mysql.out" 2>&1 ||
		{ tail -n 5 "$SA_WORK/mysql.out" >&2; sa_die "mysql session failed"; return; }
	# Over TCP with a password, as a remote client would.
	mysql -h 127.0.0.1 -P "$SA_PORT" -ubench -pbench --batch \
		-e "SELECT COUNT(*) FROM speaker.kv; SHOW PROCESSLIST;" >>"$SA_WORK/mysql.out" 2>&1 ||
		{ tail -n 5 "$SA_WORK/mysql.out" >&2; sa_die "mysql over TCP failed"; return; }
	mysqlslap -S "$SA_SOCK" -uroot --concurrency="$conc" --iterations=1 \
		--number-of-queries="$q" --auto-generate-sql \
		--auto-generate-sql-load-type=mixed --engine=innodb \
		>"$SA_WORK/slap.out" 2>&1 ||
		{ tail -n 5 "$SA_WORK/slap.out" >&2; sa_die "mysqlslap failed"; return; }
	grep -E 'Average number|Number of clients' "$SA_WORK/slap.out" | sed 's/^ */    /' >&2
}

# --- attacks ----------------------------------------------------------------

# sa_attack INTRUDE: what an attacker with code execution would try in the
# running phase. docker exec (runc exec joins the container's namespaces)
# and intrude (a child born inside whose first call is the attack). Each
# must fail; prints one line per attempt. Returns 1 if any succeeded.
sa_attack() {
	local intrude=$1 rc=0 out

	if out=$(timeout 60 docker exec "$SA_CID" /bin/sh -c 'echo pwned' 2>&1); then
		sa_log "attack: docker exec $SA_NAME /bin/sh: NOT STOPPED: $out"
		rc=1
	else
		sa_log "attack: docker exec $SA_NAME /bin/sh: stopped (${out//$'\n'/ })"
	fi
	if [[ -x $intrude ]]; then
		while IFS= read -r out; do
			sa_log "attack: $out"
		done < <("$intrude" "$SA_PID" exec rawsock ptrace mount unshare 2>&1)
		wait $! || rc=1
	else
		sa_log "attack: no $intrude (make -C selftests): in-container attacks skipped"
	fi
	return "$rc"
}
