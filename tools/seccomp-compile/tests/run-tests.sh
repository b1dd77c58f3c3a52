#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of speaker-compile: no VM, no module. Programs are loaded as
# real seccomp filters in forked children (tests/bpf-run); configfs items
# are played by plain directories. Prints TAP and "N passed, N failed".
#
# Run from anywhere: sh tests/run-tests.sh (make check builds first).

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SC=$HERE/../speaker-compile
BPF=$HERE/bpf-run
DUMP=$HERE/recorded-dump

. "$HERE/../../tap.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/speaker-compile-test.XXXXXX") || exit 1

cleanup() {
	# an immutable file would make rm fail
	chattr -R -i "$TMP" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# check NAME COMMAND...: pass when COMMAND succeeds; on failure show the
# last command's stderr, which the tests keep in $TMP/err.
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

# sc ARGS...: run speaker-compile, keep stdout, stderr and status
sc() {
	"$SC" "$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
}

rc_is() {
	[ "$RC" -eq "$1" ]
}

err_has() {
	grep -q -- "$1" "$TMP/err"
}

out_has() {
	grep -q -- "$1" "$TMP/out"
}

# profile DIR BOOTING RUNNING SHUTDOWN: contents as printf formats
profile() {
	mkdir -p "$1"
	printf '%b' "$2" >"$1/booting"
	printf '%b' "$3" >"$1/running"
	printf '%b' "$4" >"$1/shutdown"
}

# runs BLOB CALL WANT: bpf-run's verdict for CALL under BLOB is WANT
runs() {
	got=$("$BPF" "$1" "$2")
	[ "$got" = "$3" ] || { echo "# $2 under $1: got '$got', want '$3'"; return 1; }
}

same() {
	cmp -s "$1" "$2"
}

# item DIR: a plain directory playing a configfs item, no programs yet
item() {
	mkdir -p "$1"
	: >"$1/booting"
	: >"$1/running"
	: >"$1/shutdown"
	printf 'booting 0 none\nrunning 0 none\nshutdown 0 none\n' >"$1/status"
}

# ---------------------------------------------------------------------
# command line

test_command_line() {
	sc --help
	check "help_exits_0_and_lists_every_exit_status" \
		sh -c "[ $RC -eq 0 ] && for n in 0 1 2 3 4 5 6 7 8 9; do grep -q \"^  \$n  \" '$TMP/out' || exit 1; done"
	sc --version
	check "version_names_libseccomp" \
		sh -c "[ $RC -eq 0 ] && grep -q 'speaker-compile .* (libseccomp [0-9]' '$TMP/out'"
	sc
	check "no_arguments_exit_2_with_usage" \
		sh -c "[ $RC -eq 2 ] && grep -q '^Usage: speaker-compile' '$TMP/err'"
	sc --bogus x y
	check "unknown_option_exit_2" rc_is 2
	sc -d allow "$TMP/p" "$TMP/i"
	check "default_action_allow_refused_exit_2" rc_is 2
	sc -d errno:4096 -o "$TMP/o" "$TMP/p"
	check "errno_above_4095_refused_exit_2" rc_is 2
	sc -a mips -o "$TMP/o" "$TMP/p"
	check "unknown_arch_option_exit_2" rc_is 2
	sc --pfc -o "$TMP/o" "$TMP/p"
	check "pfc_with_output_exit_2" rc_is 2
	sc --save -o "$TMP/o" "$TMP/i" "$TMP/p"
	check "save_with_output_exit_2" rc_is 2
	sc -o "$TMP/o" "$TMP/p" extra
	check "output_takes_one_argument_exit_2" rc_is 2
}

# ---------------------------------------------------------------------
# compiling and what the programs do under real seccomp

BASE=$TMP/base
OUT=$TMP/base-out

test_compile_to_files() {
	profile "$BASE" 'getpid\nread\nwrite\n' 'getpid\n' 'getpid\n'
	sc -q -d errno:1 -o "$OUT" "$BASE"
	check "compile_to_files_exit_0" rc_is 0
	ok=true
	for phase in booting running shutdown; do
		size=$(stat -c %s "$OUT/$phase" 2>/dev/null || echo 1)
		[ $((size % 8)) -eq 0 ] && [ "$size" -gt 0 ] &&
			[ "$size" -le 32768 ] || ok=false
	done
	check "each_phase_file_is_whole_insns_within_bpf_maxinsns" $ok
	check "filter_loads_arch_first" \
		sh -c "[ \"\$(od -An -tx1 -N8 '$OUT/running' | tr -d ' ')\" = 2000000004000000 ]"
	sc -d errno:1 -o "$OUT" "$BASE"
	check "one_summary_line_per_phase_on_stderr" \
		sh -c "[ \$(grep -cE '^(booting|running|shutdown): [0-9]+ calls, [0-9]+ insns$' '$TMP/err') -eq 3 ] && [ ! -s '$TMP/out' ]"
}

test_seccomp_verdicts() {
	check "listed_call_is_allowed" runs "$OUT/running" 39 returned
	check "unlisted_call_gets_errno_default" runs "$OUT/running" 110 "errno 1"

	sc -q -d errno:EPERM -o "$TMP/eperm" "$BASE"
	check "errno_name_gives_same_program_as_number" \
		same "$OUT/running" "$TMP/eperm/running"

	sc -q -o "$TMP/kill" "$BASE"
	check "kill_process_is_the_default_and_kills_with_sigsys" \
		runs "$TMP/kill/running" 110 "signal 31"
	check "kill_process_default_still_allows_listed_call" \
		runs "$TMP/kill/running" 39 returned
	sc -q -d trap -o "$TMP/trap" "$BASE"
	check "trap_default_raises_sigsys" runs "$TMP/trap/running" 110 "signal 31"
	sc -q -d kill-thread -o "$TMP/kthread" "$BASE"
	check "kill_thread_default_kills_single_thread_child" \
		runs "$TMP/kthread/running" 110 "signal 31"
	sc -q -d log -o "$TMP/log" "$BASE"
	check "log_default_lets_unlisted_call_run" runs "$TMP/log/running" 110 returned
}

# A number libseccomp does not name below its highest one, that this
# kernel answers with ENOSYS when no filter is loaded (so that only the
# filter can turn it into anything else); 0 if there is none.
plain_gap() {
	shift
	for nr in "$@"; do
		if [ "$("$BPF" --probe "$nr")" = "errno 38" ]; then
			echo "$nr"
			return
		fi
	done
	echo 0
}

test_unnamed_numbers() {
	max=$("$BPF" --unnamed | cut -d' ' -f1)
	# shellcheck disable=SC2046 # one argument per number
	gap=$(plain_gap $("$BPF" --unnamed))
	check "number_above_libseccomp_max_gets_enosys" \
		runs "$OUT/running" $((max + 1)) "errno 38"
	if [ "$gap" -gt 0 ]; then
		check "unnamed_gap_number_gets_enosys" runs "$OUT/running" "$gap" "errno 38"
	else
		skip "unnamed_gap_number_gets_enosys" "no unnamed gap number this kernel lacks"
	fi
	check "last_number_of_enosys_range_gets_enosys" runs "$OUT/running" 511 "errno 38"
	check "number_beyond_enosys_range_gets_default" runs "$OUT/running" 600 "errno 1"

	profile "$TMP/raw" "$((max + 1))\n" 'getpid\n' 'getpid\n'
	sc -q -d errno:1 -o "$TMP/raw-out" "$TMP/raw"
	check "unnamed_native_number_in_profile_is_allowed" \
		sh -c "[ $RC -eq 0 ] && '$SC' -q -d errno:1 --pfc '$TMP/raw' | grep -A1 'if (\$syscall == $((max + 1)))' | grep -q ALLOW"
	sc -d errno:38 -o "$TMP/enosys" "$BASE"
	check "default_errno_enosys_compiles" rc_is 0
	check "default_errno_enosys_applies_to_unlisted" runs "$TMP/enosys/running" 110 "errno 38"
}

# A profile written for an older libc: the newer call of a fallback pair
# gets ENOSYS when only the older form is allowed, so libc falls back.
test_fallbacks() {
	profile "$TMP/fb" 'clone\nfaccessat\n' 'clone\nclone3\n' 'getpid\n'
	sc -d errno:1 -o "$TMP/fb-out" "$TMP/fb"
	check "fallback_compiles" rc_is 0
	check "clone3_gets_enosys_when_only_clone_is_allowed" \
		runs "$TMP/fb-out/booting" 435 "errno 38"
	check "faccessat2_gets_enosys_when_only_faccessat_is_allowed" \
		runs "$TMP/fb-out/booting" 439 "errno 38"
	check "clone3_listed_is_allowed" \
		runs "$TMP/fb-out/running" 435 "$("$BPF" --probe 435)"
	check "faccessat2_without_older_form_gets_default" \
		runs "$TMP/fb-out/running" 439 "errno 1"
	check "clone3_without_older_form_gets_default" \
		runs "$TMP/fb-out/shutdown" 435 "errno 1"
}

test_arches() {
	check "x32_call_gets_default_without_arch" runs "$OUT/running" x32:39 "errno 1"
	sc -q -d errno:1 -a x32 -o "$TMP/x32" "$BASE"
	# Allowed: the same result as with no filter (ENOSYS where x32 is off).
	check "x32_call_passes_filter_with_arch_x32" \
		runs "$TMP/x32/running" x32:39 "$("$BPF" --probe x32:39)"
	check "x32_unlisted_call_gets_default" runs "$TMP/x32/running" x32:110 "errno 1"

	if [ "$("$BPF" --probe i386:20)" != returned ]; then
		skip "i386_calls" "int 0x80 does not work on this host"
		return
	fi
	check "i386_call_gets_default_without_arch" runs "$OUT/running" i386:20 "errno 1"
	profile "$TMP/at" 'getpid\n' '@arch i386\ngetpid\n' 'getpid\n'
	sc -q -d errno:1 -o "$TMP/at-out" "$TMP/at"
	check "at_arch_i386_allows_listed_i386_call" runs "$TMP/at-out/running" i386:20 returned
	check "at_arch_i386_still_denies_unlisted_i386_call" \
		runs "$TMP/at-out/running" i386:64 "errno 1"
	check "at_arch_is_per_phase" runs "$TMP/at-out/booting" i386:20 "errno 1"
	sc -q -d errno:1 -a i386 -o "$TMP/a-out" "$TMP/at"
	check "arch_option_equals_at_arch" same "$TMP/at-out/running" "$TMP/a-out/running"
	profile "$TMP/q" 'getpid\n' 'i386:getpid\n' 'getpid\n'
	sc -q -d errno:1 -o "$TMP/q-out" "$TMP/q"
	check "qualified_i386_name_allows_i386_call" runs "$TMP/q-out/running" i386:20 returned
	check "qualified_i386_name_does_not_allow_native" runs "$TMP/q-out/running" 39 "errno 1"
}

# ---------------------------------------------------------------------
# profile errors and notices

test_profile_errors() {
	profile "$TMP/bad" 'getpid\n' 'getpid\n# comment\nnosuchcall\n' 'getpid\n'
	sc -o "$TMP/bad-out" "$TMP/bad"
	check "unknown_name_exit_3" rc_is 3
	check "unknown_name_message_names_file_and_line" \
		err_has "$TMP/bad/running:3: error: unknown system call 'nosuchcall'"
	check "failed_compile_writes_no_output" [ ! -e "$TMP/bad-out" ]

	profile "$TMP/bad2" 'getpid\nread write\n' 'getpid\n' '@arch mips\nREAD\ni386:nosuch\n'
	sc -o "$TMP/bad2-out" "$TMP/bad2"
	check "errors_of_every_phase_are_reported" \
		sh -c "[ $RC -eq 3 ] && grep -q 'booting:2: error: one system call per line' '$TMP/err' && grep -q 'shutdown:1: error: unknown arch' '$TMP/err' && grep -q 'shutdown:2:' '$TMP/err' && grep -q 'shutdown:3: error: unknown system call .nosuch. on i386' '$TMP/err'"

	profile "$TMP/bad3" 'getpid\n' 'socketcall\n' '@frob\n'
	sc -o "$TMP/bad3-out" "$TMP/bad3"
	check "name_of_other_arch_gets_a_hint" \
		err_has "running:1: error: unknown system call 'socketcall' (it exists on i386: write i386:socketcall)"
	check "unknown_directive_is_an_error" err_has "shutdown:1: error: unknown directive '@frob'"

	profile "$TMP/bad4" '4294967297\n' 'i386:9999\n' '1024\n'
	sc -o "$TMP/bad4-out" "$TMP/bad4"
	check "numbers_out_of_range_are_errors" \
		sh -c "[ $RC -eq 3 ] && grep -q 'booting:1: error: x86_64 number 4294967297 out of range' '$TMP/err' && grep -q 'running:1:' '$TMP/err' && grep -q 'shutdown:1:' '$TMP/err'"

	profile "$TMP/miss" 'getpid\n' 'getpid\n' ''
	rm "$TMP/miss/shutdown"
	sc -o "$TMP/miss-out" "$TMP/miss"
	check "missing_phase_file_exit_4" rc_is 4
	check "missing_phase_file_is_named" err_has "$TMP/miss/shutdown: phase file missing"
	sc -o "$TMP/miss-out" "$TMP/nonexistent"
	check "missing_profile_dir_exit_4" rc_is 4

	profile "$TMP/unr" 'getpid\n' 'getpid\n' 'getpid\n'
	rm "$TMP/unr/running"
	mkdir "$TMP/unr/running"
	sc -o "$TMP/unr-out" "$TMP/unr"
	check "unreadable_phase_file_exit_5" rc_is 5
	check "unreadable_phase_file_is_named" err_has "cannot read $TMP/unr/running"
}

test_notices() {
	profile "$TMP/n" 'getpid\nexit\nexit_group\nrt_sigreturn\nrestart_syscall\n' \
		'getpid\nexit_group\n' 'getpid\n'
	sc -o "$TMP/n-out" "$TMP/n"
	check "notice_names_calls_added_to_a_phase" \
		err_has "notice: $TMP/n/running: added calls every phase needs: exit, rt_sigreturn, restart_syscall$"
	check "no_notice_when_phase_lists_them_all" sh -c "! grep -q 'n/booting: added' '$TMP/err'"
	check "added_calls_are_in_the_filter" \
		sh -c "'$SC' -q --pfc '$TMP/n' | awk '/phase: shutdown/{f=1} f' | grep -q 'syscall \"restart_syscall\"'"
	sc -q -o "$TMP/n-out" "$TMP/n"
	check "quiet_silences_notices_and_summaries" sh -c "[ $RC -eq 0 ] && [ ! -s '$TMP/err' ]"

	profile "$TMP/messy" '  getpid   # why\n\n\t# only a comment\nread\ngetpid\nread\t\n' \
		'getpid\n' 'getpid\n'
	profile "$TMP/clean" 'getpid\nread\n' 'getpid\n' 'getpid\n'
	sc -q -o "$TMP/messy-out" "$TMP/messy"
	sc -q -o "$TMP/clean-out" "$TMP/clean"
	check "comments_blanks_whitespace_duplicates_do_not_matter" \
		same "$TMP/messy-out/booting" "$TMP/clean-out/booting"

	sc -q --pfc "$BASE"
	check "pfc_prints_each_phase" \
		sh -c "[ $RC -eq 0 ] && [ \$(grep -c '^# speaker phase: ' '$TMP/out') -eq 3 ] && grep -q 'action KILL_PROCESS' '$TMP/out'"
}

# ---------------------------------------------------------------------
# writing into an item

test_item_write() {
	item "$TMP/item"
	sc "$BASE" "$TMP/item"
	check "write_into_item_exit_0" rc_is 0
	check "item_reads_back_what_output_mode_writes" sh -c "
		'$SC' -q -o '$TMP/item-ref' '$BASE' &&
		cmp -s '$TMP/item/booting' '$TMP/item-ref/booting' &&
		cmp -s '$TMP/item/running' '$TMP/item-ref/running' &&
		cmp -s '$TMP/item/shutdown' '$TMP/item-ref/shutdown'"
	check "item_write_prints_one_line_per_phase" \
		sh -c "[ \$(grep -cE '^(booting|running|shutdown): [0-9]+ calls, [0-9]+ insns$' '$TMP/err') -eq 3 ]"

	# a shorter program must replace a longer one completely
	profile "$TMP/short" 'getpid\n' 'getpid\n' 'getpid\n'
	printf '%04096d' 0 >"$TMP/item/running"
	sc -q "$TMP/short" "$TMP/item"
	sc -q -o "$TMP/short-out" "$TMP/short"
	check "shorter_program_replaces_longer_one" same "$TMP/item/running" "$TMP/short-out/running"

	sc -q "$BASE" "$TMP/nonexistent-item"
	check "missing_item_dir_exit_6" \
		sh -c "[ $RC -eq 6 ] && grep -q 'nonexistent-item: not a directory' '$TMP/err'"
	mkdir -p "$TMP/notitem"
	sc "$BASE" "$TMP/notitem"
	check "directory_without_attributes_exit_6" \
		sh -c "[ $RC -eq 6 ] && grep -q 'not a speaker item' '$TMP/err'"
}

# an item holding old programs from another profile
old_item() {
	item "$1"
	cp "$TMP/old/booting" "$TMP/old/running" "$TMP/old/shutdown" "$1/"
}

test_item_refusal() {
	profile "$TMP/oldp" 'getpid\ngetppid\n' 'getppid\n' 'getuid\n'
	"$SC" -q -o "$TMP/old" "$TMP/oldp"

	# The kernel keeps the old program and says why in status; a
	# running attribute that drops every write (/dev/null) reads back
	# what a refused write reads back: not what was written.
	old_item "$TMP/ref"
	ln -sf /dev/null "$TMP/ref/running"
	printf 'booting 9 ok\nrunning 0 refused: jump out of range at insn 5\nshutdown 9 ok\n' \
		>"$TMP/ref/status"
	sc "$BASE" "$TMP/ref"
	check "kernel_refusal_exit_7" rc_is 7
	check "kernel_refusal_names_phase_and_reason" \
		err_has "refused the running program: jump out of range at insn 5"
	check "phase_written_before_refusal_is_restored" same "$TMP/ref/booting" "$TMP/old/booting"
	check "phase_after_refusal_is_untouched" same "$TMP/ref/shutdown" "$TMP/old/shutdown"
	check "no_summary_lines_after_refusal" \
		sh -c "! grep -qE '^(booting|running|shutdown): [0-9]+ calls' '$TMP/err'"

	old_item "$TMP/ref0"
	rm "$TMP/ref0/status"
	ln -sf /dev/null "$TMP/ref0/booting"
	sc "$BASE" "$TMP/ref0"
	check "refusal_of_first_phase_exit_7_without_status" \
		sh -c "[ $RC -eq 7 ] && grep -q 'the booting program reads back different from what was written (no status)' '$TMP/err'"
	check "refusal_of_first_phase_touches_nothing" sh -c "
		cmp -s '$TMP/ref0/running' '$TMP/old/running' &&
		cmp -s '$TMP/ref0/shutdown' '$TMP/old/shutdown'"

	# A phase that had no program is unloaded again through the item's
	# unload attribute. A plain file cannot act on it, so the fake item
	# keeps the new programs and the tool must say so (exit 8) after
	# asking for the unloads (the last one, running, is what the file
	# holds).
	item "$TMP/refe"
	ln -sf /dev/null "$TMP/refe/shutdown"
	: >"$TMP/refe/unload"
	sc "$BASE" "$TMP/refe"
	check "phases_without_program_are_unloaded_again" sh -c "
		[ $RC -eq 8 ] && [ \"\$(cat '$TMP/refe/unload')\" = running ] &&
		grep -q 'cannot restore the previous booting program' '$TMP/err' &&
		grep -q 'cannot restore the previous running program' '$TMP/err'"
	check "status_line_without_reason_is_quoted" \
		err_has "the shutdown program reads back different from what was written (status: 'shutdown 0 none')"
}

# make FILE unwritable but readable, even for root
unwritable() {
	if [ "$(id -u)" -ne 0 ]; then
		chmod 0444 "$1"
	else
		chattr +i "$1" 2>/dev/null
	fi
}

test_item_write_failure() {
	old_item "$TMP/wf"
	if ! unwritable "$TMP/wf/running"; then
		skip "write_failure_restores" "cannot make a file unwritable here"
	else
		sc "$BASE" "$TMP/wf"
		check "write_failure_exit_6" rc_is 6
		check "write_failure_names_the_attribute" err_has "cannot write $TMP/wf/running"
		check "write_failure_restores_earlier_phase" same "$TMP/wf/booting" "$TMP/old/booting"
		check "write_failure_leaves_later_phase" same "$TMP/wf/shutdown" "$TMP/old/shutdown"
		chattr -i "$TMP/wf/running" 2>/dev/null
	fi

	old_item "$TMP/wd"
	rm "$TMP/wd/running"
	mkdir "$TMP/wd/running"
	sc "$BASE" "$TMP/wd"
	check "unreadable_attribute_exit_6_before_any_write" \
		sh -c "[ $RC -eq 6 ] && cmp -s '$TMP/wd/booting' '$TMP/old/booting'"

	old_item "$TMP/ce"
	sc "$TMP/bad" "$TMP/ce"
	check "compile_error_leaves_item_untouched" sh -c "
		[ $RC -eq 3 ] &&
		cmp -s '$TMP/ce/booting' '$TMP/old/booting' &&
		cmp -s '$TMP/ce/running' '$TMP/old/running' &&
		cmp -s '$TMP/ce/shutdown' '$TMP/old/shutdown'"
}

# ---------------------------------------------------------------------
# the recorded parser

dump_is() {
	printf '%b' "$1" >"$TMP/rec"
	got=$("$DUMP" "$TMP/rec")
	want=$(printf '%b' "$2")
	[ "$got" = "$want" ] || { echo "# got '$got', want '$want'"; return 1; }
}

test_recorded_parser() {
	check "recorded_parses_the_documented_example" \
		dump_is 'booting x86_64 0 1 3 9 59 231\nrunning i386 4\n' \
		'booting x86_64 0 1 3 9 59 231\nrunning i386 4'
	check "recorded_sorts_dedups_and_merges_lines" \
		dump_is 'running x86_64 9 3 3\nbooting x32 1073741825\nrunning  x86_64\t1 \n' \
		'booting x32 1073741825\nrunning x86_64 1 3 9'
	check "recorded_empty_is_fine" dump_is '' ''
	check "recorded_unknown_phase_names_line" \
		dump_is 'booting x86_64 1\nrunnin x86_64 2\n' "$TMP/rec:2: unknown phase 'runnin'"
	check "recorded_unknown_arch" \
		dump_is 'booting arm64 1\n' "$TMP/rec:1: unknown architecture 'arm64'"
	check "recorded_x32_needs_bit_30" \
		dump_is 'booting x32 1\n' "$TMP/rec:1: 1 is not a valid x32 number"
	check "recorded_native_must_not_have_bit_30" \
		dump_is 'booting x86_64 1073741825\n' "$TMP/rec:1: 1073741825 is not a valid x86_64 number"
	check "recorded_rejects_non_numbers" \
		dump_is 'booting x86_64 1 -2\n' "$TMP/rec:1: '-2' is not a system call number"
	check "recorded_rejects_numbers_over_32_bits" \
		dump_is 'booting x86_64 4294967296\n' "$TMP/rec:1: '4294967296' is not a system call number"
}

# ---------------------------------------------------------------------
# save

test_save() {
	# shellcheck disable=SC2046 # one argument per number
	gap=$(plain_gap $("$BPF" --unnamed))
	[ "$gap" -gt 0 ] || gap=$(($("$BPF" --unnamed | cut -d' ' -f1) + 1))
	mkdir -p "$TMP/trace/web"
	printf '%s\n' 'booting x86_64 0 1 3 9 59 231' \
		"running x86_64 0 1 39 60 201 231 $gap" \
		'running i386 20 4 102' 'running x32 1073741863' \
		>"$TMP/trace/web/recorded"
	sc --save "$TMP/trace/web" "$TMP/saved"
	check "save_exit_0" rc_is 0
	check "save_header_names_item_kernel_and_utc_date" sh -c "
		grep -q '^# traced by speaker item \"web\" ($TMP/trace/web)' '$TMP/saved/running' &&
		grep -q \"^# kernel $(uname -r), saved [0-9-]* [0-9:]* UTC\" '$TMP/saved/running'"
	check "save_writes_native_names_sorted" sh -c "
		grep -v '^#' '$TMP/saved/booting' | sed '/^\$/,\$d' >'$TMP/names' &&
		[ \"\$(cat '$TMP/names')\" = \"\$(printf 'close\nexecve\nexit_group\nmmap\nread\nwrite')\" ]"
	check "save_writes_other_arches_qualified" sh -c "
		grep -qx 'i386:getpid' '$TMP/saved/running' &&
		grep -qx 'i386:socketcall' '$TMP/saved/running' &&
		grep -qx 'x32:getpid' '$TMP/saved/running'"
	check "save_keeps_unnamed_native_number" grep -q "^$gap	# no name in libseccomp" "$TMP/saved/running"
	check "save_adds_always_needed_calls_it_did_not_see" sh -c "
		grep -qx 'restart_syscall' '$TMP/saved/booting' &&
		grep -qx 'i386:rt_sigreturn' '$TMP/saved/running'"
	check "save_adds_vdso_calls_it_did_not_see" sh -c "
		sed -n '/vDSO answers them/,\$p' '$TMP/saved/booting' >'$TMP/vdso' &&
		grep -qx 'gettimeofday' '$TMP/vdso' && grep -qx 'getcpu' '$TMP/vdso' &&
		grep -qx 'i386:clock_gettime64' '$TMP/saved/running' &&
		! grep -q '^i386:' '$TMP/saved/booting'"
	check "save_does_not_repeat_traced_vdso_call" sh -c "
		[ \$(grep -cx 'time' '$TMP/saved/running') -eq 1 ]"
	check "save_warns_about_empty_phase" sh -c "
		grep -q 'nothing recorded for shutdown' '$TMP/err' &&
		grep -q '^# nothing was recorded in this phase' '$TMP/saved/shutdown'"

	sc -d errno:1 -o "$TMP/saved-out" "$TMP/saved"
	check "saved_profile_compiles_without_notices" \
		sh -c "[ $RC -eq 0 ] && ! grep -q notice '$TMP/err'"
	check "saved_profile_allows_traced_call" runs "$TMP/saved-out/running" 39 returned
	check "saved_profile_denies_untraced_call" runs "$TMP/saved-out/running" 110 "errno 1"
	if [ "$("$BPF" --probe i386:20)" = returned ]; then
		check "saved_profile_allows_traced_i386_call" \
			runs "$TMP/saved-out/running" i386:20 returned
	fi
	check "saved_unnamed_number_is_allowed" sh -c "
		'$SC' -q --pfc '$TMP/saved' | grep -A1 'if (\$syscall == $gap)' | grep -q ALLOW"

	(cd "$TMP/trace/web" && "$SC" -q --save . "$TMP/saved-dot" 2>/dev/null)
	check "save_from_dot_names_the_item" \
		grep -q '^# traced by speaker item "web"' "$TMP/saved-dot/booting"

	sc --save "$TMP/trace/web" "$TMP/saved"
	check "save_refuses_to_overwrite_exit_6" \
		sh -c "[ $RC -eq 6 ] && grep -q 'exists; --force replaces it' '$TMP/err'"
	sc --save --force "$TMP/trace/web" "$TMP/saved"
	check "save_force_overwrites" rc_is 0

	mkdir -p "$TMP/trace/bad"
	printf 'booting x86_64 1\nrunning i386 twenty\n' >"$TMP/trace/bad/recorded"
	sc --save "$TMP/trace/bad" "$TMP/saved-bad"
	check "save_malformed_recorded_exit_9_naming_line" sh -c "
		[ $RC -eq 9 ] && grep -q 'bad/recorded:2: .twenty. is not a system call number' '$TMP/err' &&
		[ ! -e '$TMP/saved-bad/booting' ]"

	printf 'running i386 1000\n' >"$TMP/trace/bad/recorded"
	sc --save "$TMP/trace/bad" "$TMP/saved-bad"
	check "save_unnamed_i386_number_exit_9" sh -c "
		[ $RC -eq 9 ] && grep -q 'i386 call 1000 has no name' '$TMP/err' &&
		[ ! -e '$TMP/saved-bad/running' ]"

	sc --save "$TMP/trace" "$TMP/saved-none"
	check "save_without_recorded_exit_4" rc_is 4
}

test_command_line
test_compile_to_files
test_seccomp_verdicts
test_unnamed_numbers
test_fallbacks
test_arches
test_profile_errors
test_notices
test_item_write
test_item_refusal
test_item_write_failure
test_recorded_parser
test_save

tap_done
