// SPDX-License-Identifier: GPL-2.0
/*
 * util.c - messages and file helpers of speaker-compile
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "speaker-compile.h"

bool quiet;

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

static void vmessage(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", PROG_NAME, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error: ", fmt, ap);
	va_end(ap);
}

void warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("warning: ", fmt, ap);
	va_end(ap);
}

void notice(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vmessage("notice: ", fmt, ap);
	va_end(ap);
}

/* Result lines for people: no prefix, on stderr like everything else. */
void info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

char *path_join(const char *dir, const char *name)
{
	size_t dlen = strlen(dir);
	char *path;

	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	path = malloc(dlen + strlen(name) + 2);
	if (!path) {
		error("out of memory");
		exit(EXIT_INTERNAL);
	}
	sprintf(path, "%.*s/%s", (int)dlen, dir, name);
	return path;
}

static int read_fd(int fd, size_t max, struct buf *out)
{
	size_t room = max + 1;	/* one more byte tells "too large" */
	ssize_t n;

	out->len = 0;
	out->data = malloc(room);
	if (!out->data)
		return -ENOMEM;
	while (out->len < room) {
		n = read(fd, out->data + out->len, room - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		out->len += n;
	}
	return -EFBIG;
}

int read_file(const char *path, size_t max, struct buf *out)
{
	int fd, ret;

	out->data = NULL;
	out->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = read_fd(fd, max, out);
	close(fd);
	if (ret)
		buf_free(out);
	return ret;
}

int write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/* Write @b to a new temporary file beside @path; its name in *tmp. */
static int write_temp(const char *path, const struct buf *b, char **tmp)
{
	int fd, ret;

	*tmp = malloc(strlen(path) + 8);
	if (!*tmp)
		return -ENOMEM;
	sprintf(*tmp, "%s.XXXXXX", path);
	fd = mkstemp(*tmp);
	if (fd < 0) {
		ret = -errno;
		free(*tmp);
		*tmp = NULL;
		return ret;
	}
	ret = write_all(fd, b->data, b->len);
	if (!ret && fchmod(fd, 0644))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

int write_files(const char *dir, const char *const names[],
		const struct buf data[], int n, const char **failed)
{
	char *tmp[MAX_FILE_SET] = { NULL }, *dst[MAX_FILE_SET] = { NULL };
	int i, ret = 0;

	if (n > MAX_FILE_SET)
		return -E2BIG;
	for (i = 0; i < n && !ret; i++) {
		dst[i] = path_join(dir, names[i]);
		ret = write_temp(dst[i], &data[i], &tmp[i]);
		if (ret)
			*failed = names[i];
	}
	for (i = 0; i < n && !ret; i++) {
		if (rename(tmp[i], dst[i])) {
			ret = -errno;
			*failed = names[i];
		} else {
			free(tmp[i]);
			tmp[i] = NULL;
		}
	}
	for (i = 0; i < n; i++) {
		if (tmp[i])
			unlink(tmp[i]);
		free(tmp[i]);
		free(dst[i]);
	}
	return ret;
}
