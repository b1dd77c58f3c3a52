/* SPDX-License-Identifier: GPL-2.0 */
/*
 * recorded.h - the text ABI of a speaker configfs item, for user space
 *
 * Phase and architecture names as the item's attributes spell them, and a
 * parser for the "recorded" attribute that trace (learning) mode fills:
 *
 *	<phase> <arch> <nr> <nr> ...
 *
 * one line per (phase, arch) that has any call; phase is booting, running
 * or shutdown, arch is x86_64, x32 or i386, numbers are decimal as
 * seccomp_data.nr has them (x32 calls carry bit 30).
 *
 * This file and recorded.c need only libc, so other tools and selftests
 * can reuse them.
 */
#ifndef SPEAKER_RECORDED_H
#define SPEAKER_RECORDED_H

#include <stddef.h>
#include <stdint.h>

enum speaker_phase {
	PHASE_BOOTING,
	PHASE_RUNNING,
	PHASE_SHUTDOWN,
	NR_PHASES
};

enum speaker_arch {
	ARCH_X86_64,	/* the native arch: always first */
	ARCH_I386,
	ARCH_X32,
	NR_ARCHES
};

#define X32_SYSCALL_BIT	0x40000000u

extern const char *const speaker_phase_names[NR_PHASES];
extern const char *const speaker_arch_names[NR_ARCHES];

/* Index of the phase or arch named by s[0..len), or -1. */
int speaker_phase_lookup(const char *s, size_t len);
int speaker_arch_lookup(const char *s, size_t len);

/* The numbers recorded for one (phase, arch): ascending, no duplicates. */
struct recorded_set {
	uint32_t *nr;
	size_t count;
};

struct recorded {
	struct recorded_set set[NR_PHASES][NR_ARCHES];
};

struct recorded_error {
	unsigned int line;	/* 1-based line of the first error */
	char msg[128];
};

/**
 * recorded_parse() - parse the text of a "recorded" attribute
 * @text: the text, need not be NUL-terminated
 * @len: its length in bytes
 * @rec: filled on success; release with recorded_free()
 * @err: on failure, the line and a message saying what is wrong
 *
 * Lines may come in any order and numbers unsorted; a (phase, arch) given
 * on two lines is merged. An x32 number without bit 30, or a non-x32
 * number with it, is an error.
 *
 * Return: 0 on success, -EINVAL on malformed text, -ENOMEM.
 */
int recorded_parse(const char *text, size_t len, struct recorded *rec,
		   struct recorded_error *err);

void recorded_free(struct recorded *rec);

#endif /* SPEAKER_RECORDED_H */
