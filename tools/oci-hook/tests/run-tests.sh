#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of speaker-oci-hook: no VM, no module, no runtime. Items are
# played by plain directories under a fake --configfs, holding the
# attribute files the hook writes; the state comes on standard input as a
# runtime would pass it. What a real runtime and module do is tested in
# the VM by selftests/oci_hook.c. Prints TAP and "N passed, N failed".

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
HOOK=$HERE/../speaker-oci-hook
COMPILE=$HERE/../../seccomp-compile/speaker-compile

. "$HERE/../../tap.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/speaker-oci-hook-test.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
CFS=$TMP/configfs
PROFILES=$TMP/profiles
BUNDLE=$TMP/bundle

check() {
	name=$1
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name" "failed: $*" "stderr was:" \
			"$(sed 's/^/#   /' "$TMP/err" 2>/dev/null)"
	fi
}

# hook STATE_JSON ARGS...: run the hook on that state
hook() {
	printf '%s' "$1" >"$TMP/state"
	shift
	"$HOOK" --configfs "$CFS" --profiles "$PROFILES" --compile "$COMPILE" \
		"$@" <"$TMP/state" >"$TMP/out" 2>"$TMP/err"
	RC=$?
}

rc_is() {
	[ "$RC" -eq "$1" ]
}

err_has() {
	grep -q -- "$1" "$TMP/err"
}

# attr ITEM NAME VALUE: the item's attribute file holds VALUE (one line)
attr_is() {
	[ "$(cat "$CFS/$1/$2")" = "$3" ] ||
		{ echo "# $1/$2 is '$(cat "$CFS/$1/$2")', want '$3'"; return 1; }
}

# item NAME: a fake item, detached (target 0); its phase reads booting,
# as the module's does once the hook has written the target.
item() {
	rm -rf "${CFS:?}/$1"
	mkdir -p "$CFS/$1"
	for a in booting running shutdown mode service settle_ms \
		stop_signals recorded violations; do
		: >"$CFS/$1/$a"
	done
	printf 'booting 0 none\nrunning 0 none\nshutdown 0 none\n' >"$CFS/$1/status"
	printf 'booting 0\nrunning 0\nshutdown 0\n' >"$CFS/$1/violations"
	echo 0 >"$CFS/$1/target"
	echo booting >"$CFS/$1/phase"
}

# static_phase NAME PHASE: the item's phase reads PHASE
static_phase() {
	echo "$2" >"$CFS/$1/phase"
}

# state ID PID STATUS ANNOTATIONS_JSON
state() {
	printf '{"ociVersion": "1.0.2", "id": "%s", "pid": %s, "status": "%s", "bundle": "%s", "annotations": %s}' \
		"$1" "$2" "$3" "$BUNDLE" "$4"
}

setup() {
	mkdir -p "$CFS" "$PROFILES/web" "$BUNDLE"
	for p in booting running shutdown; do
		printf 'read\nwrite\n' >"$PROFILES/web/$p"
	done
	printf '{"ociVersion": "1.0.2", "process": {"args": ["/usr/local/bin/my-long-service-name", "-x"]}, "annotations": {"io.speaker.profile": "web"}}' \
		>"$BUNDLE/config.json"
}

test_command_line() {
	"$HOOK" --help >"$TMP/out" 2>"$TMP/err"
	check "help_exits_0_and_names_annotations" \
		sh -c "[ $? -eq 0 ] && grep -q io.speaker.profile '$TMP/out'"
	hook '{}' --bogus
	check "unknown_option_exit_2" rc_is 2
	hook '{}' restart
	check "unknown_stage_exit_2" rc_is 2
	hook 'not json'
	check "state_not_json_exit_2" sh -c "[ $RC -eq 2 ] && grep -q 'not JSON' '$TMP/err'"
	hook '{"pid": 1}' create
	check "state_without_id_exit_2" rc_is 2
	hook "$(state c1 42 running '{"io.speaker.profile": "web"}')"
	check "status_without_stage_exit_2" rc_is 2
}

test_create() {
	item c1
	hook "$(state c1 4242 creating '{"io.speaker.profile": "web", "io.speaker.stop-signals": "SIGQUIT,term 10", "io.speaker.settle-ms": "250"}')"
	check "create_exit_0" rc_is 0
	check "create_writes_pid_to_target" attr_is c1 target 4242
	check "create_sets_mode_enforce" attr_is c1 mode enforce
	check "create_default_service_is_entrypoint_comm" attr_is c1 service my-long-service
	check "create_stop_signals_as_numbers" attr_is c1 stop_signals "3 15 10"
	check "create_sets_settle_ms" attr_is c1 settle_ms 250
	check "create_loads_the_three_programs" \
		sh -c "[ -s '$CFS/c1/booting' ] && [ -s '$CFS/c1/running' ] && [ -s '$CFS/c1/shutdown' ]"

	item c2
	hook "$(state c2 7 creating '{"io.speaker.mode": "trace", "io.speaker.service": "nginx"}')" create
	check "trace_needs_no_profile" rc_is 0
	check "trace_clears_recorded" attr_is c2 recorded clear
	check "trace_sets_service_annotation" attr_is c2 service nginx

	id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	item 0123456789ab
	hook "$(state $id 9 created '{"io.speaker.profile": "web"}')"
	check "long_id_names_item_by_first_12_chars" \
		sh -c "[ $RC -eq 0 ] && [ \"\$(cat '$CFS/0123456789ab/target')\" = 9 ]"

	item named
	hook "$(state x 9 creating '{"io.speaker.profile": "web", "io.speaker.name": "named"}')"
	check "name_annotation_names_item" attr_is named target 9

	item c3
	hook "$(state c3 9 creating null)"
	check "annotations_from_bundle_config_when_state_has_none" \
		sh -c "[ $RC -eq 0 ] && [ \"\$(cat '$CFS/c3/target')\" = 9 ]"
}

test_create_failures() {
	item f1
	hook "$(state f1 9 creating '{"io.speaker.profile": "nosuch"}')"
	check "missing_profile_exit_1_naming_it" \
		sh -c "[ $RC -eq 1 ] && grep -q \"profile 'nosuch' is in none of\" '$TMP/err'"
	check "failed_lookup_leaves_item_untouched" attr_is f1 target 0

	hook "$(state f1 9 creating '{"io.speaker.profile": "../web"}')"
	check "profile_name_with_slash_refused" rc_is 1
	hook "$(state f1 9 creating '{"io.speaker.profile": "web", "io.speaker.mode": "audit"}')"
	check "unknown_mode_exit_1" sh -c "[ $RC -eq 1 ] && grep -q 'enforce, complain or trace' '$TMP/err'"
	hook "$(state f1 9 creating '{"io.speaker.mode": "enforce"}')"
	check "enforce_without_profile_exit_1" rc_is 1
	hook "$(state f1 0 creating '{"io.speaker.profile": "web"}')"
	check "state_without_pid_exit_1" rc_is 1
	hook "$(state f1 9 creating '{"io.speaker.profile": "web", "io.speaker.name": "a/b"}')"
	check "bad_item_name_exit_1" rc_is 1
	item f3
	hook "$(state f3 9 creating '{"io.speaker.profile": "web", "io.speaker.stop-signals": "SIGNOPE"}')"
	check "unknown_stop_signal_exit_1" rc_is 1
	item f4
	static_phase f4 idle
	hook "$(state f4 9 creating '{"io.speaker.profile": "web"}')"
	check "attach_not_booting_exit_1" sh -c "[ $RC -eq 1 ] && grep -q 'not booting' '$TMP/err'"
	item f5
	static_phase f5 running
	echo 1234 >"$CFS/f5/target"
	hook "$(state f5 9 creating '{"io.speaker.profile": "web"}')"
	check "item_attached_elsewhere_is_not_taken_over" sh -c "
		[ $RC -eq 1 ] && grep -q 'in use (phase running)' '$TMP/err'"
	check "item_attached_elsewhere_keeps_its_target" attr_is f5 target 1234

	printf 'read\nnosuchcall\n' >"$PROFILES/web/running"
	item f2
	hook "$(state f2 9 creating '{"io.speaker.profile": "web"}')"
	check "profile_that_does_not_compile_exit_1" \
		sh -c "[ $RC -eq 1 ] && grep -q nosuchcall '$TMP/err'"
	check "failed_compile_leaves_item_detached" attr_is f2 target 0
	printf 'read\nwrite\n' >"$PROFILES/web/running"

	"$HOOK" --configfs "$TMP/none" --profiles "$PROFILES" create \
		<"$TMP/state" >"$TMP/out" 2>"$TMP/err"
	check "module_not_loaded_exit_1" \
		sh -c "[ $? -eq 1 ] && grep -q 'is the speaker module loaded' '$TMP/err'"
}

test_poststop() {
	item p1
	hook "$(state p1 0 stopped '{"io.speaker.profile": "web", "io.speaker.keep": "true"}')" \
		--log "$TMP/log"
	check "poststop_keeps_item_when_asked" sh -c "[ $RC -eq 0 ] && [ -d '$CFS/p1' ]"
	check "poststop_logs_violations" grep -q 'p1: container p1 stopped; violations: booting 0,running 0,shutdown 0' "$TMP/log"

	# configfs removes an item with its attributes; a plain directory
	# with a phase file cannot go: the error shows that the hook tried.
	mkdir -p "$CFS/p2"
	echo exited >"$CFS/p2/phase"
	hook "$(state p2 0 stopped '{"io.speaker.profile": "web"}')"
	check "poststop_removes_exited_item" sh -c "
		[ $RC -eq 1 ] && grep -q 'cannot remove .*/p2: Directory not empty' '$TMP/err'"
	mkdir -p "$CFS/p6"
	echo running >"$CFS/p6/phase"
	hook "$(state p6 0 stopped '{"io.speaker.profile": "web"}')"
	check "poststop_leaves_item_attached_elsewhere" sh -c "[ $RC -eq 0 ] && [ -d '$CFS/p6' ]"
	mkdir -p "$CFS/p3"
	hook "$(state p3 0 stopped '{"io.speaker.mode": "trace"}')" poststop
	check "poststop_keeps_traced_item_by_default" sh -c "[ $RC -eq 0 ] && [ -d '$CFS/p3' ]"
	hook "$(state p4 0 stopped '{"io.speaker.profile": "web"}')"
	check "poststop_without_item_exit_0" rc_is 0
	mkdir -p "$CFS/p5"
	hook "$(state p5 0 stopped '{}')" poststop
	check "poststop_of_other_container_leaves_item" sh -c "[ $RC -eq 0 ] && [ -d '$CFS/p5' ]"
}

setup
test_command_line
test_create
test_create_failures
test_poststop

tap_done
