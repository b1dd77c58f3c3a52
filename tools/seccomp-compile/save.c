// SPDX-License-Identifier: GPL-2.0
/*
 * save.c - turn an item's recorded calls into profile files
 *
 * Native calls are written by name, other arches as ARCH:NAME, native
 * numbers libseccomp cannot name as bare numbers (the compiler allows
 * those as they are). A non-native number without a name cannot be
 * allowed through libseccomp at all: saving fails rather than write a
 * profile that would deny what was traced.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "profile.h"
#include "save.h"

#define MAX_RECORDED_SIZE	(1024 * 1024)

struct save {
	const char *item_dir;
	char *recorded_path;
	char item_name[NAME_MAX + 1];
	char item_path[PATH_MAX];
	char kernel[65];
	char date[32];
	char libseccomp[32];
	struct recorded rec;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Check that every recorded call can be written to a profile. */
static int check_recorded(const struct save *sv)
{
	const struct recorded_set *set;
	int phase, arch, bad = 0;
	size_t i;

	for (phase = 0; phase < NR_PHASES; phase++) {
		for (arch = 0; arch < NR_ARCHES; arch++) {
			set = &sv->rec.set[phase][arch];
			for (i = 0; i < set->count; i++) {
				if (systab_name(arch, set->nr[i]) ||
				    (arch == ARCH_X86_64 && set->nr[i] < NR_SPAN))
					continue;
				error("%s: %s: %s call %u has no name in libseccomp %s, which therefore cannot allow it",
				      sv->recorded_path,
				      speaker_phase_names[phase],
				      speaker_arch_names[arch], set->nr[i],
				      sv->libseccomp);
				bad++;
			}
		}
	}
	return bad ? EXIT_RECORDED : EXIT_OK;
}

static void write_header(FILE *f, const struct save *sv, int phase)
{
	fprintf(f, "# speaker profile: %s phase\n", speaker_phase_names[phase]);
	fprintf(f, "# traced by speaker item \"%s\" (%s)\n", sv->item_name,
		sv->item_path);
	fprintf(f, "# kernel %s, saved %s\n", sv->kernel, sv->date);
	fprintf(f, "# written by %s %s with libseccomp %s\n", PROG_NAME,
		PROG_VERSION, sv->libseccomp);
}

/* The named calls of one arch, sorted by name. */
static void write_names(FILE *f, const struct recorded_set *set, int arch)
{
	const char **names = calloc(set->count + 1, sizeof(*names));
	size_t i, n = 0;

	if (!names) {
		error("out of memory");
		exit(EXIT_INTERNAL);
	}
	for (i = 0; i < set->count; i++)
		if (systab_name(arch, set->nr[i]))
			names[n++] = systab_name(arch, set->nr[i]);
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s%s\n", arch ? speaker_arch_names[arch] : "",
			arch ? ":" : "", names[i]);
	free(names);
}

static void write_numbers(FILE *f, const struct save *sv,
			  const struct recorded_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		if (!systab_name(ARCH_X86_64, set->nr[i]))
			fprintf(f, "%u\t# no name in libseccomp %s\n",
				set->nr[i], sv->libseccomp);
}

/*
 * Calls the vDSO answers in user space, so that a trace never sees them.
 * They are system calls where the vDSO is not used (vdso=0, a program
 * that bypasses it) and, for the clock reads, where the clock source has
 * no vDSO mode, as on a VM with an unstable TSC. A profile traced on one
 * machine would otherwise kill the service on another.
 */
static const char *const vdso_calls[] = {
	"clock_gettime", "clock_gettime64", "clock_getres",
	"clock_getres_time64", "gettimeofday", "time", "getcpu", NULL
};

/* The calls of @names that the trace did not see, under @heading. */
static void write_untraced(FILE *f, const struct save *sv, int phase,
			   const char *const *names, const char *heading)
{
	const struct recorded_set *set;
	bool first = true, seen;
	int arch, i;
	int64_t nr;
	size_t k;

	for (arch = 0; arch < NR_ARCHES; arch++) {
		set = &sv->rec.set[phase][arch];
		if (arch != ARCH_X86_64 && !set->count)
			continue;
		for (i = 0; names[i]; i++) {
			nr = systab_number(arch, names[i]);
			seen = false;
			for (k = 0; k < set->count; k++)
				seen |= set->nr[k] == nr;
			if (nr < 0 || seen)
				continue;
			if (first)
				fprintf(f, "\n# %s\n", heading);
			first = false;
			fprintf(f, "%s%s%s\n",
				arch ? speaker_arch_names[arch] : "",
				arch ? ":" : "", names[i]);
		}
	}
}

static int phase_text(const struct save *sv, int phase, struct buf *out)
{
	size_t total = 0, size = 0;
	char *text = NULL;
	FILE *f;
	int arch;

	f = open_memstream(&text, &size);
	if (!f)
		return EXIT_INTERNAL;
	write_header(f, sv, phase);
	for (arch = 0; arch < NR_ARCHES; arch++)
		total += sv->rec.set[phase][arch].count;
	if (!total) {
		fputs("# nothing was recorded in this phase\n", f);
		warning("%s: nothing recorded for %s: its profile allows only the calls every phase needs and the vDSO's",
			sv->recorded_path, speaker_phase_names[phase]);
	}
	for (arch = 0; arch < NR_ARCHES; arch++)
		write_names(f, &sv->rec.set[phase][arch], arch);
	write_numbers(f, sv, &sv->rec.set[phase][ARCH_X86_64]);
	write_untraced(f, sv, phase, always_allowed,
		       "not traced, but every phase needs them:");
	write_untraced(f, sv, phase, vdso_calls,
		       "not traced where the vDSO answers them; made as calls where it cannot:");
	if (fclose(f))
		return EXIT_INTERNAL;
	out->data = (unsigned char *)text;
	out->len = size;
	return EXIT_OK;
}

static void describe(struct save *sv)
{
	const struct scmp_version *v = seccomp_version();
	time_t now = time(NULL);
	struct utsname u;
	struct tm tm;
	char *copy;

	/* the real path names the item even when ITEM_DIR is "." */
	if (!realpath(sv->item_dir, sv->item_path))
		snprintf(sv->item_path, sizeof(sv->item_path), "%s",
			 sv->item_dir);
	copy = strdup(sv->item_path);
	snprintf(sv->item_name, sizeof(sv->item_name), "%.*s", NAME_MAX,
		 copy ? basename(copy) : sv->item_path);
	free(copy);
	snprintf(sv->kernel, sizeof(sv->kernel), "%s",
		 uname(&u) ? "unknown" : u.release);
	gmtime_r(&now, &tm);
	strftime(sv->date, sizeof(sv->date), "%Y-%m-%d %H:%M:%S UTC", &tm);
	snprintf(sv->libseccomp, sizeof(sv->libseccomp), "%u.%u.%u",
		 v->major, v->minor, v->micro);
}

static int read_recorded(struct save *sv)
{
	struct recorded_error rerr;
	struct buf b;
	int ret;

	ret = read_file(sv->recorded_path, MAX_RECORDED_SIZE, &b);
	if (ret == -ENOENT) {
		error("%s: missing (not a speaker item?)", sv->recorded_path);
		return EXIT_MISSING;
	}
	if (ret) {
		error("cannot read %s: %s", sv->recorded_path,
		      ret == -EFBIG ? "too large" : strerror(-ret));
		return EXIT_UNREADABLE;
	}
	ret = recorded_parse((const char *)b.data, b.len, &sv->rec, &rerr);
	buf_free(&b);
	if (ret == -ENOMEM)
		return EXIT_INTERNAL;
	if (ret) {
		error("%s:%u: %s", sv->recorded_path, rerr.line, rerr.msg);
		return EXIT_RECORDED;
	}
	return check_recorded(sv);
}

/* Refuse to overwrite a profile unless told to. */
static int check_target(const char *profile_dir, bool force)
{
	char *path;
	int phase, ret = EXIT_OK;

	if (mkdir(profile_dir, 0755) && errno != EEXIST) {
		error("cannot create %s: %s", profile_dir, strerror(errno));
		return EXIT_WRITE;
	}
	for (phase = 0; phase < NR_PHASES && !force; phase++) {
		path = path_join(profile_dir, speaker_phase_names[phase]);
		if (!access(path, F_OK)) {
			error("%s exists; --force replaces it", path);
			ret = EXIT_WRITE;
		}
		free(path);
	}
	return ret;
}

static int write_profile(const struct save *sv, const char *profile_dir)
{
	struct buf text[NR_PHASES] = { { NULL, 0 } };
	const char *failed = NULL;
	int phase, err = 0, ret = EXIT_OK;

	for (phase = 0; phase < NR_PHASES && !ret; phase++)
		ret = phase_text(sv, phase, &text[phase]);
	if (!ret)
		err = write_files(profile_dir, speaker_phase_names, text,
				  NR_PHASES, &failed);
	if (err) {
		error("cannot write %s/%s: %s", profile_dir, failed,
		      strerror(-err));
		ret = EXIT_WRITE;
	}
	for (phase = 0; phase < NR_PHASES; phase++) {
		if (!ret)
			info("%s: %zu calls recorded, saved to %s/%s",
			     speaker_phase_names[phase],
			     sv->rec.set[phase][ARCH_X86_64].count +
			     sv->rec.set[phase][ARCH_I386].count +
			     sv->rec.set[phase][ARCH_X32].count,
			     profile_dir, speaker_phase_names[phase]);
		buf_free(&text[phase]);
	}
	return ret;
}

int save_profile(const char *item_dir, const char *profile_dir, bool force)
{
	struct save sv = { .item_dir = item_dir };
	int ret;

	describe(&sv);
	sv.recorded_path = path_join(item_dir, "recorded");
	ret = read_recorded(&sv);
	if (!ret)
		ret = check_target(profile_dir, force);
	if (!ret)
		ret = write_profile(&sv, profile_dir);
	recorded_free(&sv.rec);
	free(sv.recorded_path);
	return ret;
}
