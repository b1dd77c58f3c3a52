// SPDX-License-Identifier: GPL-2.0
/*
 * Escapes: from inside an enforced container, try the ways around a
 * system call filter, each of which must fail: other ABIs (int $0x80, x32),
 * a new PID namespace inside the container, a tracer rewriting a call at
 * its syscall-enter stop (speaker's probe runs after ptrace, so the
 * rewritten call is judged), threads that existed before the attach, the
 * exec of a setuid binary, and a fork storm while the phase switches.
 *
 * The program denies mkdir and mkdirat, every i386 call and every x32 call,
 * each with its own errno, and allows everything else; an escape shows as
 * a directory that exists. Where an attempt depends on a kernel feature
 * (int $0x80, x32, setuid on /tmp), the test first makes the same call
 * outside the container, so that "denied" inside means speaker denied it.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>

#include "speaker_util.h"
#include "kselftest_harness.h"

#define DENIED		123	/* ENOMEDIUM: mkdir, mkdirat */
#define ARCH_DENIED	125	/* ECANCELED: i386 */
#define X32_DENIED	126	/* ENOKEY: x32 */
#define I386_NR_mkdir	39	/* x86_64 39 is getpid */
#define X32_BIT		0x40000000

#define HELPER_ARG	"--speaker-setuid-helper"

static const struct sock_filter escape_prog[] = {
	SPK_LD_ARCH,
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	SPK_RET(SPK_ERRNO(ARCH_DENIED)),
	SPK_LD_NR,
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 0, 1),
	SPK_RET(SPK_ERRNO(X32_DENIED)),
	SPK_ON_NR(__NR_mkdir, SPK_ERRNO(DENIED)),
	SPK_ON_NR(__NR_mkdirat, SPK_ERRNO(DENIED)),
	SPK_ALLOW,
};

/* What an attempt reports: the errno it got and where it ran. */
struct report {
	int err;		/* 0 if the call succeeded */
	ino_t pidns;
	int euid;
	int extra;
};

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int mkdir_errno(const char *path)
{
	return mkdir(path, 0700) ? errno : 0;
}

static long raw_syscall(long nr, long a0, long a1)
{
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "0"(nr), "D"(a0), "S"(a1)
		     : "rcx", "r11", "memory");
	return ret;
}

static long raw_int80(long nr, long a0, long a1)
{
	long ret;

	asm volatile("int $0x80"
		     : "=a"(ret)
		     : "0"(nr), "b"(a0), "c"(a1)
		     : "r8", "r9", "r10", "r11", "memory");
	return ret;
}

/* The kernel's return value as an errno (0 on success). */
static int as_errno(long ret)
{
	return ret < 0 && ret > -4096 ? (int)-ret : 0;
}

struct env {
	struct spk_item it;
	struct spk_container c;
	char dir[96];		/* must never exist */
	char *low;		/* a page below 4 GiB, for i386 pointers */
	int kmsg;
};

static void env_setup(struct __test_metadata *_metadata, struct env *e)
{
	memset(e, 0, sizeof(*e));
	e->kmsg = -1;
	if (!spk_available())
		SKIP(return, "speaker.ko is not loaded (no %s)", SPK_ROOT);
	e->kmsg = spk_kmsg_open_end();
	ASSERT_EQ(0, spk_item_create(&e->it, "escape-%d"));
	ASSERT_EQ(0, spk_attr_printf(&e->it, "settle_ms", "%d",
				     SPK_SETTLE_FOREVER));
	ASSERT_EQ(0, spk_prog_write_all(&e->it, escape_prog,
					SPK_ARRAY_SIZE(escape_prog)));
	snprintf(e->dir, sizeof(e->dir), "/tmp/speaker-escape-%d", getpid());
	e->low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	ASSERT_NE(MAP_FAILED, e->low);
	snprintf(e->low, 4096, "%s", e->dir);
}

static void env_teardown(struct __test_metadata *_metadata, struct env *e)
{
	char first[512] = "";

	spk_container_kill(&e->c);
	spk_item_remove(&e->it);
	if (e->dir[0])
		rmdir(e->dir);
	if (e->kmsg >= 0) {
		EXPECT_EQ(0, spk_kmsg_problems(e->kmsg, first, sizeof(first))) {
			TH_LOG("kernel log: %s", first);
		}
		close(e->kmsg);
	}
}

/* Run @body as the init of a container attached to the item; 1 report. */
static void run_attached(struct __test_metadata *_metadata, struct env *e,
			 spk_fn body, void *arg, struct report *r)
{
	int status;

	ASSERT_EQ(0, spk_container_start(&e->c, body, arg, 0));
	ASSERT_EQ(0, spk_attr_printf(&e->it, "target", "%d", e->c.init));
	ASSERT_EQ(0, spk_container_go(&e->c));
	ASSERT_EQ((ssize_t)sizeof(*r), spk_container_recv(&e->c, r, sizeof(*r))) {
		TH_LOG("the container died before it reported");
	}
	ASSERT_EQ(0, spk_container_wait(&e->c, &status));
}

FIXTURE(escape) {
	struct env e;
};

FIXTURE_SETUP(escape)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(escape)
{
	env_teardown(_metadata, &self->e);
}

/* ------------------------------------------------------------------ */
/* Other ABIs. */

static int int80_body(const struct spk_chan *ch, void *low)
{
	struct report r = {
		.err = as_errno(raw_int80(I386_NR_mkdir, (long)low, 0700)) };

	return spk_send(ch->out, &r, sizeof(r)) ? 1 : 0;
}

TEST_F(escape, int80_mkdir_is_judged_as_i386)
{
	struct report r;
	int host;

	/* The same call on the host, to know int $0x80 works here. */
	host = as_errno(raw_int80(I386_NR_mkdir, (long)self->e.low, 0700));
	if (host == ENOSYS) {
		ASSERT_FALSE(spk_i386_expected()) {
			TH_LOG("int $0x80 gives ENOSYS, but ia32_emulation is not off");
		}
		SKIP(return, "int $0x80 is disabled on this kernel (ia32_emulation)");
	}
	ASSERT_EQ(0, host);
	ASSERT_EQ(0, rmdir(self->e.dir));

	run_attached(_metadata, &self->e, int80_body, self->e.low, &r);
	EXPECT_EQ(ARCH_DENIED, r.err) {
		TH_LOG("i386 mkdir (39, i.e. x86_64 getpid) got errno %d", r.err);
	}
	EXPECT_FALSE(exists(self->e.dir));
}

static int x32_body(const struct spk_chan *ch, void *path)
{
	struct report r = {
		.err = as_errno(raw_syscall(X32_BIT | __NR_mkdir, (long)path,
					    0700)) };

	return spk_send(ch->out, &r, sizeof(r)) ? 1 : 0;
}

TEST_F(escape, x32_mkdir_is_judged_as_x32)
{
	struct report r;
	int host;

	host = as_errno(raw_syscall(X32_BIT | __NR_mkdir, (long)self->e.dir,
				    0700));
	if (host == ENOSYS) {
		ASSERT_FALSE(spk_x32_expected()) {
			TH_LOG("x32 calls give ENOSYS under syscall.x32=y");
		}
		SKIP(return, "x32 is off (boot with syscall.x32=y)");
	}
	ASSERT_EQ(0, host);
	ASSERT_EQ(0, rmdir(self->e.dir));

	run_attached(_metadata, &self->e, x32_body, self->e.dir, &r);
	EXPECT_EQ(X32_DENIED, r.err);
	EXPECT_FALSE(exists(self->e.dir));
}

/* ------------------------------------------------------------------ */
/* A new PID namespace inside the container. */

enum nest { NEST_UNSHARE, NEST_CLONE, NEST_CLONE_USERNS };

struct nest_arg {
	enum nest how;
	const char *dir;
	int out;
};

static int nested_init(void *arg)
{
	struct nest_arg *n = arg;
	struct report r = { .err = mkdir_errno(n->dir),
			    .pidns = spk_pidns_ino(0) };

	return spk_send(n->out, &r, sizeof(r)) ? 1 : 0;
}

static int nest_body(const struct spk_chan *ch, void *arg)
{
	static long stack[8192];	/* glibc's clone() aligns the top */
	struct nest_arg n = *(struct nest_arg *)arg;
	struct report r;
	int status, flags = CLONE_NEWPID;
	pid_t pid;

	n.out = ch->out;
	if (n.how == NEST_UNSHARE) {
		if (unshare(CLONE_NEWPID))
			return 2;
		pid = fork();
		if (!pid)
			_exit(nested_init(&n));
	} else {
		if (n.how == NEST_CLONE_USERNS)
			flags |= CLONE_NEWUSER;
		pid = clone(nested_init, stack + SPK_ARRAY_SIZE(stack),
			    flags | SIGCHLD, &n);
	}
	if (pid < 0) {
		r.err = -errno;	/* could not even try */
		return spk_send(ch->out, &r, sizeof(r)) ? 1 : 0;
	}
	waitpid(pid, &status, 0);
	return 0;
}

FIXTURE(nest) {
	struct env e;
};

FIXTURE_VARIANT(nest) {
	enum nest how;
};

FIXTURE_VARIANT_ADD(nest, unshare_then_fork) { .how = NEST_UNSHARE };
FIXTURE_VARIANT_ADD(nest, clone_newpid) { .how = NEST_CLONE };
FIXTURE_VARIANT_ADD(nest, clone_newuser_newpid) { .how = NEST_CLONE_USERNS };

FIXTURE_SETUP(nest)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(nest)
{
	env_teardown(_metadata, &self->e);
}

TEST_F(nest, new_namespace_inside_is_still_enforced)
{
	struct nest_arg n = { .how = variant->how, .dir = self->e.dir };
	struct report r;
	ino_t outer;

	run_attached(_metadata, &self->e, nest_body, &n, &r);
	ASSERT_LE(0, r.err) {
		TH_LOG("could not make the namespace: %s", strerror(-r.err));
	}
	outer = spk_pidns_ino(0);
	EXPECT_NE(outer, r.pidns);
	EXPECT_EQ(DENIED, r.err);
	EXPECT_FALSE(exists(self->e.dir));
}

/* ------------------------------------------------------------------ */
/* A tracer rewrites the call at its syscall-enter stop. */

enum rewrite { RW_POKEUSER, RW_SETREGS };

struct trace_arg {
	enum rewrite how;
	const char *dir;
	bool tracer_inside;	/* the tracer is a sibling in the container */
};

/* The tracee: stop, then getppid(dir, 0700), which the tracer rewrites. */
static int tracee(const char *dir, int out)
{
	struct report r = { 0 };

	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	raise(SIGSTOP);
	r.err = as_errno(raw_syscall(__NR_getppid, (long)dir, 0700));
	r.pidns = spk_pidns_ino(0);
	return spk_send(out, &r, sizeof(r)) ? 1 : 0;
}

/*
 * Seize @pid (stopped), let it run to the syscall-enter stop of getppid,
 * and turn the call into mkdir. Returns 0 or a small positive error.
 */
static int rewrite_to_mkdir(pid_t pid, enum rewrite how)
{
	struct user_regs_struct regs;
	int status, i;

	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD))
		return 10;
	for (i = 0; i < 100; i++) {
		if (ptrace(PTRACE_SYSCALL, pid, 0, 0) && i)
			return 11;
		if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
			return 12;
		if (WSTOPSIG(status) != (SIGTRAP | 0x80))
			continue;	/* the SIGSTOP or a group stop */
		if (ptrace(PTRACE_GETREGS, pid, 0, &regs))
			return 13;
		if (regs.orig_rax == __NR_getppid)
			break;
		/* The exit stop of another call: go on. */
	}
	if (i == 100)
		return 14;
	if (how == RW_POKEUSER) {
		if (ptrace(PTRACE_POKEUSER, pid,
			   offsetof(struct user_regs_struct, orig_rax),
			   __NR_mkdir))
			return 15;
	} else {
		regs.orig_rax = __NR_mkdir;
		if (ptrace(PTRACE_SETREGS, pid, 0, &regs))
			return 15;
	}
	if (ptrace(PTRACE_DETACH, pid, 0, 0))
		return 16;
	/* It is still in the group stop of its SIGSTOP: end that. */
	kill(pid, SIGCONT);
	return 0;
}

/* Fork a tracee that reports to @out, rewrite its call; 0 or an error. */
static int traced_mkdir(const char *dir, enum rewrite how, int out)
{
	int status, ret;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid)
		_exit(tracee(dir, out));
	/* Wait for its SIGSTOP without reaping it. */
	if (waitpid(pid, &status, WSTOPPED) != pid)
		return 2;
	ret = rewrite_to_mkdir(pid, how);
	if (ret)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return ret;
}

/* In the container: a sibling of the tracee traces it. */
static int trace_body(const struct spk_chan *ch, void *arg)
{
	struct trace_arg *t = arg;
	struct report r = { 0 };
	int status;
	pid_t tracer;

	tracer = fork();
	if (!tracer)
		_exit(traced_mkdir(t->dir, t->how, ch->out));
	waitpid(tracer, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		r.err = -(WIFEXITED(status) ? WEXITSTATUS(status) : 99);
		return spk_send(ch->out, &r, sizeof(r)) ? 1 : 0;
	}
	return 0;
}

/*
 * For a tracer on the host: a child of the init (an init ignores its own
 * SIGSTOP) tells its host PID (/proc is the host's), then is the tracee.
 */
static int tracee_body(const struct spk_chan *ch, void *arg)
{
	struct trace_arg *t = arg;
	char self[32] = "";
	int status;
	pid_t pid, host;

	pid = fork();
	if (!pid) {
		if (readlink("/proc/self", self, sizeof(self) - 1) < 0)
			_exit(1);
		host = atoi(self);
		if (spk_send(ch->out, &host, sizeof(host)))
			_exit(1);
		_exit(tracee(t->dir, ch->out));
	}
	waitpid(pid, &status, 0);
	return 0;
}

FIXTURE(ptrace) {
	struct env e;
};

FIXTURE_VARIANT(ptrace) {
	enum rewrite how;
	bool tracer_inside;
};

FIXTURE_VARIANT_ADD(ptrace, sibling_pokeuser_orig_rax) {
	.how = RW_POKEUSER, .tracer_inside = true,
};

FIXTURE_VARIANT_ADD(ptrace, sibling_setregs) {
	.how = RW_SETREGS, .tracer_inside = true,
};

FIXTURE_VARIANT_ADD(ptrace, host_tracer_pokeuser_orig_rax) {
	.how = RW_POKEUSER, .tracer_inside = false,
};

FIXTURE_SETUP(ptrace)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(ptrace)
{
	env_teardown(_metadata, &self->e);
}

/* Wait until @pid (not a child) is stopped: 0 or -ETIMEDOUT. */
static int wait_stopped(pid_t pid)
{
	char path[64], buf[256], *p;
	int fd, i;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (i = 0; i < 1000; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			p = strrchr(buf, ')');
			if (p && p[1] == ' ' && (p[2] == 'T' || p[2] == 't'))
				return 0;
		}
		usleep(10000);
	}
	return -ETIMEDOUT;
}

static int host_rewrite_fn(const struct spk_chan *ch, void *arg)
{
	struct trace_arg *t = arg;

	return traced_mkdir(t->dir, t->how, ch->out) ? 1 : 0;
}

TEST_F(ptrace, rewritten_call_is_judged)
{
	struct trace_arg t = { .how = variant->how, .dir = self->e.dir };
	struct report r = { 0 };
	int status, ret;
	pid_t pid;

	/* Control, outside any container: the rewrite makes the directory. */
	ASSERT_EQ((ssize_t)sizeof(r), spk_fork_run(host_rewrite_fn, &t, &r,
						   sizeof(r), &status));
	ASSERT_EQ(0, r.err) {
		TH_LOG("control: the rewritten call gave errno %d", r.err);
	}
	ASSERT_TRUE(exists(self->e.dir)) {
		TH_LOG("control: the rewrite did not turn getppid into mkdir");
	}
	ASSERT_EQ(0, rmdir(self->e.dir));

	if (variant->tracer_inside) {
		run_attached(_metadata, &self->e, trace_body, &t, &r);
	} else {
		ASSERT_EQ(0, spk_container_start(&self->e.c, tracee_body, &t, 0));
		ASSERT_EQ(0, spk_attr_printf(&self->e.it, "target", "%d",
					     self->e.c.init));
		/* The tracee stops itself; the host seizes it from outside. */
		ASSERT_EQ(0, spk_container_go(&self->e.c));
		ASSERT_EQ((ssize_t)sizeof(pid), spk_container_recv(&self->e.c,
					&pid, sizeof(pid)));
		ASSERT_EQ(0, wait_stopped(pid)) {
			TH_LOG("the tracee never stopped itself");
		}
		ret = rewrite_to_mkdir(pid, variant->how);
		ASSERT_EQ(0, ret);
		ASSERT_EQ((ssize_t)sizeof(r),
			  spk_container_recv(&self->e.c, &r, sizeof(r)));
		spk_container_wait(&self->e.c, &status);
	}
	ASSERT_LE(0, r.err) {
		TH_LOG("the tracer failed at step %d", -r.err);
	}
	EXPECT_EQ(DENIED, r.err) {
		TH_LOG("the rewritten call (mkdir) got errno %d", r.err);
	}
	EXPECT_FALSE(exists(self->e.dir));
}

/* ------------------------------------------------------------------ */
/* Threads that existed before the attach. */

#define PRE_THREADS	6

struct pre_arg {
	const char *dir;
	int gate;		/* read end: the threads block in read() */
	int err[PRE_THREADS];
	bool spin;		/* odd threads spin on getppid meanwhile */
	int go;			/* atomic: the test attached */
};

struct pre_thread {
	struct pre_arg *a;
	int i;
};

static void *pre_thread_fn(void *arg)
{
	struct pre_thread *t = arg;
	char path[128], c;

	if (t->i % 2 && t->a->spin) {
		while (!__atomic_load_n(&t->a->go, __ATOMIC_ACQUIRE))
			syscall(__NR_getppid);
	} else if (read(t->a->gate, &c, 1) != 1) {
		return NULL;	/* in read() across the attach */
	}
	snprintf(path, sizeof(path), "%s-%d", t->a->dir, t->i);
	t->a->err[t->i] = mkdir_errno(path);
	return NULL;
}

static int pre_body(const struct spk_chan *ch, void *arg)
{
	struct pre_thread t[PRE_THREADS];
	pthread_t th[PRE_THREADS];
	struct pre_arg *a = arg;
	int gate[2], i;
	char c;

	if (pipe(gate))
		return 1;
	a->gate = gate[0];
	for (i = 0; i < PRE_THREADS; i++) {
		t[i].a = a;
		t[i].i = i;
		a->err[i] = -1;
		if (pthread_create(&th[i], NULL, pre_thread_fn, &t[i]))
			return 1;
	}
	/* Tell the test that the threads run; it attaches, then says go. */
	if (spk_send(ch->out, "r", 1) || spk_recv(ch->in, &c, 1) != 1)
		return 1;
	__atomic_store_n(&a->go, 1, __ATOMIC_RELEASE);
	for (i = 0; i < PRE_THREADS; i++)
		if (write(gate[1], "g", 1) != 1)
			return 1;
	for (i = 0; i < PRE_THREADS; i++)
		pthread_join(th[i], NULL);
	return spk_send(ch->out, a->err, sizeof(a->err)) ? 1 : 0;
}

FIXTURE(pre) {
	struct env e;
	struct spk_item other;
	struct spk_container oc;
};

FIXTURE_VARIANT(pre) {
	bool other;	/* another container is enforced already */
};

/* speaker's probes get registered by this attach. */
FIXTURE_VARIANT_ADD(pre, first_container) { .other = false };

/*
 * speaker's probes run already: the threads lost the syscall tracepoint
 * work at their first calls (speaker keeps tasks outside containers off
 * the slow path), and the attach must give it back to every one.
 */
FIXTURE_VARIANT_ADD(pre, another_container_enforced) { .other = true };

FIXTURE_SETUP(pre)
{
	memset(&self->other, 0, sizeof(self->other));
	memset(&self->oc, 0, sizeof(self->oc));
	env_setup(_metadata, &self->e);
	if (!variant->other)
		return;
	ASSERT_EQ(0, spk_item_create(&self->other, "escape-other-%d"));
	ASSERT_EQ(0, spk_prog_write_all(&self->other, escape_prog,
					SPK_ARRAY_SIZE(escape_prog)));
	ASSERT_EQ(0, spk_container_start(&self->oc, spk_body_idle, NULL, 0));
	ASSERT_EQ(0, spk_attr_printf(&self->other, "target", "%d",
				     self->oc.init));
	ASSERT_EQ(0, spk_container_go(&self->oc));
}

FIXTURE_TEARDOWN(pre)
{
	spk_container_kill(&self->oc);
	spk_item_remove(&self->other);
	env_teardown(_metadata, &self->e);
}

TEST_F(pre, threads_started_before_the_attach_are_enforced)
{
	struct pre_arg a = { .dir = self->e.dir, .spin = true };
	int err[PRE_THREADS], status, i;
	char path[128], c;

	/* The init starts its threads first, then the item attaches. */
	ASSERT_EQ(0, spk_container_start(&self->e.c, pre_body, &a, 0));
	ASSERT_EQ(0, spk_container_go(&self->e.c));
	ASSERT_EQ(1, spk_container_recv(&self->e.c, &c, 1));
	ASSERT_EQ(0, spk_attr_printf(&self->e.it, "target", "%d",
				     self->e.c.init));
	ASSERT_EQ(0, spk_container_send(&self->e.c, "g", 1));
	ASSERT_EQ((ssize_t)sizeof(err),
		  spk_container_recv(&self->e.c, err, sizeof(err)));
	ASSERT_EQ(0, spk_container_wait(&self->e.c, &status));
	for (i = 0; i < PRE_THREADS; i++) {
		snprintf(path, sizeof(path), "%s-%d", self->e.dir, i);
		EXPECT_EQ(DENIED, err[i]) {
			TH_LOG("thread %d (%s before the attach): mkdir errno %d",
			       i, i % 2 ? "spinning" : "in read()", err[i]);
		}
		EXPECT_FALSE(exists(path));
		rmdir(path);
	}
}

/* ------------------------------------------------------------------ */
/* Exec of a setuid binary. */

/* In the exec'd setuid copy of this program: report euid and mkdir. */
static int setuid_helper(int argc, char **argv)
{
	struct report r = { 0 };

	if (argc < 4)
		return 2;
	r.euid = geteuid();
	r.err = mkdir_errno(argv[3]);
	return spk_send(atoi(argv[2]), &r, sizeof(r)) ? 1 : 0;
}

struct setuid_arg {
	const char *helper;
	const char *dir;
};

/* As nobody, exec the setuid-root helper; forward its report. */
static int setuid_body(const struct spk_chan *ch, void *arg)
{
	struct setuid_arg *s = arg;
	struct report r = { .err = -1, .euid = -1 };
	char fd[16];
	int p[2], status;
	pid_t pid;

	if (pipe(p))
		return 1;
	pid = fork();
	if (!pid) {
		close(p[0]);
		snprintf(fd, sizeof(fd), "%d", p[1]);
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(3);
		execl(s->helper, s->helper, HELPER_ARG, fd, s->dir, NULL);
		_exit(4);
	}
	close(p[1]);
	if (spk_recv(p[0], &r, sizeof(r)) != sizeof(r))
		r.extra = -1;
	waitpid(pid, &status, 0);
	if (r.extra)
		r.extra = status;
	return spk_send(ch->out, &r, sizeof(r)) ? 1 : 0;
}

/* Copy this program to @dest (setuid root, on a tmpfs without nosuid). */
static int install_helper(const char *dir, char *dest, size_t size)
{
	char buf[65536];
	int in, out;
	ssize_t n;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	if (mount("speaker-escape", dir, "tmpfs", 0, "mode=0755"))
		return -errno;
	snprintf(dest, size, "%s/helper", dir);
	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	out = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (in < 0 || out < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return -EIO;
	close(in);
	close(out);
	if (chown(dest, 0, 0) || chmod(dest, 04755))
		return -errno;
	return 0;
}

TEST_F(escape, exec_of_a_setuid_binary_stays_enforced)
{
	char mnt[96], helper[128];
	struct setuid_arg s = { .helper = helper, .dir = self->e.dir };
	struct report r;
	int ret;

	snprintf(mnt, sizeof(mnt), "/tmp/speaker-suid-%d", getpid());
	ret = install_helper(mnt, helper, sizeof(helper));
	ASSERT_EQ(0, ret) {
		TH_LOG("setting up the setuid helper: %s", strerror(-ret));
	}
	run_attached(_metadata, &self->e, setuid_body, &s, &r);
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	ASSERT_EQ(0, r.extra) {
		TH_LOG("the helper did not report (status 0x%x)", r.extra);
	}
	ASSERT_EQ(0, r.euid) {
		TH_LOG("the helper ran with euid %d: setuid was not honoured",
		       r.euid);
	}
	EXPECT_EQ(DENIED, r.err);
	EXPECT_FALSE(exists(self->e.dir));
}

/* ------------------------------------------------------------------ */
/* A fork storm while the phase switches. */

#define STORM		200
#define B_DENIED	111	/* per phase errno: booting */
#define R_DENIED	112	/* running */
#define S_DENIED	113	/* shutdown */

/* A child (and its own child) of the storm: report mkdir's errno. */
static int storm_child(const char *dir, int out, int depth)
{
	int err = mkdir_errno(dir), status;
	pid_t pid;

	if (spk_send(out, &err, sizeof(err)))
		return 1;
	if (depth) {
		pid = fork();
		if (!pid)
			_exit(storm_child(dir, out, depth - 1));
		if (pid > 0)
			waitpid(pid, &status, 0);
	}
	return 0;
}

static int storm_body(const struct spk_chan *ch, void *dir)
{
	int i, status, end = -1;
	pid_t pid;

	for (i = 0; i < STORM; i++) {
		pid = fork();
		if (!pid)
			_exit(storm_child(dir, ch->out, 1));
		if (pid < 0)
			break;
		while (waitpid(-1, &status, WNOHANG) > 0)
			;
	}
	while (wait(&status) > 0)
		;
	return spk_send(ch->out, &end, sizeof(end)) ? 1 : 0;
}

static void *phase_switcher(void *arg)
{
	const struct spk_item *it = arg;
	int i;

	for (i = 0; i < 400; i++)
		if (spk_attr_write(it, "phase", i % 2 ? "shutdown" : "running"))
			break;
	return NULL;
}

TEST_F(escape, fork_storm_during_phase_switches_stays_enforced)
{
	static const struct sock_filter progs[3][7] = {
		{ SPK_X86_64_ONLY, SPK_LD_NR,
		  SPK_ON_NR(__NR_mkdir, SPK_ERRNO(B_DENIED)), SPK_ALLOW },
		{ SPK_X86_64_ONLY, SPK_LD_NR,
		  SPK_ON_NR(__NR_mkdir, SPK_ERRNO(R_DENIED)), SPK_ALLOW },
		{ SPK_X86_64_ONLY, SPK_LD_NR,
		  SPK_ON_NR(__NR_mkdir, SPK_ERRNO(S_DENIED)), SPK_ALLOW },
	};
	static const char *const ph[] = { "booting", "running", "shutdown" };
	int counts[3] = { 0 }, other = 0, first = 0, err, status, i;
	pthread_t sw;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, spk_prog_write(&self->e.it, ph[i], progs[i], 7));
	ASSERT_EQ(0, spk_container_start(&self->e.c, storm_body,
					 self->e.dir, 0));
	ASSERT_EQ(0, spk_attr_printf(&self->e.it, "target", "%d",
				     self->e.c.init));
	ASSERT_EQ(0, spk_container_go(&self->e.c));
	ASSERT_EQ(0, pthread_create(&sw, NULL, phase_switcher, &self->e.it));
	while (spk_container_recv(&self->e.c, &err, sizeof(err)) == sizeof(err) &&
	       err != -1) {
		if (err >= B_DENIED && err <= S_DENIED) {
			counts[err - B_DENIED]++;
		} else {
			other++;
			if (!first)
				first = err ? err : -2;
		}
	}
	pthread_join(sw, NULL);
	ASSERT_EQ(0, spk_container_wait(&self->e.c, &status));
	TH_LOG("%d children and grandchildren: %d denied in booting, %d in running, %d in shutdown",
	       counts[0] + counts[1] + counts[2] + other, counts[0],
	       counts[1], counts[2]);
	EXPECT_EQ(2 * STORM, counts[0] + counts[1] + counts[2] + other);
	EXPECT_EQ(0, other) {
		TH_LOG("a storm child's mkdir got %d (-2: it worked)", first);
	}
	EXPECT_FALSE(exists(self->e.dir));
}

/* ------------------------------------------------------------------ */
/*
 * The legacy vsyscall page: gettimeofday, time and getcpu there are
 * emulated from a page fault (emulate_vsyscall()), not entered through
 * the system call path. seccomp judges them there; the sys_enter
 * tracepoint never fires for them.
 */
#define VSYSCALL_TIME	0xffffffffff600400UL

static int vsyscall_time(const struct spk_chan *ch, void *arg __maybe_unused)
{
	long (*vtime)(long *) = (long (*)(long *))VSYSCALL_TIME;
	struct report r = { 0 };
	long t = vtime(NULL);

	r.err = as_errno(t);
	r.extra = t > 0;
	return spk_send(ch->out, &r, sizeof(r)) ? 1 : 0;
}

static const struct sock_filter deny_time[] = {
	SPK_X86_64_ONLY, SPK_LD_NR,
	SPK_ON_NR(__NR_time, SPK_ERRNO(DENIED)),
	SPK_ON_NR(__NR_gettimeofday, SPK_ERRNO(DENIED)), SPK_ALLOW,
};

static int vsyscall_time_seccomp(const struct spk_chan *ch, void *prog)
{
	struct sock_fprog p = { .len = SPK_ARRAY_SIZE(deny_time),
				.filter = prog };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p))
		return 1;
	return vsyscall_time(ch, NULL);
}

/* Runs only on a kernel booted with vsyscall=xonly (Debian: none). */
TEST_F(escape, vsyscall_time_is_judged)
{
	struct report r = { 0 };
	int status;

	/* On the host first: is the vsyscall page there (not vsyscall=none)? */
	if (spk_fork_run(vsyscall_time, NULL, &r, sizeof(r), &status) !=
	    sizeof(r) || !r.extra)
		SKIP(return, "no vsyscall emulation here (status 0x%x)", status);
	/* Control: seccomp with the same program judges it. */
	ASSERT_EQ((ssize_t)sizeof(r),
		  spk_fork_run(vsyscall_time_seccomp, (void *)deny_time, &r,
			       sizeof(r), &status));
	ASSERT_EQ(DENIED, r.err) {
		TH_LOG("control: under seccomp, vsyscall time gave errno %d", r.err);
	}
	ASSERT_EQ(0, spk_prog_write_all(&self->e.it, deny_time,
					SPK_ARRAY_SIZE(deny_time)));
	run_attached(_metadata, &self->e, vsyscall_time, NULL, &r);
	EXPECT_EQ(DENIED, r.err) {
		TH_LOG("time() through the vsyscall page %s",
		       r.extra ? "returned the time: not judged" : "failed otherwise");
	}
}

/* ------------------------------------------------------------------ */
/*
 * TRAP on the container's init. seccomp raises its SIGSYS with
 * force_sig_seccomp(), which reaches a namespace's init even with the
 * default handler, so the init dies (a core-dumping signal). Sent with
 * send_sig_info(), the signal is dropped for an init whose handler is the
 * default (SIGNAL_UNKILLABLE), and the init goes on with the call
 * "returning" its own number, as a trap handler would see it.
 */
static int trap_init_body(const struct spk_chan *ch, void *dir)
{
	struct report r = { 0 };

	r.extra = raw_syscall(__NR_mkdir, (long)dir, 0700);
	r.err = as_errno(r.extra);
	return spk_send(ch->out, &r, sizeof(r)) ? 1 : 0;
}

TEST_F(escape, trap_reaches_an_init_without_a_sigsys_handler)
{
	static const struct sock_filter trap_mkdir[] = {
		SPK_X86_64_ONLY, SPK_LD_NR,
		SPK_ON_NR(__NR_mkdir, SECCOMP_RET_TRAP | 7), SPK_ALLOW,
	};
	struct report r = { .extra = -1 };
	ssize_t n;
	int status;

	ASSERT_EQ(0, spk_prog_write_all(&self->e.it, trap_mkdir,
					SPK_ARRAY_SIZE(trap_mkdir)));
	ASSERT_EQ(0, spk_container_start(&self->e.c, trap_init_body,
					 self->e.dir, 0));
	ASSERT_EQ(0, spk_attr_printf(&self->e.it, "target", "%d",
				     self->e.c.init));
	ASSERT_EQ(0, spk_container_go(&self->e.c));
	n = spk_container_recv(&self->e.c, &r, sizeof(r));
	ASSERT_EQ(0, spk_container_wait(&self->e.c, &status));
	EXPECT_FALSE(exists(self->e.dir));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
		TH_LOG("the init lived on (status 0x%x); its mkdir returned %d (%ld bytes reported)",
		       status, r.extra, (long)n);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], HELPER_ARG))
		return setuid_helper(argc, argv);
	return test_harness_run(argc, argv);
}
