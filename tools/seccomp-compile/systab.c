// SPDX-License-Identifier: GPL-2.0
/*
 * systab.c - system call names and numbers per arch, as libseccomp knows
 * them. Built once from seccomp_syscall_resolve_num_arch(): the tool keeps
 * no table of its own.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "speaker-compile.h"

static const uint32_t arch_tokens[NR_ARCHES] = {
	[ARCH_X86_64] = SCMP_ARCH_X86_64,
	[ARCH_I386] = SCMP_ARCH_X86,
	[ARCH_X32] = SCMP_ARCH_X32,
};

static char *names[NR_ARCHES][NR_SPAN];

uint32_t systab_token(enum speaker_arch arch)
{
	return arch_tokens[arch];
}

uint32_t systab_base(enum speaker_arch arch)
{
	return arch == ARCH_X32 ? X32_SYSCALL_BIT : 0;
}

int systab_init(void)
{
	uint32_t base, i, known;
	int arch;

	for (arch = 0; arch < NR_ARCHES; arch++) {
		base = systab_base(arch);
		known = 0;
		for (i = 0; i < NR_SPAN; i++) {
			names[arch][i] = seccomp_syscall_resolve_num_arch(
					arch_tokens[arch], (int)(base + i));
			known += names[arch][i] != NULL;
		}
		if (!known)
			return -ENOENT;
	}
	return 0;
}

const char *systab_name(enum speaker_arch arch, uint32_t nr)
{
	uint32_t base = systab_base(arch);

	if (nr < base || nr - base >= NR_SPAN)
		return NULL;
	return names[arch][nr - base];
}

int64_t systab_number(enum speaker_arch arch, const char *name)
{
	uint32_t i;

	for (i = 0; i < NR_SPAN; i++)
		if (names[arch][i] && !strcmp(names[arch][i], name))
			return (int64_t)systab_base(arch) + i;
	return -1;
}
