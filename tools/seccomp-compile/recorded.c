// SPDX-License-Identifier: GPL-2.0
/*
 * recorded.c - phase and arch names of a speaker item, and a parser for
 * its "recorded" attribute. See recorded.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recorded.h"

const char *const speaker_phase_names[NR_PHASES] = {
	[PHASE_BOOTING] = "booting",
	[PHASE_RUNNING] = "running",
	[PHASE_SHUTDOWN] = "shutdown",
};

const char *const speaker_arch_names[NR_ARCHES] = {
	[ARCH_X86_64] = "x86_64",
	[ARCH_I386] = "i386",
	[ARCH_X32] = "x32",
};

static int lookup(const char *const *names, int count, const char *s,
		  size_t len)
{
	int i;

	for (i = 0; i < count; i++)
		if (strlen(names[i]) == len && !memcmp(names[i], s, len))
			return i;
	return -1;
}

int speaker_phase_lookup(const char *s, size_t len)
{
	return lookup(speaker_phase_names, NR_PHASES, s, len);
}

int speaker_arch_lookup(const char *s, size_t len)
{
	return lookup(speaker_arch_names, NR_ARCHES, s, len);
}

/* One whitespace-separated token of a line. */
struct token {
	const char *s;
	size_t len;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Take the next token from [*pos, end); false at the end of the line. */
static bool next_token(const char **pos, const char *end, struct token *tok)
{
	const char *p = *pos;

	while (p < end && is_blank(*p))
		p++;
	tok->s = p;
	while (p < end && !is_blank(*p))
		p++;
	tok->len = p - tok->s;
	*pos = p;
	return tok->len > 0;
}

static void set_error(struct recorded_error *err, unsigned int line,
		      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_error(struct recorded_error *err, unsigned int line,
		      const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* Parse a decimal number that fits in 32 bits; false if it is none. */
static bool parse_nr(const struct token *tok, uint32_t *nr)
{
	uint64_t v = 0;
	size_t i;

	if (tok->len == 0 || tok->len > 10)
		return false;
	for (i = 0; i < tok->len; i++) {
		if (tok->s[i] < '0' || tok->s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(tok->s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*nr = (uint32_t)v;
	return true;
}

static int set_append(struct recorded_set *set, uint32_t nr)
{
	uint32_t *grown;

	if ((set->count & (set->count + 1)) == 0) {
		/* count is 0 or 2^k - 1: double the room */
		grown = realloc(set->nr, (set->count + 1) * 2 * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		set->nr = grown;
	}
	set->nr[set->count++] = nr;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void set_normalize(struct recorded_set *set)
{
	size_t i, out = 0;

	if (!set->count)
		return;
	qsort(set->nr, set->count, sizeof(*set->nr), cmp_u32);
	for (i = 1; i < set->count; i++)
		if (set->nr[i] != set->nr[out])
			set->nr[++out] = set->nr[i];
	set->count = out + 1;
}

static bool nr_fits_arch(uint32_t nr, int arch)
{
	bool x32_bit = nr & X32_SYSCALL_BIT;

	return arch == ARCH_X32 ? x32_bit : !x32_bit;
}

/* Parse one line [p, end); an empty line is fine. */
static int parse_line(const char *p, const char *end, unsigned int line,
		      struct recorded *rec, struct recorded_error *err)
{
	struct token tok;
	int phase, arch;
	uint32_t nr;

	if (!next_token(&p, end, &tok))
		return 0;
	phase = speaker_phase_lookup(tok.s, tok.len);
	if (phase < 0) {
		set_error(err, line, "unknown phase '%.*s'", (int)tok.len,
			  tok.s);
		return -EINVAL;
	}
	if (!next_token(&p, end, &tok)) {
		set_error(err, line, "no architecture after the phase");
		return -EINVAL;
	}
	arch = speaker_arch_lookup(tok.s, tok.len);
	if (arch < 0) {
		set_error(err, line, "unknown architecture '%.*s'",
			  (int)tok.len, tok.s);
		return -EINVAL;
	}
	while (next_token(&p, end, &tok)) {
		if (!parse_nr(&tok, &nr)) {
			set_error(err, line, "'%.*s' is not a system call number",
				  (int)tok.len, tok.s);
			return -EINVAL;
		}
		if (!nr_fits_arch(nr, arch)) {
			set_error(err, line, "%u is not a valid %s number", nr,
				  speaker_arch_names[arch]);
			return -EINVAL;
		}
		if (set_append(&rec->set[phase][arch], nr))
			return -ENOMEM;
	}
	return 0;
}

int recorded_parse(const char *text, size_t len, struct recorded *rec,
		   struct recorded_error *err)
{
	const char *p = text, *end = text + len, *eol;
	unsigned int line = 0;
	int phase, arch, ret;

	memset(rec, 0, sizeof(*rec));
	memset(err, 0, sizeof(*err));
	while (p < end) {
		line++;
		eol = memchr(p, '\n', end - p);
		if (!eol)
			eol = end;
		ret = parse_line(p, eol, line, rec, err);
		if (ret == -ENOMEM)
			set_error(err, line, "out of memory");
		if (ret) {
			recorded_free(rec);
			return ret;
		}
		p = eol + 1;
	}
	for (phase = 0; phase < NR_PHASES; phase++)
		for (arch = 0; arch < NR_ARCHES; arch++)
			set_normalize(&rec->set[phase][arch]);
	return 0;
}

void recorded_free(struct recorded *rec)
{
	int phase, arch;

	for (phase = 0; phase < NR_PHASES; phase++) {
		for (arch = 0; arch < NR_ARCHES; arch++) {
			free(rec->set[phase][arch].nr);
			rec->set[phase][arch].nr = NULL;
			rec->set[phase][arch].count = 0;
		}
	}
}
