/* SPDX-License-Identifier: GPL-2.0 */
/*
 * speaker-compile.h - shared declarations of speaker-compile
 */
#ifndef SPEAKER_COMPILE_H
#define SPEAKER_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "recorded.h"

#define PROG_NAME	"speaker-compile"
#define PROG_VERSION	"0.1"

/*
 * Exit status. Documented in --help and in speaker-compile.1: keep the
 * three in step.
 */
enum exit_status {
	EXIT_OK = 0,
	EXIT_INTERNAL = 1,	/* out of memory, libseccomp failed */
	EXIT_USAGE = 2,		/* bad option or arguments */
	EXIT_PROFILE = 3,	/* profile error: unknown name, bad line, too big */
	EXIT_MISSING = 4,	/* a phase file of the profile does not exist */
	EXIT_UNREADABLE = 5,	/* an input file exists but cannot be read */
	EXIT_WRITE = 6,		/* cannot write the item or output; restored */
	EXIT_REFUSED = 7,	/* the kernel refused a program; restored */
	EXIT_INCONSISTENT = 8,	/* failed and could not restore the item */
	EXIT_RECORDED = 9,	/* recorded calls cannot be made a profile */
	EXIT_IMPORT = 10,	/* a Docker profile cannot be imported */
};

/* Largest classic BPF program the kernel takes (BPF_MAXINSNS). */
#define MAX_INSNS	4096
#define INSN_SIZE	8

/*
 * System call numbers the tool deals in, per arch, counted from the arch's
 * base (X32_SYSCALL_BIT for x32): profiles and traces beyond this span are
 * refused.
 */
#define NR_SPAN		1024

/*
 * Native numbers up to this one that libseccomp cannot name get
 * ERRNO(ENOSYS). x86_64's own table ends below 512: 512-547 are x32's
 * entry points, which return ENOSYS when called without the x32 bit.
 */
#define ENOSYS_LAST_NR	511

struct buf {
	unsigned char *data;
	size_t len;
};

void buf_free(struct buf *b);

/* Messages on stderr, prefixed with the program name. */
void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Notices and summaries; silenced by --quiet. */
void notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool quiet;

char *path_join(const char *dir, const char *name);

/*
 * Read a whole file of at most @max bytes. Return: 0, -EFBIG when it is
 * larger, or another -errno.
 */
int read_file(const char *path, size_t max, struct buf *out);
/* Write all of [data, data+len) to fd; 0 or -errno. */
int write_all(int fd, const void *data, size_t len);
/*
 * Write @n (at most MAX_FILE_SET) files @names into @dir: all of them to
 * temporary files first, then each renamed into place, so that a failure
 * while writing leaves the old files. Return: 0, or -errno with *failed
 * naming the file.
 */
#define MAX_FILE_SET	8
int write_files(const char *dir, const char *const names[],
		const struct buf data[], int n, const char **failed);

/* systab.c: libseccomp's system call names, per arch */
int systab_init(void);
uint32_t systab_token(enum speaker_arch arch);
uint32_t systab_base(enum speaker_arch arch);
/* Name of @nr (as seccomp_data.nr has it) on @arch, or NULL. */
const char *systab_name(enum speaker_arch arch, uint32_t nr);
/* Number (as seccomp_data.nr has it) of @name on @arch, or -1. */
int64_t systab_number(enum speaker_arch arch, const char *name);

#endif /* SPEAKER_COMPILE_H */
