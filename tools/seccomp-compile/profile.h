/* SPDX-License-Identifier: GPL-2.0 */
/*
 * profile.h - one phase's profile file, parsed and resolved to numbers
 */
#ifndef SPEAKER_PROFILE_H
#define SPEAKER_PROFILE_H

#include "speaker-compile.h"

struct profile {
	char *path;
	/* unqualified names apply to this arch (native, @arch, --arch) */
	bool arch_all[NR_ARCHES];
	/* the filter has a section for this arch */
	bool arch_used[NR_ARCHES];
	/* allowed numbers, counted from the arch's base */
	unsigned char allow[NR_ARCHES][NR_SPAN / 8];
	unsigned int count[NR_ARCHES];
};

/**
 * profile_load() - read, parse and resolve one phase's profile file
 * @path: the file
 * @extra_arch: arches that --arch enabled for every phase
 * @p: filled in; release with profile_free() whatever the result
 *
 * Prints every problem it finds, naming file and line.
 *
 * Return: EXIT_OK, EXIT_MISSING, EXIT_UNREADABLE or EXIT_PROFILE.
 */
int profile_load(const char *path, const bool extra_arch[NR_ARCHES],
		 struct profile *p);

/* Add the calls every phase needs; a notice names those it added. */
void profile_add_always(struct profile *p);

bool profile_allows(const struct profile *p, enum speaker_arch arch,
		    uint32_t nr);

void profile_free(struct profile *p);

/* The calls every phase allows, on every arch of its filter. */
extern const char *const always_allowed[];

#endif /* SPEAKER_PROFILE_H */
