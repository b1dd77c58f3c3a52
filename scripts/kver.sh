#!/usr/bin/env bash
# Print the full version of an installed Debian kernel, found on disk.
#   scripts/kver.sh 6.12    -> e.g. 6.12.<n>+deb12-amd64
#   scripts/kver.sh 6.1     -> e.g. 6.1.0-<n>-amd64
#   scripts/kver.sh FULL    -> FULL, if that kernel is installed
# A kernel counts as installed when /boot/vmlinuz-V and /lib/modules/V exist.
# With several matches the newest generic amd64 flavour wins.
set -euo pipefail

usage() {
	echo "usage: scripts/kver.sh SERIES|VERSION   (SERIES like 6.12 or 6.1)" >&2
	exit 2
}

installed() {
	[[ -f /boot/vmlinuz-$1 && -d /lib/modules/$1 ]]
}

# Versions of series $1 (6.1 must not match 6.12), generic flavour first.
candidates() {
	local dir ver
	for dir in /lib/modules/"$1".*; do
		ver=${dir#/lib/modules/}
		installed "$ver" || continue
		case $ver in
		*-cloud-amd64 | *-rt-amd64) printf '1 %s\n' "$ver" ;;
		*-amd64) printf '0 %s\n' "$ver" ;;
		esac
	done | sort -k1,1n -k2,2Vr | awk 'NR == 1 { print $2 }'
}

main() {
	local want=${1:-} found

	[[ $# -eq 1 && -n $want ]] || usage
	if installed "$want"; then
		printf '%s\n' "$want"
		return
	fi
	[[ $want =~ ^[0-9]+\.[0-9]+$ ]] || {
		echo "kver.sh: kernel $want is not installed" >&2
		exit 1
	}
	found=$(candidates "$want")
	[[ -n $found ]] || {
		echo "kver.sh: no installed $want kernel (looked for /boot/vmlinuz-$want.* with /lib/modules)" >&2
		exit 1
	}
	printf '%s\n' "$found"
}

main "$@"
