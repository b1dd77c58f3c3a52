// SPDX-License-Identifier: GPL-2.0
/*
 * recorded-dump - parse a "recorded" file with recorded.c and print it
 * back normalized (sorted, merged), or the parse error as FILE:LINE: MSG.
 * Exit 0 when it parsed, 1 when it did not, 2 when unreadable.
 */
#include <stdio.h>
#include <stdlib.h>

#include "recorded.h"

#define MAX_SIZE	(1024 * 1024)

static void dump(const struct recorded *rec)
{
	const struct recorded_set *set;
	int phase, arch;
	size_t i;

	for (phase = 0; phase < NR_PHASES; phase++) {
		for (arch = 0; arch < NR_ARCHES; arch++) {
			set = &rec->set[phase][arch];
			if (!set->count)
				continue;
			printf("%s %s", speaker_phase_names[phase],
			       speaker_arch_names[arch]);
			for (i = 0; i < set->count; i++)
				printf(" %u", set->nr[i]);
			putchar('\n');
		}
	}
}

int main(int argc, char **argv)
{
	static char text[MAX_SIZE];
	struct recorded_error err;
	struct recorded rec;
	size_t len;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: recorded-dump FILE\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	len = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (recorded_parse(text, len, &rec, &err)) {
		printf("%s:%u: %s\n", argv[1], err.line, err.msg);
		return 1;
	}
	dump(&rec);
	recorded_free(&rec);
	return 0;
}
