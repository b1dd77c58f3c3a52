// SPDX-License-Identifier: GPL-2.0
/*
 * System call names, generated at build time from the target kernel's
 * own uapi headers (see gen-syscall-names.sh), for log lines and for the
 * violations attribute.
 */

#include <linux/kernel.h>

#include "speaker.h"
#include "syscall_names.h"

/**
 * speaker_syscall_name() - name a system call
 * @slot: arch slot (enum speaker_arch)
 * @idx: number within the slot, without the x32 bit
 *
 * Return: the name, or NULL when the kernel's headers have none.
 */
const char *speaker_syscall_name(int slot, unsigned int idx)
{
	switch (slot) {
	case SPEAKER_ARCH_X86_64:
		return idx < ARRAY_SIZE(speaker_names_x86_64) ?
			speaker_names_x86_64[idx] : NULL;
	case SPEAKER_ARCH_X32:
		return idx < ARRAY_SIZE(speaker_names_x32) ?
			speaker_names_x32[idx] : NULL;
	case SPEAKER_ARCH_I386:
		return idx < ARRAY_SIZE(speaker_names_i386) ?
			speaker_names_i386[idx] : NULL;
	}
	return NULL;
}
