/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for speaker's selftests: configfs items, programs, containers.
 *
 * Everything here runs as root in a test VM with speaker.ko loaded. The
 * functions return 0 or a negative errno (never exit, never assert), so
 * a test decides with ASSERT_* or EXPECT_* what a failure means.
 *
 * Items (/sys/kernel/config/speaker/NAME):
 *	spk_item_create(), spk_item_remove(), spk_attr_write(),
 *	spk_attr_printf(), spk_attr_read(), spk_status(), spk_violations(),
 *	spk_violation_last(), spk_prog_write(), spk_prog_write_all(),
 *	spk_prog_write_raw(), spk_prog_read().
 *
 * Containers: a "container" is a child that unshare(CLONE_NEWPID)s and
 * forks the init of the new PID namespace; the init runs a body function
 * that talks to the test over two pipes:
 *
 *	spk_container_start(&c, body, arg, 0);	init waits at a gate
 *	spk_attr_printf(&it, "target", "%d", c.init);	attach, phase booting
 *	spk_container_go(&c);			body runs
 *	spk_container_recv(&c, &res, sizeof(res));
 *	spk_container_wait(&c, &status);	init's wait status
 *
 * With SPK_CONTAINER_ARMED the child waits before unshare(), so that the
 * test can arm an item on it (write c.outer to target); then
 * spk_container_release() lets it create the namespace, and the body runs
 * at once, under the filter from its first system call.
 *
 * spk_container_kill() ends a container at any point (test teardown);
 * spk_body_idle() is a body that only waits for spk_container_wait().
 *
 * spk_fork_run() runs a function in a child and collects its report and
 * wait status: the usual way for a body to observe a process that may be
 * killed.
 *
 * Programs: SPK_LD_NR, SPK_LD_ARCH, SPK_ON_NR(), SPK_RET(), SPK_ERRNO()
 * and friends build small classic BPF programs as array initializers.
 *
 * Needs _GNU_SOURCE (the selftests Makefile defines it).
 */
#ifndef SPEAKER_UTIL_H
#define SPEAKER_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#ifndef __maybe_unused
#define __maybe_unused		__attribute__((unused))
#endif

#define SPK_ROOT		"/sys/kernel/config/speaker"

/* settle_ms large enough that booting never ends by itself in a test. */
#define SPK_SETTLE_FOREVER	3600000

#define SPK_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* --- building programs ------------------------------------------------ */

#define SPK_DATA_OFF(field)	offsetof(struct seccomp_data, field)
/* Low and high 32 bits of argument i (x86 is little-endian). */
#define SPK_ARG_LO(i)		(SPK_DATA_OFF(args[0]) + 8 * (i))
#define SPK_ARG_HI(i)		(SPK_ARG_LO(i) + 4)

#define SPK_LD(off)		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define SPK_LD_NR		SPK_LD(SPK_DATA_OFF(nr))
#define SPK_LD_ARCH		SPK_LD(SPK_DATA_OFF(arch))
#define SPK_RET(val)		BPF_STMT(BPF_RET | BPF_K, (val))
#define SPK_ALLOW		SPK_RET(SECCOMP_RET_ALLOW)
#define SPK_ERRNO(n)		(SECCOMP_RET_ERRNO | ((n) & SECCOMP_RET_DATA))

/* With nr in A: if A == nr, return action, else go on (two insns). */
#define SPK_ON_NR(nr, action) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), SPK_RET(action)

/* Kill anything that is not x86_64 (three insns; A is clobbered). */
#define SPK_X86_64_ONLY \
	SPK_LD_ARCH, \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0), \
	SPK_RET(SECCOMP_RET_KILL_PROCESS)

/* --- small I/O helpers ------------------------------------------------ */

/* Write all of buf; 0 or -errno. */
static inline int spk_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

/* Read until len bytes or EOF; bytes read or -errno. */
static inline ssize_t spk_recv(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		got += n;
	}
	return got;
}

/* --- configfs items --------------------------------------------------- */

struct spk_item {
	char name[64];
	char path[128];
};

/* Is speaker.ko loaded (and configfs mounted)? */
static inline bool spk_available(void)
{
	return access(SPK_ROOT, F_OK) == 0;
}

/**
 * spk_item_create() - make a configfs item
 * @it: filled in with the item's name and path
 * @name: item name; "%d" in it is replaced by the caller's PID, which
 *	keeps names unique across the tests of one run
 *
 * Return: 0 or -errno from mkdir.
 */
static inline int spk_item_create(struct spk_item *it, const char *name)
{
	snprintf(it->name, sizeof(it->name), name, (int)getpid());
	snprintf(it->path, sizeof(it->path), SPK_ROOT "/%s", it->name);
	return mkdir(it->path, 0700) ? -errno : 0;
}

static inline void spk_attr_path(const struct spk_item *it, const char *attr,
				 char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", it->path, attr);
}

/**
 * spk_attr_write() - write a text attribute in one write()
 * Return: 0 or the -errno that open() or write() gave.
 */
static inline int spk_attr_write(const struct spk_item *it, const char *attr,
				 const char *val)
{
	char path[192];
	int fd, ret;

	spk_attr_path(it, attr, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

static inline __attribute__((format(printf, 3, 4)))
int spk_attr_printf(const struct spk_item *it, const char *attr,
		    const char *fmt, ...)
{
	char val[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return spk_attr_write(it, attr, val);
}

/**
 * spk_attr_read() - read a whole attribute, text or binary
 * @buf: receives the contents, NUL-terminated when there is room
 *
 * Return: bytes read or -errno.
 */
static inline ssize_t spk_attr_read(const struct spk_item *it,
				    const char *attr, void *buf, size_t size)
{
	char path[192];
	ssize_t n;
	int fd;

	spk_attr_path(it, attr, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = spk_recv(fd, buf, size);
	close(fd);
	if (n >= 0 && (size_t)n < size)
		((char *)buf)[n] = '\0';
	return n;
}

/*
 * Find the line of @text that starts with "@key " and return what follows
 * the key, up to the end of the line, in @out. 0 or -ENOENT.
 */
static inline int spk_line_after(const char *text, const char *key,
				 char *out, size_t size)
{
	size_t klen = strlen(key), len;
	const char *p = text, *end;

	for (; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, '\n');
		if (!strncmp(p, key, klen) && p[klen] == ' ') {
			p += klen + 1;
			len = end - p;
			if (len >= size)
				len = size - 1;
			memcpy(out, p, len);
			out[len] = '\0';
			return 0;
		}
	}
	return -ENOENT;
}

/**
 * spk_recorded() - did trace mode record a call?
 * @phase: "booting", "running" or "shutdown"
 * @arch: "x86_64", "i386" or "x32"
 * @nr: the number as the recorded attribute shows it (x32: bit 30 set)
 *
 * Return: true if @nr is on the item's "@phase @arch" line.
 */
static inline bool spk_recorded(const struct spk_item *it, const char *phase,
				const char *arch, long nr)
{
	char text[16384], key[32], nums[16384], want[24];
	ssize_t n = spk_attr_read(it, "recorded", text, sizeof(text) - 1);

	if (n < 0)
		return false;
	text[n] = '\0';
	snprintf(key, sizeof(key), "%s %s", phase, arch);
	if (spk_line_after(text, key, nums + 1, sizeof(nums) - 2))
		return false;
	nums[0] = ' ';
	strcat(nums, " ");
	snprintf(want, sizeof(want), " %ld ", nr);
	return strstr(nums, want);
}

/**
 * spk_status() - the status of one phase's program
 * @phase: "booting", "running" or "shutdown"
 * @out: receives "<insns> ok", "<insns> none" or "<insns> refused: ..."
 *
 * Return: 0 or -errno.
 */
static inline int spk_status(const struct spk_item *it, const char *phase,
			     char *out, size_t size)
{
	char text[512];
	ssize_t n = spk_attr_read(it, "status", text, sizeof(text));

	if (n < 0)
		return n;
	return spk_line_after(text, phase, out, size);
}

/* Exact count of non-allowed calls in @phase, or -errno. */
static inline long long spk_violations(const struct spk_item *it,
				       const char *phase)
{
	char text[4096], val[32];
	ssize_t n = spk_attr_read(it, "violations", text, sizeof(text));
	int ret;

	if (n < 0)
		return n;
	ret = spk_line_after(text, phase, val, sizeof(val));
	return ret ? ret : strtoll(val, NULL, 10);
}

/* The most recent violation's line ("pid P comm C ..."), 0 or -errno. */
static inline int spk_violation_last(const struct spk_item *it, char *out,
				     size_t size)
{
	char text[4096], *last = NULL, *p;
	ssize_t n = spk_attr_read(it, "violations", text, sizeof(text));

	if (n < 0)
		return n;
	for (p = text; (p = strstr(p, "pid ")); p++)
		if (p == text || p[-1] == '\n')
			last = p;
	if (!last)
		return -ENOENT;
	p = strchrnul(last, '\n');
	*p = '\0';
	snprintf(out, size, "%s", last);
	return 0;
}

/**
 * spk_prog_write_raw() - write bytes to a phase's program, then close
 * @phase: "booting", "running" or "shutdown"
 * @buf: the bytes, written with one write() (none when @size is 0 and
 *	@empty_write is false)
 *
 * configfs hands the bytes to speaker at close() and drops its answer:
 * the result says only whether open() and write() worked. Use
 * spk_status() to learn whether the program was taken.
 *
 * Return: 0 or the -errno of open() or write().
 */
static inline int spk_prog_write_raw(const struct spk_item *it,
				     const char *phase, const void *buf,
				     size_t size, bool empty_write)
{
	char path[192];
	int fd, ret = 0;

	spk_attr_path(it, phase, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if ((size || empty_write) && write(fd, buf, size) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/**
 * spk_prog_write() - install a program for one phase and check it took
 * Return: 0 when status says "ok", -EINVAL when it says refused, or the
 * -errno of a failed open(), write() or read.
 */
static inline int spk_prog_write(const struct spk_item *it, const char *phase,
				 const struct sock_filter *insns, size_t n)
{
	char status[128];
	int ret;

	ret = spk_prog_write_raw(it, phase, insns, n * sizeof(*insns), false);
	if (!ret)
		ret = spk_status(it, phase, status, sizeof(status));
	/* "<insns> ok": the program in force is the one just written. */
	if (!ret && strcmp(strchrnul(status, ' '), " ok"))
		ret = -EINVAL;
	return ret;
}

/* The same program for all three phases: 0 or the first error. */
static inline int spk_prog_write_all(const struct spk_item *it,
				     const struct sock_filter *insns, size_t n)
{
	static const char *const phases[] = { "booting", "running",
					       "shutdown" };
	unsigned int i;
	int ret;

	for (i = 0; i < SPK_ARRAY_SIZE(phases); i++) {
		ret = spk_prog_write(it, phases[i], insns, n);
		if (ret)
			return ret;
	}
	return 0;
}

/* Read a phase's program back: bytes read or -errno. */
static inline ssize_t spk_prog_read(const struct spk_item *it,
				    const char *phase, void *buf, size_t size)
{
	return spk_attr_read(it, phase, buf, size);
}

/**
 * spk_item_remove() - detach and remove an item
 *
 * Return: 0 or -errno from rmdir (a failed detach shows there too).
 */
static inline int spk_item_remove(const struct spk_item *it)
{
	if (!it->path[0])
		return 0;
	spk_attr_write(it, "target", "0");
	return rmdir(it->path) ? -errno : 0;
}

/* --- processes and containers ----------------------------------------- */

/*
 * The channel between a body and the test: the body reads @in (the test's
 * spk_container_send(); EOF after spk_container_wait() started) and writes
 * results to @out (the test's spk_container_recv()). For spk_fork_run()
 * @in is -1.
 */
struct spk_chan {
	int in;
	int out;
};

/* A body: the process's exit status is its return value. */
typedef int (*spk_fn)(const struct spk_chan *ch, void *arg);

/**
 * spk_fork_run() - run @fn in a child, collect its report and status
 * @fn: runs in the child, reports by writing to ch->out
 * @res: receives up to @len bytes that the child (and any descendant
 *	still holding ch->out) wrote
 * @status: receives the child's wait status
 *
 * Return: bytes received (fewer than @len when the child died before
 * reporting everything), or -errno.
 */
static inline ssize_t spk_fork_run(spk_fn fn, void *arg, void *res,
				   size_t len, int *status)
{
	struct spk_chan ch = { .in = -1 };
	int fds[2];
	ssize_t got;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		got = -errno;
		close(fds[0]);
		close(fds[1]);
		return got;
	}
	if (!pid) {
		close(fds[0]);
		ch.out = fds[1];
		_exit(fn(&ch, arg));
	}
	close(fds[1]);
	got = spk_recv(fds[0], res, len);
	close(fds[0]);
	if (waitpid(pid, status, 0) != pid)
		return -errno;
	return got;
}

enum {
	/* Wait before unshare() until spk_container_release(). */
	SPK_CONTAINER_ARMED = 1 << 0,
};

/**
 * struct spk_container - a child PID namespace running a test body
 * @outer: host PID of the child that unshares; the init's parent
 * @init: host PID of the namespace's init (0 until it exists)
 * @flags: SPK_CONTAINER_* as passed to spk_container_start()
 * @to_body: write end of the body's ch->in
 * @from_body: read end of the body's ch->out
 * @info: read end of a pipe on which @outer reports the init's PID and,
 *	when it has exited, its wait status
 * @gate: write end that releases @outer (armed) or the init (go)
 * @init_fd: pidfd of the init, so that a kill never hits a reused PID
 */
struct spk_container {
	pid_t outer;
	pid_t init;
	int flags;
	int to_body;
	int from_body;
	int info;
	int gate;
	int init_fd;
};

/* Pipes of a container: [0] read end, [1] write end. */
struct spk_container_pipes {
	int in[2], out[2], info[2], gate[2];
};

static inline void spk_close_pair(int fds[2])
{
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	fds[0] = fds[1] = -1;
}

/* The init of the new namespace: wait at the gate unless armed, run. */
static inline int spk_container_init(struct spk_container_pipes *p,
				     int flags, spk_fn fn, void *arg)
{
	struct spk_chan ch = { .in = p->in[0], .out = p->out[1] };
	char go;

	if (!(flags & SPK_CONTAINER_ARMED) &&
	    spk_recv(p->gate[0], &go, 1) != 1)
		return 125;	/* the test went away before go */
	close(p->gate[0]);
	return fn(&ch, arg);
}

/* The child that makes the namespace; reports the init's PID and fate. */
static inline int spk_container_outer(struct spk_container_pipes *p,
				      int flags, spk_fn fn, void *arg)
{
	struct rlimit no_core = { 0, 0 };
	int status;
	char go;
	pid_t init;

	/* Tests kill on purpose: no core files. */
	setrlimit(RLIMIT_CORE, &no_core);
	close(p->in[1]);
	close(p->out[0]);
	close(p->info[0]);
	close(p->gate[1]);

	if ((flags & SPK_CONTAINER_ARMED) && spk_recv(p->gate[0], &go, 1) != 1)
		return 125;
	if (unshare(CLONE_NEWPID))
		return 126;
	init = fork();
	if (init < 0)
		return 127;
	if (!init) {
		close(p->info[1]);
		_exit(spk_container_init(p, flags, fn, arg));
	}
	close(p->in[0]);
	close(p->out[1]);
	close(p->gate[0]);
	spk_send(p->info[1], &init, sizeof(init));
	if (waitpid(init, &status, 0) != init)
		status = -1;
	spk_send(p->info[1], &status, sizeof(status));
	return 0;
}

/* Read the init's PID from the outer child. */
static inline int spk_container_read_init(struct spk_container *c)
{
	pid_t init;

	if (spk_recv(c->info, &init, sizeof(init)) != sizeof(init))
		return -ECHILD;
	c->init = init;
	/* The init waits (at the gate, or for its outer child): still there. */
	c->init_fd = syscall(__NR_pidfd_open, init, 0);
	return 0;
}

/**
 * spk_container_start() - start a container whose init will run @fn
 * @c: filled in
 * @fn: the body, run as PID 1 of the new namespace
 * @flags: 0, or SPK_CONTAINER_ARMED (see the top of this file)
 *
 * Without SPK_CONTAINER_ARMED, returns once c->init is known; the init
 * then waits for spk_container_go() before it runs @fn.
 *
 * Return: 0 or -errno.
 */
static inline int spk_container_start(struct spk_container *c, spk_fn fn,
				      void *arg, int flags)
{
	struct spk_container_pipes p;
	int ret = 0;

	memset(&p, 0xff, sizeof(p));
	memset(c, 0, sizeof(*c));
	c->to_body = c->from_body = c->info = c->gate = c->init_fd = -1;
	c->flags = flags;
	if (pipe2(p.in, O_CLOEXEC) || pipe2(p.out, O_CLOEXEC) ||
	    pipe2(p.info, O_CLOEXEC) || pipe2(p.gate, O_CLOEXEC)) {
		ret = -errno;
		goto fail;
	}
	fflush(NULL);
	c->outer = fork();
	if (c->outer < 0) {
		ret = -errno;
		goto fail;
	}
	if (!c->outer)
		_exit(spk_container_outer(&p, flags, fn, arg));

	c->to_body = p.in[1];
	c->from_body = p.out[0];
	c->info = p.info[0];
	c->gate = p.gate[1];
	close(p.in[0]);
	close(p.out[1]);
	close(p.info[1]);
	close(p.gate[0]);
	if (flags & SPK_CONTAINER_ARMED)
		return 0;
	return spk_container_read_init(c);

fail:
	spk_close_pair(p.in);
	spk_close_pair(p.out);
	spk_close_pair(p.info);
	spk_close_pair(p.gate);
	return ret;
}

/**
 * spk_container_release() - let an armed container make its namespace
 *
 * Return: 0 once c->init is known, or -errno.
 */
static inline int spk_container_release(struct spk_container *c)
{
	int ret = spk_send(c->gate, "g", 1);

	close(c->gate);
	c->gate = -1;
	return ret ? ret : spk_container_read_init(c);
}

/* Let the init run the body: 0 or -errno. */
static inline int spk_container_go(struct spk_container *c)
{
	int ret = spk_send(c->gate, "g", 1);

	close(c->gate);
	c->gate = -1;
	return ret;
}

static inline int spk_container_send(struct spk_container *c,
				     const void *buf, size_t len)
{
	return spk_send(c->to_body, buf, len);
}

/* Bytes the body reported (fewer than @len at EOF), or -errno. */
static inline ssize_t spk_container_recv(struct spk_container *c, void *buf,
					 size_t len)
{
	return spk_recv(c->from_body, buf, len);
}

static inline void spk_container_close(struct spk_container *c)
{
	int *fds[] = { &c->to_body, &c->from_body, &c->info, &c->gate,
		       &c->init_fd };
	unsigned int i;

	for (i = 0; i < SPK_ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/**
 * spk_container_wait() - wait for the init to exit
 * @status: receives the init's wait status
 *
 * Closes the body's ch->in first, so a body that reads it until EOF
 * finishes.
 *
 * Return: 0 or -errno.
 */
static inline int spk_container_wait(struct spk_container *c, int *status)
{
	int ret = 0, outer_status;

	if (!c->outer)
		return -ECHILD;
	if (c->to_body >= 0) {
		close(c->to_body);
		c->to_body = -1;
	}
	if (c->gate >= 0) {	/* never released: the child gives up */
		close(c->gate);
		c->gate = -1;
	}
	if (spk_recv(c->info, status, sizeof(*status)) != sizeof(*status))
		ret = -ECHILD;
	if (waitpid(c->outer, &outer_status, 0) != c->outer && !ret)
		ret = -errno;
	spk_container_close(c);
	c->outer = 0;
	return ret;
}

/* Kill the whole namespace (if still there) and reap. */
static inline void spk_container_kill(struct spk_container *c)
{
	int status;

	if (!c->outer)
		return;
	if (c->init_fd >= 0)
		syscall(__NR_pidfd_send_signal, c->init_fd, SIGKILL, NULL, 0);
	else if (c->init > 0)
		kill(c->init, SIGKILL);
	spk_container_wait(c, &status);
}

/* A body that waits until the test calls spk_container_wait(). */
static inline int spk_body_idle(const struct spk_chan *ch, void *arg)
{
	char buf[16];

	(void)arg;
	while (spk_recv(ch->in, buf, sizeof(buf)) > 0)
		;
	return 0;
}

/**
 * spk_wait_in_call() - wait until a task sleeps in a given system call
 * @pid: the task
 * @nr: the call's number, as /proc/PID/syscall shows it
 * @timeout_ms: how long to poll
 *
 * Return: true once @pid is in @nr, false on timeout or if @pid is gone.
 */
static inline bool spk_wait_in_call(pid_t pid, long nr, int timeout_ms)
{
	char path[64], line[64];
	int waited, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	for (waited = 0; waited < timeout_ms; waited += 10) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return false;
		n = read(fd, line, sizeof(line) - 1);
		close(fd);
		line[n > 0 ? n : 0] = '\0';
		if (line[0] != '-' && strtol(line, NULL, 10) == nr &&
		    (nr || line[0] == '0'))
			return true;
		usleep(10 * 1000);
	}
	return false;
}

/* --- the kernel's ABIs ------------------------------------------------ */

/* Is @word one of the kernel command line's words? */
static inline bool spk_cmdline_has(const char *word)
{
	char line[4096], *tok, *save;
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return false;
	line[n] = '\0';
	for (tok = strtok_r(line, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

/*
 * Should this kernel run calls of the other ABIs? x32 when booted with
 * syscall.x32=y, as scripts/vm-run boots; i386 unless ia32_emulation was
 * turned off (Debian's kernels have it). A test that finds the ABI
 * missing although it should be there fails instead of skipping, so that
 * the ABI tests cannot go quietly unrun.
 */
static inline bool spk_x32_expected(void)
{
	return spk_cmdline_has("syscall.x32=y");
}

static inline bool spk_i386_expected(void)
{
	static const char *const off[] = {
		"ia32_emulation=0", "ia32_emulation=n", "ia32_emulation=N",
		"ia32_emulation=no", "ia32_emulation=f", "ia32_emulation=F",
		"ia32_emulation=false", "ia32_emulation=off",
	};
	unsigned int i;

	/* kstrtobool's false forms; a kernel built with it off is not Debian's */
	for (i = 0; i < SPK_ARRAY_SIZE(off); i++)
		if (spk_cmdline_has(off[i]))
			return false;
	return true;
}

/* --- kernel log ------------------------------------------------------- */

/**
 * spk_kmsg_count() - count kernel log records that contain two strings
 * @a: a string the record must contain
 * @b: another one, or NULL
 *
 * Reads the whole of /dev/kmsg without blocking.
 *
 * Return: the number of records, or -errno.
 */
static inline long spk_kmsg_count(const char *a, const char *b)
{
	char rec[8192];
	long count = 0;
	ssize_t n;
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten under us: skip on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (strstr(rec, a) && (!b || strstr(rec, b)))
			count++;
	}
	close(fd);
	return count;
}

/* --- kernel log: problems --------------------------------------------- */

/* /dev/kmsg positioned at its end: later reads see only newer records. */
static inline int spk_kmsg_open_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Does a kernel log message show a kernel problem? The same kinds that
 * scripts/klog-check fails a VM run on.
 */
static inline bool spk_kmsg_is_problem(const char *msg)
{
	static const char *const bad[] = {
		"BUG:", "kernel BUG at", "WARNING:", "Oops", "invalid opcode:",
		"general protection fault", "Kernel panic", "soft lockup",
		"hard LOCKUP", "self-detected stall", "rcu: INFO:",
		"blocked for more than", "refcount_t:", "UBSAN:", "KASAN:",
	};
	unsigned int i;

	for (i = 0; i < SPK_ARRAY_SIZE(bad); i++)
		if (strstr(msg, bad[i]))
			return true;
	return false;
}

/**
 * spk_kmsg_problems() - count kernel problems logged since @fd was opened
 * @fd: from spk_kmsg_open_end(); read on, so each record counts once
 * @first: receives the first such message (may be NULL)
 *
 * Return: the number of records that show a kernel problem.
 */
static inline long spk_kmsg_problems(int fd, char *first, size_t size)
{
	char rec[8192];
	const char *msg;
	long count = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten under us: read on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		if (!spk_kmsg_is_problem(msg))
			continue;
		if (!count++ && first && size) {
			n = strnlen(msg, size - 1);
			memcpy(first, msg, n);
			first[n] = '\0';
		}
	}
	return count;
}

/* --- namespaces and credentials ----------------------------------------- */

/* Inode of the active PID namespace of @pid (0: the caller), 0 on error. */
static inline ino_t spk_pidns_ino(pid_t pid)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/thread-self/ns/pid");
	return stat(path, &st) ? 0 : st.st_ino;
}

/**
 * spk_wait_in_syscall() - wait until a task sits in a system call
 * @pid: host PID (or TID) of the task
 * @nr: the x86_64 system call number it must be blocked in
 *
 * Return: 0, or -ETIMEDOUT after about 10 s.
 */
static inline int spk_wait_in_syscall(pid_t pid, long nr)
{
	char path[64], buf[64];
	int i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	for (i = 0; i < 1000; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (strtol(buf, NULL, 10) == nr)
				return 0;
		}
		usleep(10000);
	}
	return -ETIMEDOUT;
}

#endif /* SPEAKER_UTIL_H */
