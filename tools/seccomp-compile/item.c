// SPDX-License-Identifier: GPL-2.0
/*
 * item.c - write compiled programs into a speaker item, all or nothing
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "item.h"

#define MAX_PROG_SIZE	(MAX_INSNS * INSN_SIZE)
#define MAX_STATUS_SIZE	4096

struct item {
	const char *dir;
	char *path[NR_PHASES];
	struct buf old[NR_PHASES];
};

static int attr_read(const char *path, struct buf *out)
{
	return read_file(path, MAX_PROG_SIZE, out);
}

/*
 * A phase without a program is restored by writing its name to the
 * item's unload attribute: the module refuses an empty program, since
 * configfs also hands one over after a write past the maximum size.
 */
static int attr_unload(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash - path) : strdup(".");
	char *unload = dir ? path_join(dir, "unload") : NULL;
	const char *phase = slash ? slash + 1 : path;
	int fd, ret;

	free(dir);
	if (!unload)
		return -ENOMEM;
	fd = open(unload, O_WRONLY | O_CLOEXEC);
	free(unload);
	if (fd < 0)
		return -errno;
	ret = write_all(fd, phase, strlen(phase));
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/* configfs hands the whole buffer to the module at close(). */
static int attr_write(const char *path, const struct buf *b)
{
	int fd, ret;

	if (!b->len)
		return attr_unload(path);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write_all(fd, b->data, b->len);
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

static bool buf_equal(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->data, b->data,
						       a->len));
}

/*
 * Write @want and read it back. Return: 0 when the attribute now holds
 * @want, 1 when it holds something else (refused), or -errno.
 */
static int attr_replace(const char *path, const struct buf *want)
{
	struct buf now;
	int ret;

	ret = attr_write(path, want);
	if (ret)
		return ret;
	ret = attr_read(path, &now);
	if (ret)
		return ret;
	ret = buf_equal(&now, want) ? 0 : 1;
	buf_free(&now);
	return ret;
}

/* The line of @phase in the item's status attribute, or NULL. */
static char *status_line(const struct item *it, int phase)
{
	const char *name = speaker_phase_names[phase];
	char *path = path_join(it->dir, "status"), *line, *save;
	char *found = NULL;
	struct buf st;

	if (read_file(path, MAX_STATUS_SIZE, &st))
		goto out;
	st.data[st.len] = '\0';
	for (line = strtok_r((char *)st.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, name, strlen(name)) &&
		    line[strlen(name)] == ' ') {
			found = strdup(line);
			break;
		}
	}
	buf_free(&st);
out:
	free(path);
	return found;
}

/* "<phase> <insns> refused: <reason>" gives the reason. */
static void report_refusal(const struct item *it, int phase)
{
	const char *name = speaker_phase_names[phase];
	char *line = status_line(it, phase);
	const char *reason = line ? strstr(line, " refused: ") : NULL;

	if (reason)
		error("%s: the kernel refused the %s program: %s", it->dir,
		      name, reason + strlen(" refused: "));
	else if (line)
		error("%s: the %s program reads back different from what was written (status: '%s')",
		      it->dir, name, line);
	else
		error("%s: the %s program reads back different from what was written (no status)",
		      it->dir, name);
	free(line);
}

/* Give phases 0..@last their old programs back where they changed. */
static int restore(const struct item *it, int last)
{
	struct buf now;
	int phase, ret, failed = 0;

	for (phase = 0; phase <= last; phase++) {
		ret = attr_read(it->path[phase], &now);
		if (!ret && buf_equal(&now, &it->old[phase])) {
			buf_free(&now);
			continue;
		}
		buf_free(&now);
		ret = attr_replace(it->path[phase], &it->old[phase]);
		if (!ret) {
			notice("%s: restored the previous %s program",
			       it->dir, speaker_phase_names[phase]);
			continue;
		}
		error("%s: cannot restore the previous %s program: %s",
		      it->path[phase], speaker_phase_names[phase],
		      ret > 0 ? "it reads back different" : strerror(-ret));
		failed++;
	}
	return failed;
}

static int read_old(struct item *it)
{
	int phase, ret;

	for (phase = 0; phase < NR_PHASES; phase++) {
		it->path[phase] = path_join(it->dir,
					    speaker_phase_names[phase]);
		ret = attr_read(it->path[phase], &it->old[phase]);
		if (ret == -ENOENT) {
			error("%s: no %s attribute: not a speaker item", it->dir,
			      speaker_phase_names[phase]);
			return EXIT_WRITE;
		}
		if (ret) {
			error("cannot read %s: %s", it->path[phase],
			      ret == -EFBIG ? "larger than a program can be"
					    : strerror(-ret));
			return EXIT_WRITE;
		}
	}
	return EXIT_OK;
}

static int write_all_phases(struct item *it, const struct buf prog[])
{
	int phase, ret;

	for (phase = 0; phase < NR_PHASES; phase++) {
		ret = attr_replace(it->path[phase], &prog[phase]);
		if (!ret)
			continue;
		if (ret > 0)
			report_refusal(it, phase);
		else
			error("cannot write %s: %s", it->path[phase],
			      strerror(-ret));
		if (restore(it, phase)) {
			error("%s: the item is left with a mix of old and new programs",
			      it->dir);
			return EXIT_INCONSISTENT;
		}
		notice("%s: the item holds its previous programs", it->dir);
		return ret > 0 ? EXIT_REFUSED : EXIT_WRITE;
	}
	return EXIT_OK;
}

int item_load(const char *dir, const struct buf prog[NR_PHASES])
{
	struct item it = { .dir = dir };
	struct stat st;
	int phase, ret;

	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		error("%s: not a directory", dir);
		return EXIT_WRITE;
	}
	ret = read_old(&it);
	if (!ret)
		ret = write_all_phases(&it, prog);
	for (phase = 0; phase < NR_PHASES; phase++) {
		free(it.path[phase]);
		buf_free(&it.old[phase]);
	}
	return ret;
}

int output_write(const char *dir, const struct buf prog[NR_PHASES])
{
	const char *failed = NULL;
	int ret;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		error("cannot create %s: %s", dir, strerror(errno));
		return EXIT_WRITE;
	}
	ret = write_files(dir, speaker_phase_names, prog, NR_PHASES, &failed);
	if (ret) {
		error("cannot write %s/%s: %s", dir, failed, strerror(-ret));
		return EXIT_WRITE;
	}
	return EXIT_OK;
}
