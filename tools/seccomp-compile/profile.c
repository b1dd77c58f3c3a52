// SPDX-License-Identifier: GPL-2.0
/*
 * profile.c - parse a phase's profile file and resolve it to numbers
 *
 * A line holds one system call, one directive, or nothing:
 *
 *	read			name: native arch and every @arch arch
 *	i386:socketcall		name on one arch only
 *	470			native number libseccomp cannot name
 *	@arch i386		unqualified names apply to i386 too
 *
 * '#' starts a comment anywhere. The whole file is parsed before names are
 * resolved, so an @arch line counts wherever it stands.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

#define MAX_PROFILE_SIZE	(1024 * 1024)
#define MAX_ERRORS		20
#define NO_ARCH			(-1)

const char *const always_allowed[] = {
	"exit", "exit_group", "rt_sigreturn", "restart_syscall", NULL
};

/* One system call line, kept until the whole file has been read. */
struct entry {
	unsigned int line;
	int arch;		/* NO_ARCH when unqualified */
	const char *name;	/* NULL for a number */
	const char *text;	/* the call as written, for messages */
	uint32_t nr;
};

/* An error, kept so that errors print in line order. */
struct parse_msg {
	unsigned int line;
	unsigned int seq;
	char text[160];
};

struct parser {
	struct profile *p;
	char *text;		/* the file, cut into NUL-terminated lines */
	struct entry *entries;
	size_t count;
	struct parse_msg msgs[MAX_ERRORS];
	unsigned int errors;
};

static void parse_error(struct parser *ps, unsigned int line,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void parse_error(struct parser *ps, unsigned int line,
			const char *fmt, ...)
{
	struct parse_msg *m;
	va_list ap;

	if (ps->errors++ >= MAX_ERRORS)
		return;
	m = &ps->msgs[ps->errors - 1];
	m->line = line;
	m->seq = ps->errors;
	va_start(ap, fmt);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
}

static int cmp_msg(const void *a, const void *b)
{
	const struct parse_msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void print_errors(struct parser *ps)
{
	unsigned int i, shown = ps->errors;

	if (shown > MAX_ERRORS)
		shown = MAX_ERRORS;
	qsort(ps->msgs, shown, sizeof(ps->msgs[0]), cmp_msg);
	for (i = 0; i < shown; i++)
		fprintf(stderr, "%s: %s:%u: error: %s\n", PROG_NAME,
			ps->p->path, ps->msgs[i].line, ps->msgs[i].text);
	if (ps->errors > MAX_ERRORS)
		error("%s: %u errors, only the first %d shown", ps->p->path,
		      ps->errors, MAX_ERRORS);
}

static void bit_set(struct profile *p, int arch, uint32_t nr)
{
	uint32_t i = nr - systab_base(arch);

	if (!(p->allow[arch][i / 8] & (1u << (i % 8)))) {
		p->allow[arch][i / 8] |= 1u << (i % 8);
		p->count[arch]++;
	}
	p->arch_used[arch] = true;
}

bool profile_allows(const struct profile *p, enum speaker_arch arch,
		    uint32_t nr)
{
	uint32_t i = nr - systab_base(arch);

	if (nr < systab_base(arch) || i >= NR_SPAN)
		return false;
	return p->allow[arch][i / 8] & (1u << (i % 8));
}

static char *trim(char *s)
{
	char *end;

	s += strspn(s, " \t\r\f\v");
	end = s + strlen(s);
	while (end > s && strchr(" \t\r\f\v", end[-1]))
		end--;
	*end = '\0';
	return s;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

static bool valid_name(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
		     strlen(s);
}

/* "@arch ARCH"; ARCH x86_64 is accepted and changes nothing. */
static void parse_directive(struct parser *ps, char *s, unsigned int line)
{
	char *save, *word = strtok_r(s, " \t", &save);
	char *arg = strtok_r(NULL, " \t", &save);
	int arch;

	if (strcmp(word, "@arch")) {
		parse_error(ps, line, "unknown directive '%s'", word);
		return;
	}
	if (!arg || strtok_r(NULL, " \t", &save)) {
		parse_error(ps, line, "@arch takes one arch: i386 or x32");
		return;
	}
	arch = speaker_arch_lookup(arg, strlen(arg));
	if (arch < 0) {
		parse_error(ps, line,
			    "unknown arch '%s' (x86_64, i386 or x32)", arg);
		return;
	}
	ps->p->arch_all[arch] = true;
}

static int add_entry(struct parser *ps, const struct entry *e)
{
	struct entry *grown;

	if ((ps->count & (ps->count + 1)) == 0) {
		grown = realloc(ps->entries,
				(ps->count + 1) * 2 * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		ps->entries = grown;
	}
	ps->entries[ps->count++] = *e;
	return 0;
}

/* Parse "[ARCH:]CALL" into @e; false (after an error) if malformed. */
static bool parse_call(struct parser *ps, char *s, struct entry *e)
{
	char *colon = strchr(s, ':');

	e->arch = NO_ARCH;
	if (colon) {
		e->arch = speaker_arch_lookup(s, colon - s);
		if (e->arch < 0) {
			parse_error(ps, e->line, "unknown arch '%.*s'",
				    (int)(colon - s), s);
			return false;
		}
		s = colon + 1;
	}
	e->text = s;
	if (all_digits(s)) {
		/* anything too large for 32 bits fails the range check */
		e->name = NULL;
		e->nr = strlen(s) > 10 || strtoull(s, NULL, 10) > UINT32_MAX ?
			UINT32_MAX : (uint32_t)strtoull(s, NULL, 10);
		return true;
	}
	if (!valid_name(s)) {
		parse_error(ps, e->line, "'%s' is not a system call name", s);
		return false;
	}
	e->name = s;
	return true;
}

static int parse_line(struct parser *ps, char *s, unsigned int line)
{
	struct entry e = { .line = line };
	char *hash = strchr(s, '#');

	if (hash)
		*hash = '\0';
	s = trim(s);
	if (!*s)
		return 0;
	if (*s == '@') {
		parse_directive(ps, s, line);
		return 0;
	}
	if (strpbrk(s, " \t")) {
		parse_error(ps, line, "one system call per line: '%s'", s);
		return 0;
	}
	if (!parse_call(ps, s, &e))
		return 0;
	return add_entry(ps, &e);
}

static int parse_text(struct parser *ps)
{
	char *line = ps->text, *eol;
	unsigned int nr = 0;

	while (*line) {
		nr++;
		eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		if (parse_line(ps, line, nr))
			return -ENOMEM;
		if (!eol)
			break;
		line = eol + 1;
	}
	return 0;
}

/* For an error: an arch the profile does not enable where @name exists. */
static void hint_other_arches(const char *name, const struct profile *p,
			      char *hint, size_t size)
{
	int arch;

	*hint = '\0';
	for (arch = 0; arch < NR_ARCHES; arch++) {
		if (p->arch_all[arch] || systab_number(arch, name) < 0)
			continue;
		snprintf(hint, size, " (it exists on %s: write %s:%s)",
			 speaker_arch_names[arch], speaker_arch_names[arch],
			 name);
		return;
	}
}

static void resolve_unqualified_name(struct parser *ps, const struct entry *e)
{
	struct profile *p = ps->p;
	bool found = false;
	char hint[128];
	int64_t nr;
	int arch;

	for (arch = 0; arch < NR_ARCHES; arch++) {
		if (!p->arch_all[arch])
			continue;
		nr = systab_number(arch, e->name);
		if (nr < 0)
			continue;
		bit_set(p, arch, (uint32_t)nr);
		found = true;
	}
	if (found)
		return;
	hint_other_arches(e->name, p, hint, sizeof(hint));
	parse_error(ps, e->line, "unknown system call '%s'%s", e->name, hint);
}

/* A number: x86_64 any in the span; other arches only what has a name. */
static void resolve_number(struct parser *ps, const struct entry *e, int arch)
{
	uint32_t base = systab_base(arch), nr = e->nr;

	if (arch == ARCH_X32 && nr < X32_SYSCALL_BIT)
		nr += X32_SYSCALL_BIT;
	if (nr < base || nr - base >= NR_SPAN) {
		parse_error(ps, e->line, "%s number %s out of range",
			    speaker_arch_names[arch], e->text);
		return;
	}
	if (arch != ARCH_X86_64 && !systab_name(arch, nr)) {
		parse_error(ps, e->line,
			    "%s call %s has no name in libseccomp %u.%u.%u, which therefore cannot filter it",
			    speaker_arch_names[arch], e->text,
			    seccomp_version()->major,
			    seccomp_version()->minor,
			    seccomp_version()->micro);
		return;
	}
	bit_set(ps->p, arch, nr);
}

static void resolve_entry(struct parser *ps, const struct entry *e)
{
	int arch = e->arch;
	int64_t nr;

	if (!e->name) {
		resolve_number(ps, e, arch == NO_ARCH ? ARCH_X86_64 : arch);
		return;
	}
	if (arch == NO_ARCH) {
		resolve_unqualified_name(ps, e);
		return;
	}
	nr = systab_number(arch, e->name);
	if (nr < 0) {
		parse_error(ps, e->line, "unknown system call '%s' on %s",
			    e->name, speaker_arch_names[arch]);
		return;
	}
	bit_set(ps->p, arch, (uint32_t)nr);
}

static int read_profile(struct parser *ps)
{
	struct buf b;
	int ret;

	ret = read_file(ps->p->path, MAX_PROFILE_SIZE, &b);
	if (ret == -ENOENT) {
		error("%s: phase file missing", ps->p->path);
		return EXIT_MISSING;
	}
	if (ret == -EFBIG) {
		error("%s: larger than %d bytes", ps->p->path,
		      MAX_PROFILE_SIZE);
		return EXIT_UNREADABLE;
	}
	if (ret) {
		error("cannot read %s: %s", ps->p->path, strerror(-ret));
		return EXIT_UNREADABLE;
	}
	/* one more byte for the NUL: read_file() allocated max + 1 */
	b.data[b.len] = '\0';
	if (memchr(b.data, '\0', b.len)) {
		error("%s: not a text file (it holds NUL bytes)",
		      ps->p->path);
		free(b.data);
		return EXIT_PROFILE;
	}
	ps->text = (char *)b.data;
	return EXIT_OK;
}

int profile_load(const char *path, const bool extra_arch[NR_ARCHES],
		 struct profile *p)
{
	struct parser ps = { .p = p };
	size_t i;
	int ret;

	memset(p, 0, sizeof(*p));
	p->path = strdup(path);
	if (!p->path)
		return EXIT_INTERNAL;
	memcpy(p->arch_all, extra_arch, sizeof(p->arch_all));
	p->arch_all[ARCH_X86_64] = true;
	p->arch_used[ARCH_X86_64] = true;

	ret = read_profile(&ps);
	if (ret)
		return ret;
	if (parse_text(&ps)) {
		error("out of memory");
		ret = EXIT_INTERNAL;
		goto out;
	}
	for (i = 0; i < ps.count; i++)
		resolve_entry(&ps, &ps.entries[i]);
	for (i = 0; i < NR_ARCHES; i++)
		if (p->arch_all[i])
			p->arch_used[i] = true;
	print_errors(&ps);
	ret = ps.errors ? EXIT_PROFILE : EXIT_OK;
out:
	free(ps.entries);
	free(ps.text);
	return ret;
}

void profile_add_always(struct profile *p)
{
	char added[512] = "";
	size_t len = 0;
	int arch, i;
	int64_t nr;

	for (arch = 0; arch < NR_ARCHES; arch++) {
		if (!p->arch_used[arch])
			continue;
		for (i = 0; always_allowed[i]; i++) {
			nr = systab_number(arch, always_allowed[i]);
			if (nr < 0 || profile_allows(p, arch, (uint32_t)nr))
				continue;
			bit_set(p, arch, (uint32_t)nr);
			len += snprintf(added + len, sizeof(added) - len,
					"%s%s%s%s", len ? ", " : "",
					arch ? speaker_arch_names[arch] : "",
					arch ? ":" : "", always_allowed[i]);
		}
	}
	if (len)
		notice("%s: added calls every phase needs: %s", p->path,
		       added);
}

void profile_free(struct profile *p)
{
	free(p->path);
	p->path = NULL;
}
