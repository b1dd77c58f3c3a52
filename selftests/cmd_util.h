/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for selftests that drive programs: make, modprobe, runc, podman
 * and speaker's own tools. Commands run through sh -c with stderr joined
 * to stdout, so a failing test can log what the program said.
 *
 * SPEAKER_ROOT (set by run.sh) names the source tree.
 */
#ifndef CMD_UTIL_H
#define CMD_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CMD_OUT_MAX	65536

/* The source tree: $SPEAKER_ROOT, else the parent of the current dir's. */
static inline const char *cmd_root(void)
{
	const char *root = getenv("SPEAKER_ROOT");

	return root && *root ? root : "../..";
}

/*
 * Run the shell command made from @fmt; its output (stdout and stderr) in
 * @out, at most @size - 1 bytes. Return: the exit status, 128 + signal,
 * or -1 if it could not run.
 */
static inline __attribute__((format(printf, 3, 4)))
int cmd_run(char *out, size_t size, const char *fmt, ...)
{
	char cmd[4096], sink[256];
	size_t len = 0, n;
	va_list ap;
	FILE *p;
	int status;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	if (n >= sizeof(cmd) - 8)
		return -1;
	strcat(cmd, " 2>&1");
	if (!out) {
		out = sink;
		size = sizeof(sink);
	}
	out[0] = '\0';
	fflush(NULL);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while ((n = fread(out + len, 1, size - 1 - len, p)) > 0)
		len += n;
	out[len] = '\0';
	while (fread(sink, 1, sizeof(sink), p) > 0)
		;		/* drain what did not fit */
	status = pclose(p);
	if (status < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
	       128 + WTERMSIG(status);
}

static inline int cmd_write_file(const char *path, const char *text)
{
	int fd, ret = 0;
	size_t len = strlen(text);

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

/* Read at most @size - 1 bytes of @path; -errno on failure. */
static inline ssize_t cmd_read_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

static inline bool cmd_is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static inline bool cmd_is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* Is @prog found on PATH? */
static inline bool cmd_have(const char *prog)
{
	return cmd_run(NULL, 0, "command -v %s >/dev/null", prog) == 0;
}

/* Remove every speaker item (detached first): nothing pins the module. */
static inline void cmd_remove_all_items(void)
{
	cmd_run(NULL, 0, "for i in /sys/kernel/config/speaker/*/; do "
		"[ -d \"$i\" ] || continue; echo 0 > \"$i/target\"; "
		"rmdir \"$i\"; done");
}

#endif /* CMD_UTIL_H */
