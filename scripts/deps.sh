#!/usr/bin/env bash
# Install what building and testing speaker needs on Debian 12 (run as root).
# Idempotent and silent when everything is already installed.
set -euo pipefail

# Build: module against both kernels, user-space tools, selftests, checkpatch.
BUILD_PKGS=(
	make gcc libc6-dev linux-libc-dev libseccomp-dev kmod perl rsync xz-utils
	libjson-c-dev
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.12
)

# VM runner: TCG QEMU, a static busybox for the initramfs.
VM_PKGS=(qemu-system-x86 busybox-static cpio gzip coreutils)

# Run inside the guest from the host's root file system.
GUEST_PKGS=(
	util-linux iproute2 procps strace
	redis-server redis-tools nginx-light mariadb-server mariadb-client
	docker.io podman
	runc
	curl jq
)

POLICY_RC=/usr/sbin/policy-rc.d
POLICY_RC_SAVED=$POLICY_RC.speaker-saved

die() {
	printf 'deps.sh: %s\n' "$*" >&2
	exit 1
}

# Print the packages from "$@" that are not fully installed.
missing_pkgs() {
	local pkg status
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
		[[ $status == ii* ]] || printf '%s\n' "$pkg"
	done
}

# Keep package scripts from starting services (redis, nginx, mariadb,
# docker) on the host: invoke-rc.d takes exit code 101 as "not allowed".
# A policy the machine already has is set aside and put back afterwards.
block_service_starts() {
	if [[ -e $POLICY_RC ]]; then
		mv "$POLICY_RC" "$POLICY_RC_SAVED"
	fi
	printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC"
	chmod 755 "$POLICY_RC"
	trap restore_service_policy EXIT
	trap 'restore_service_policy; exit 130' INT TERM
}

restore_service_policy() {
	rm -f "$POLICY_RC"
	if [[ -e $POLICY_RC_SAVED ]]; then
		mv "$POLICY_RC_SAVED" "$POLICY_RC"
	fi
	trap - EXIT INT TERM
}

install_pkgs() {
	local log rc=0

	log=$(mktemp /tmp/speaker-deps.XXXXXX)
	printf 'deps.sh: installing %s\n' "$*"
	block_service_starts
	{
		apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
	} >"$log" 2>&1 || rc=$?
	restore_service_policy
	if ((rc != 0)); then
		cat "$log" >&2
		rm -f "$log"
		die "apt-get failed (exit $rc)"
	fi
	rm -f "$log"
}

main() {
	local -a missing

	[[ $(id -u) -eq 0 ]] || die "must run as root (installs packages)"
	command -v dpkg-query >/dev/null || die "needs a Debian system (no dpkg-query)"
	mapfile -t missing < <(missing_pkgs "${BUILD_PKGS[@]}" "${VM_PKGS[@]}" \
		"${GUEST_PKGS[@]}")
	((${#missing[@]} == 0)) || install_pkgs "${missing[@]}"
}

main "$@"
