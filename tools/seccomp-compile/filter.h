/* SPDX-License-Identifier: GPL-2.0 */
/*
 * filter.h - a phase's profile to a seccomp filter, through libseccomp
 */
#ifndef SPEAKER_FILTER_H
#define SPEAKER_FILTER_H

#include "profile.h"

/**
 * parse_action() - parse a --default ACTION
 * @s: kill-process, kill-thread, trap, log, errno:N or errno:ENAME
 * @action: the libseccomp action (SCMP_ACT_*)
 *
 * Return: 0, or -EINVAL for anything else.
 */
int parse_action(const char *s, uint32_t *action);

struct compiled {
	struct buf bpf;		/* as seccomp_export_bpf() writes it */
	struct buf pfc;		/* only when asked for */
	unsigned int insns;
};

/**
 * filter_compile() - turn a resolved profile into a filter
 * @p: the profile, with the always-allowed calls added
 * @def_action: for calls the profile does not allow, and other arches
 * @want_pfc: also export libseccomp's PFC text
 * @out: filled in; release with compiled_free()
 *
 * Return: EXIT_OK, EXIT_PROFILE (too large) or EXIT_INTERNAL.
 */
int filter_compile(const struct profile *p, uint32_t def_action,
		   bool want_pfc, struct compiled *out);

void compiled_free(struct compiled *c);

#endif /* SPEAKER_FILTER_H */
