// SPDX-License-Identifier: GPL-2.0
/*
 * filter.c - build a phase's filter with libseccomp
 *
 * One libseccomp context per arch of the profile, merged into one filter:
 * a context's rules apply to all of its arches, and the profile can allow
 * a call on one arch only. libseccomp emits the arch check first; calls of
 * an arch the filter lacks (x32 calls included) get the default action.
 *
 * Calls newer than the profile get ERRNO(ENOSYS), so that they fail the
 * way libc and programs expect from an older kernel and fall back to the
 * older call: native numbers that libseccomp cannot name, up to
 * ENOSYS_LAST_NR, and the newer call of each fallback pair below when
 * the profile allows one of its older forms but not it (a profile written
 * for an older libc). Allowed calls get the highest priority, so
 * libseccomp tests them before those numbers.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "filter.h"

#define MAX_ERRNO	4095

static int parse_errno(const char *s, uint32_t *action)
{
	const char *name;
	char *end;
	long n;
	int i;

	if (*s >= '0' && *s <= '9') {
		n = strtol(s, &end, 10);
		if (*end || n < 1 || n > MAX_ERRNO)
			return -EINVAL;
		*action = SCMP_ACT_ERRNO((uint32_t)n);
		return 0;
	}
	/* glibc names errno values; no table of our own */
	for (i = 1; i <= MAX_ERRNO; i++) {
		name = strerrorname_np(i);
		if (name && !strcmp(name, s)) {
			*action = SCMP_ACT_ERRNO((uint32_t)i);
			return 0;
		}
	}
	return -EINVAL;
}

int parse_action(const char *s, uint32_t *action)
{
	static const struct {
		const char *name;
		uint32_t action;
	} actions[] = {
		{ "kill-process", SCMP_ACT_KILL_PROCESS },
		{ "kill-thread", SCMP_ACT_KILL_THREAD },
		{ "trap", SCMP_ACT_TRAP },
		{ "log", SCMP_ACT_LOG },
	};
	size_t i;

	if (!strncmp(s, "errno:", 6))
		return parse_errno(s + 6, action);
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (!strcmp(s, actions[i].name)) {
			*action = actions[i].action;
			return 0;
		}
	}
	return -EINVAL;
}

static scmp_filter_ctx arch_ctx(enum speaker_arch arch, uint32_t def_action)
{
	scmp_filter_ctx ctx = seccomp_init(def_action);

	if (!ctx)
		return NULL;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, def_action))
		goto fail;
	if (arch == ARCH_X86_64)
		return ctx;
	if (seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE) ||
	    seccomp_arch_add(ctx, systab_token(arch)))
		goto fail;
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

/*
 * libseccomp takes native numbers and translates them to the context's
 * arch by name; a call the native arch lacks has a negative pseudo number
 * that it maps back.
 */
static int rule_number(enum speaker_arch arch, uint32_t nr)
{
	if (arch == ARCH_X86_64)
		return (int)nr;
	return seccomp_syscall_resolve_name(systab_name(arch, nr));
}

static int add_allowed(scmp_filter_ctx ctx, const struct profile *p,
		       enum speaker_arch arch)
{
	uint32_t base = systab_base(arch), i;
	int nr, ret;

	for (i = 0; i < NR_SPAN; i++) {
		if (!profile_allows(p, arch, base + i))
			continue;
		nr = rule_number(arch, base + i);
		ret = seccomp_rule_add_exact(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (!ret)
			ret = seccomp_syscall_priority(ctx, nr, 255);
		if (ret) {
			error("%s: libseccomp cannot allow %s call %u: %s",
			      p->path, speaker_arch_names[arch], base + i,
			      strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/*
 * A newer call that glibc (or, for openat2 and close_range, the programs
 * that use them) replaces with an older one when the kernel answers
 * ENOSYS, and the older forms.
 */
static const struct {
	const char *newer;
	const char *older[5];	/* NULL-terminated */
} fallbacks[] = {
	{ "clone3", { "clone" } },
	{ "faccessat2", { "faccessat", "access" } },
	{ "statx", { "newfstatat", "stat", "lstat", "fstat" } },
	{ "openat2", { "openat", "open" } },
	{ "close_range", { "close" } },
};

/* Does @p allow one of the older forms of fallbacks[@i]? */
static bool allows_older(const struct profile *p, size_t i)
{
	const char *const *old;
	int64_t nr;

	for (old = fallbacks[i].older; *old; old++) {
		nr = systab_number(ARCH_X86_64, *old);
		if (nr >= 0 && profile_allows(p, ARCH_X86_64, (uint32_t)nr))
			return true;
	}
	return false;
}

static int add_enosys_rule(scmp_filter_ctx ctx, uint32_t nr)
{
	int ret = seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(ENOSYS), (int)nr,
					 0);

	if (ret)
		error("libseccomp cannot add ENOSYS for %u: %s", nr,
		      strerror(-ret));
	return ret;
}

static int add_enosys(scmp_filter_ctx ctx, const struct profile *p,
		      uint32_t def_action)
{
	int64_t nr;
	size_t i;
	int ret;

	if (def_action == SCMP_ACT_ERRNO(ENOSYS))
		return 0;	/* libseccomp refuses rules that repeat it */
	for (nr = 0; nr <= ENOSYS_LAST_NR; nr++) {
		if (systab_name(ARCH_X86_64, nr) ||
		    profile_allows(p, ARCH_X86_64, nr))
			continue;
		ret = add_enosys_rule(ctx, nr);
		if (ret)
			return ret;
	}
	for (i = 0; i < sizeof(fallbacks) / sizeof(fallbacks[0]); i++) {
		nr = systab_number(ARCH_X86_64, fallbacks[i].newer);
		if (nr < 0 || profile_allows(p, ARCH_X86_64, nr) ||
		    !allows_older(p, i))
			continue;
		ret = add_enosys_rule(ctx, nr);
		if (ret)
			return ret;
	}
	return 0;
}

static scmp_filter_ctx build(const struct profile *p, uint32_t def_action)
{
	scmp_filter_ctx ctx = NULL, other;
	int arch;

	for (arch = 0; arch < NR_ARCHES; arch++) {
		if (!p->arch_used[arch])
			continue;
		other = arch_ctx(arch, def_action);
		if (!other)
			goto fail;
		if (add_allowed(other, p, arch) ||
		    (arch == ARCH_X86_64 && add_enosys(other, p, def_action)))
			goto fail_other;
		if (!ctx)
			ctx = other;
		else if (seccomp_merge(ctx, other))
			goto fail_other;
	}
	return ctx;
fail_other:
	seccomp_release(other);
fail:
	seccomp_release(ctx);
	return NULL;
}

/* Run one of libseccomp's exporters into memory. */
static int export(scmp_filter_ctx ctx,
		  int (*exporter)(const scmp_filter_ctx ctx, int fd),
		  struct buf *out)
{
	int fd = memfd_create("speaker-compile", MFD_CLOEXEC);
	off_t size;
	int ret;

	if (fd < 0)
		return -errno;
	ret = exporter(ctx, fd);
	if (ret)
		goto out;
	size = lseek(fd, 0, SEEK_END);
	if (size < 0) {
		ret = -errno;
		goto out;
	}
	out->len = (size_t)size;
	out->data = malloc(out->len + 1);
	if (!out->data) {
		ret = -ENOMEM;
		goto out;
	}
	if (pread(fd, out->data, out->len, 0) != size)
		ret = -EIO;
out:
	close(fd);
	if (ret)
		buf_free(out);
	return ret;
}

int filter_compile(const struct profile *p, uint32_t def_action,
		   bool want_pfc, struct compiled *out)
{
	scmp_filter_ctx ctx;
	int ret;

	memset(out, 0, sizeof(*out));
	ctx = build(p, def_action);
	if (!ctx) {
		error("%s: libseccomp could not build the filter", p->path);
		return EXIT_INTERNAL;
	}
	ret = export(ctx, seccomp_export_bpf, &out->bpf);
	if (!ret && want_pfc)
		ret = export(ctx, seccomp_export_pfc, &out->pfc);
	seccomp_release(ctx);
	if (ret) {
		error("%s: libseccomp could not export the filter: %s",
		      p->path, strerror(-ret));
		return EXIT_INTERNAL;
	}
	out->insns = out->bpf.len / INSN_SIZE;
	if (out->insns > MAX_INSNS) {
		error("%s: the filter has %u instructions, more than the kernel's %d",
		      p->path, out->insns, MAX_INSNS);
		return EXIT_PROFILE;
	}
	return EXIT_OK;
}

void compiled_free(struct compiled *c)
{
	buf_free(&c->bpf);
	buf_free(&c->pfc);
}
