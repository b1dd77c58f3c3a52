#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of speaker-compile's profile exchange with Docker:
# --export-docker and --import-docker. No VM, no module: exported
# profiles are read back with --import-docker (json-c) and compiled, and
# what they allow is checked under real seccomp with tests/bpf-run.
# Prints TAP and "N passed, N failed".
#
# Run from anywhere: sh tests/docker-tests.sh (make check builds first).

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SC=$HERE/../speaker-compile
BPF=$HERE/bpf-run
PODMAN_PROFILE=/usr/share/containers/seccomp.json

. "$HERE/../../tap.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/speaker-docker-test.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

# check NAME COMMAND...: pass when COMMAND succeeds; on failure show the
# last speaker-compile's stderr and the start of its stdout.
check() {
	name=$1
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name" "failed: $*" "stderr was:" \
			"$(sed 's/^/#   /' "$TMP/err" 2>/dev/null)" "stdout began:" \
			"$(head -n 12 "$TMP/out" 2>/dev/null | sed 's/^/#   /')"
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

out_has() {
	grep -q -- "$1" "$TMP/out"
}

out_lacks() {
	! grep -q -- "$1" "$TMP/out"
}

err_has() {
	grep -q -- "$1" "$TMP/err"
}

# The entries of a phase list (or of stdin): no comments, no blanks.
entries() {
	grep -v -e '^#' -e '^$' "$@"
}

# profile DIR BOOTING RUNNING SHUTDOWN: contents as printf formats
profile() {
	mkdir -p "$1"
	printf '%b' "$2" >"$1/booting"
	printf '%b' "$3" >"$1/running"
	printf '%b' "$4" >"$1/shutdown"
}

# same_phase DIR LIST: a profile whose three phases are LIST
same_phase() {
	mkdir -p "$1"
	for phase in booting running shutdown; do
		cp "$2" "$1/$phase"
	done
}

# runs BLOB CALL WANT: bpf-run's verdict for CALL under BLOB is WANT
runs() {
	got=$("$BPF" "$1" "$2")
	[ "$got" = "$3" ] || { echo "# $2 under $1: got '$got', want '$3'"; return 1; }
}

# ---------------------------------------------------------------------
# export

test_export() {
	profile "$TMP/web" 'read\nopenat\n' 'write\n' 'unlink\n'
	sc -q --export-docker "$TMP/web"
	check "export_exit_0" rc_is 0
	cp "$TMP/out" "$TMP/web.json"
	check "export_default_action_is_errno" \
		out_has '"defaultAction": "SCMP_ACT_ERRNO"'
	check "export_has_one_allow_rule" \
		sh -c "[ \$(grep -c '\"action\"' '$TMP/out') -eq 1 ] && grep -q '\"action\": \"SCMP_ACT_ALLOW\"' '$TMP/out'"
	check "export_arches_are_x86_64_only_for_native_profile" \
		sh -c "grep -q '\"SCMP_ARCH_X86_64\"' '$TMP/out' && ! grep -q 'SCMP_ARCH_X86\"\\|SCMP_ARCH_X32' '$TMP/out'"

	sc -q --import-docker "$TMP/web.json"
	check "exported_json_reads_back_with_json_c" rc_is 0
	entries "$TMP/out" >"$TMP/web.calls"
	printf '%s\n' exit exit_group openat read restart_syscall rt_sigreturn \
		unlink write >"$TMP/web.want"
	check "export_is_union_of_phases_plus_calls_every_phase_needs" \
		cmp -s "$TMP/web.want" "$TMP/web.calls"

	profile "$TMP/i386" 'read\n' 'i386:socketcall\n' 'read\n'
	sc -q --export-docker "$TMP/i386"
	check "export_adds_x86_arch_for_i386_calls" \
		sh -c "grep -q '\"SCMP_ARCH_X86\"' '$TMP/out' && grep -q '\"socketcall\"' '$TMP/out'"
	sc -q --export-docker -a x32 "$TMP/web"
	check "export_arch_option_adds_x32" out_has '"SCMP_ARCH_X32"'

	profile "$TMP/bad" 'read\n' 'nosuchcall\n' 'read\n'
	sc --export-docker "$TMP/bad"
	check "export_of_bad_profile_exits_3_and_prints_nothing" \
		sh -c "[ $RC -eq 3 ] && [ ! -s '$TMP/out' ] && grep -q 'bad/running:1: error' '$TMP/err'"
	rm "$TMP/bad/shutdown"
	sc --export-docker "$TMP/bad"
	check "export_with_missing_phase_exits_nonzero" \
		sh -c "[ $RC -ne 0 ] && [ ! -s '$TMP/out' ]"
	sc --export-docker -d errno:1 "$TMP/web"
	check "export_with_default_action_exits_2" rc_is 2
	sc --export-docker "$TMP/web" extra
	check "export_takes_one_argument_exit_2" rc_is 2
}

# Export, import and compile: what the exported bound allows under real
# seccomp is what the profile allows in some phase.
test_export_roundtrip() {
	profile "$TMP/rt" 'getpid\n' 'getppid\n' 'getuid\n'
	sc -q --export-docker "$TMP/rt"
	cp "$TMP/out" "$TMP/rt.json"
	sc -q --import-docker "$TMP/rt.json"
	cp "$TMP/out" "$TMP/rt.list"
	same_phase "$TMP/rt-back" "$TMP/rt.list"
	sc -q -d errno:1 -o "$TMP/rt-bpf" "$TMP/rt-back"
	check "roundtrip_list_compiles" rc_is 0
	check "roundtrip_allows_call_of_booting" runs "$TMP/rt-bpf/running" 39 returned
	check "roundtrip_allows_call_of_shutdown" runs "$TMP/rt-bpf/running" 102 returned
	check "roundtrip_denies_call_of_no_phase" runs "$TMP/rt-bpf/running" 104 "errno 1"
}

# ---------------------------------------------------------------------
# import

# docker_json FILE DEFAULT ARCHES RULES...: a profile with these rules
docker_json() {
	file=$1 def=$2 arches=$3
	shift 3
	{
		printf '{\n  "defaultAction": "%s",\n' "$def"
		printf '  "architectures": [%s],\n  "syscalls": [\n' "$arches"
		sep=''
		for rule in "$@"; do
			printf '%s    %s' "$sep" "$rule"
			sep=',
'
		done
		printf '\n  ]\n}\n'
	} >"$file"
}

X86_ALL='"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"'

test_import_rules() {
	docker_json "$TMP/d.json" SCMP_ACT_ERRNO '"SCMP_ARCH_X86_64"' \
		'{"names": ["write", "read"], "action": "SCMP_ACT_ALLOW"}' \
		'{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"}' \
		'{"name": "getpid", "action": "SCMP_ACT_LOG"}' \
		'{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}]}'
	sc -q --import-docker "$TMP/d.json"
	check "import_exit_0" rc_is 0
	entries "$TMP/out" >"$TMP/d.calls"
	printf '%s\n' clone getpid read write >"$TMP/d.want"
	check "import_lists_allowed_and_logged_calls_sorted" \
		cmp -s "$TMP/d.want" "$TMP/d.calls"
	check "import_notes_call_allowed_for_some_arguments" \
		sh -c "grep -A1 'only for some arguments' '$TMP/out' | grep -q '#.*clone'"
	check "import_of_native_profile_has_no_arch_line" out_lacks '^@arch'

	docker_json "$TMP/a.json" SCMP_ACT_ERRNO "$X86_ALL" \
		'{"names": ["read", "socketcall", "arm_fadvise64_64"], "action": "SCMP_ACT_ALLOW"}'
	sc -q --import-docker "$TMP/a.json"
	check "import_turns_x86_arches_into_at_arch_lines" \
		sh -c "grep -qx '@arch i386' '$TMP/out' && grep -qx '@arch x32' '$TMP/out'"
	check "import_keeps_i386_only_call_when_i386_is_listed" out_has '^socketcall$'
	check "import_leaves_out_calls_of_other_arches_with_comment" \
		sh -c "! grep -q '^arm_fadvise64_64' '$TMP/out' && grep -q '^#.*arm_fadvise64_64' '$TMP/out'"
	same_phase "$TMP/a-prof" "$TMP/out"
	sc -q -d errno:1 -o "$TMP/a-bpf" "$TMP/a-prof"
	check "imported_list_compiles" rc_is 0

	docker_json "$TMP/n.json" SCMP_ACT_ERRNO '"SCMP_ARCH_X86_64"' \
		'{"names": ["read", "socketcall"], "action": "SCMP_ACT_ALLOW"}'
	sc -q --import-docker "$TMP/n.json"
	check "import_leaves_out_i386_call_without_i386_arch" \
		sh -c "! grep -q '^socketcall' '$TMP/out' && grep -q '^read$' '$TMP/out'"
}

test_import_conditions() {
	docker_json "$TMP/c.json" SCMP_ACT_ERRNO '"SCMP_ARCH_X86_64"' \
		'{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {}, "excludes": {}}' \
		'{"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}}' \
		'{"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}}' \
		'{"names": ["getuid"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN"]}}' \
		'{"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}}' \
		'{"names": ["sync_file_range2"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["ppc64le"]}}' \
		'{"names": ["getppid"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}}' \
		'{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "2.6"}}' \
		'{"names": ["getgid"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "999.0"}}'
	sc -q --import-docker "$TMP/c.json"
	check "import_cap_rule_needs_the_cap" out_lacks '^mount$'
	check "import_grants_docker_default_caps" out_has '^chroot$'
	check "import_excluded_cap_absent_keeps_rule" out_has '^getuid$'
	check "import_arch_rule_for_amd64_applies" out_has '^arch_prctl$'
	check "import_arch_rule_for_other_arch_is_dropped" out_lacks 'sync_file_range2'
	check "import_rule_excluding_amd64_is_dropped" out_lacks '^getppid$'
	check "import_min_kernel_below_running_applies" out_has '^ptrace$'
	check "import_min_kernel_above_running_is_dropped" out_lacks '^getgid$'

	sc -q --import-docker --cap SYS_ADMIN "$TMP/c.json"
	check "import_cap_option_grants_cap" out_has '^mount$'
	check "import_cap_option_drops_rules_excluding_it" out_lacks '^getuid$'
	sc -q --import-docker --cap CAP_NET_ADMIN,sys_admin "$TMP/c.json"
	check "import_cap_option_takes_lists_and_cap_prefix" out_has '^mount$'
	sc --import-docker --cap SYS_FOO "$TMP/c.json"
	check "import_unknown_cap_exit_2" rc_is 2
	sc --cap SYS_ADMIN -o "$TMP/x" "$TMP/a-prof"
	check "cap_without_import_exit_2" rc_is 2
}

test_import_default_allow() {
	docker_json "$TMP/allow.json" SCMP_ACT_ALLOW '"SCMP_ARCH_X86_64"' \
		'{"names": ["ptrace", "kexec_load"], "action": "SCMP_ACT_KILL"}' \
		'{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 16, "op": "SCMP_CMP_EQ"}]}'
	sc -q --import-docker "$TMP/allow.json"
	check "import_default_allow_exit_0" rc_is 0
	check "import_default_allow_lists_every_other_call" \
		sh -c "[ \$(grep -c '^[a-z]' '$TMP/out') -gt 300 ] && grep -q '^read$' '$TMP/out' && grep -q '^bpf$' '$TMP/out'"
	check "import_default_allow_leaves_out_denied_calls" \
		sh -c "! grep -q '^ptrace$' '$TMP/out' && ! grep -q '^kexec_load$' '$TMP/out'"
	check "import_default_allow_keeps_call_denied_for_some_arguments" \
		sh -c "grep -q '^socket$' '$TMP/out' && grep -A1 'denied only for some' '$TMP/out' | grep -q socket"
}

test_import_formats() {
	cat >"$TMP/map.json" <<'EOF'
{
	"defaultAction": "SCMP_ACT_ERRNO",
	"archMap": [
		{ "architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"] },
		{ "architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"] }
	],
	"syscalls": [ { "names": ["read"], "action": "SCMP_ACT_ALLOW" } ]
}
EOF
	sc -q --import-docker "$TMP/map.json"
	check "import_archmap_uses_the_x86_64_entry" \
		sh -c "grep -qx '@arch i386' '$TMP/out' && ! grep -q '@arch x32' '$TMP/out'"

	cat >"$TMP/arm.json" <<'EOF'
{ "defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_AARCH64"],
  "syscalls": [ { "names": ["read"], "action": "SCMP_ACT_ALLOW" } ] }
EOF
	sc --import-docker "$TMP/arm.json"
	check "import_without_x86_64_exit_10" \
		sh -c "[ $RC -eq 10 ] && grep -q 'SCMP_ARCH_X86_64' '$TMP/err' && [ ! -s '$TMP/out' ]"

	cat >"$TMP/config.json" <<'EOF'
{ "ociVersion": "1.0.2", "process": { "args": ["sh"] },
  "linux": { "seccomp": { "defaultAction": "SCMP_ACT_ERRNO",
    "architectures": ["SCMP_ARCH_X86_64"],
    "syscalls": [ { "names": ["getpid", "read"], "action": "SCMP_ACT_ALLOW" } ] } } }
EOF
	sc -q --import-docker "$TMP/config.json"
	check "import_reads_linux_seccomp_of_oci_config" \
		sh -c "[ $RC -eq 0 ] && [ \"\$(grep -v '^#' '$TMP/out' | tr '\n' ' ')\" = 'getpid read ' ]"
	printf '{ "ociVersion": "1.0.2", "linux": {} }\n' >"$TMP/noseccomp.json"
	sc --import-docker "$TMP/noseccomp.json"
	check "import_oci_config_without_seccomp_exit_10" rc_is 10
}

test_import_errors() {
	docker_json "$TMP/act.json" SCMP_ACT_ERRNO '"SCMP_ARCH_X86_64"' \
		'{"names": ["read"], "action": "SCMP_ACT_ALLOW"}' \
		'{"names": ["write"], "action": "SCMP_ACT_MAYBE"}'
	sc --import-docker "$TMP/act.json"
	check "import_unknown_action_exit_10_naming_rule" \
		sh -c "[ $RC -eq 10 ] && grep -q 'syscalls\[1\]: unknown action .SCMP_ACT_MAYBE.' '$TMP/err' && [ ! -s '$TMP/out' ]"
	printf '{\n  "defaultAction": "SCMP_ACT_ERRNO",\n  "syscalls": [ { "names": ["read"] ]\n}\n' \
		>"$TMP/broken.json"
	sc --import-docker "$TMP/broken.json"
	check "import_malformed_json_exit_10_naming_line" \
		sh -c "[ $RC -eq 10 ] && grep -q 'broken.json:3: not JSON' '$TMP/err'"
	printf '{"defaultAction": "SCMP_ACT_ERRNO"} {}\n' >"$TMP/two.json"
	sc --import-docker "$TMP/two.json"
	check "import_text_after_json_exit_10" rc_is 10
	printf '{"syscalls": []}\n' >"$TMP/nodef.json"
	sc --import-docker "$TMP/nodef.json"
	check "import_without_default_action_exit_10" \
		sh -c "[ $RC -eq 10 ] && grep -q 'no defaultAction' '$TMP/err'"
	printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]}\n' \
		>"$TMP/nonames.json"
	sc --import-docker "$TMP/nonames.json"
	check "import_rule_without_names_exit_10" rc_is 10
	sc --import-docker "$TMP/nonexistent.json"
	check "import_missing_file_exit_4" rc_is 4
	sc --import-docker "$TMP/d.json" "$TMP/extra"
	check "import_takes_one_argument_exit_2" rc_is 2
	sc --import-docker --export-docker "$TMP/d.json"
	check "import_and_export_together_exit_2" rc_is 2
	sc --help
	check "help_names_exit_status_10" out_has '^ 10  '
}

# The default profile of the host's container tools, if any, in full.
test_import_real_profile() {
	if [ ! -r "$PODMAN_PROFILE" ]; then
		skip "import_real_container_profile_compiles" "no $PODMAN_PROFILE"
		return
	fi
	sc -q --import-docker "$PODMAN_PROFILE"
	cp "$TMP/out" "$TMP/real.list"
	same_phase "$TMP/real" "$TMP/real.list"
	sc -q -d errno:1 -o "$TMP/real-bpf" "$TMP/real"
	check "import_real_container_profile_compiles" rc_is 0
	check "import_real_profile_allows_getpid" runs "$TMP/real-bpf/running" 39 returned
	# kexec_load (246) is denied by every container default profile
	check "import_real_profile_denies_kexec_load" \
		runs "$TMP/real-bpf/running" 246 "errno 1"
}

test_export
test_export_roundtrip
test_import_rules
test_import_conditions
test_import_default_allow
test_import_formats
test_import_errors
test_import_real_profile

tap_done
