// SPDX-License-Identifier: GPL-2.0
/*
 * Trace mode: every call of every task in scope is recorded, in the phase
 * it was made in, however short-lived the task; and the profile saved from
 * a trace lets the same run go through under enforcement.
 *
 * The container's init runs a small command loop. Each command makes one
 * "marker" call from one kind of task (a thread, a child that exits at
 * once, a signal handler, an exec'd program, int $0x80, x32), a call that
 * nothing else in the body makes, so that finding its number in the
 * recorded set proves that this kind of task was seen. A process that
 * joins the namespace with setns() makes one more marker from its child.
 * The test's own process and the joiner itself, which stay outside, make
 * a marker that must not be recorded at all.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>

#include "speaker_util.h"
#include "cmd_util.h"
#include "kselftest_harness.h"

#define MARK_THREAD	SYS_getpriority
#define MARK_CHILD	SYS_sysinfo
#define MARK_HANDLER	SYS_getrusage
#define MARK_JOINER	SYS_times
#define MARK_RUNNING	SYS_getitimer
#define MARK_SHUTDOWN	SYS_sched_getscheduler
#define MARK_OUTSIDE	SYS_sched_get_priority_min
#define I386_NR_GETPID	20
#define X32_NR_GETPID	(0x40000000 | 39)

/* What speaker-compile said. */
static char out[CMD_OUT_MAX];

/* Commands of the body, one byte each; each answers with one long. */
enum {
	CMD_THREAD = 't',	/* MARK_THREAD in a new thread */
	CMD_CHILD = 'c',	/* MARK_CHILD in a child that exits at once */
	CMD_HANDLER = 'h',	/* MARK_HANDLER in a SIGUSR1 handler */
	CMD_EXEC = 'e',		/* a child execs /bin/true */
	CMD_INT80 = 'i',	/* getpid through int $0x80 */
	CMD_X32 = 'x',		/* getpid as an x32 call */
	CMD_RUNNING = 'r',	/* MARK_RUNNING in the init */
	CMD_SHUTDOWN = 's',	/* MARK_SHUTDOWN in the init */
	CMD_OUTSIDE = 'o',	/* MARK_OUTSIDE in the init */
};

/* The result of a marker call: 0 or the errno it failed with. */
static long marker(long nr)
{
	union {
		struct sysinfo si;
		struct rusage ru;
		struct tms t;
		struct itimerval it;
	} out;
	long ret;

	switch (nr) {
	case MARK_CHILD:	/* sysinfo(&out) */
	case MARK_JOINER:	/* times(&out) */
		ret = syscall(nr, &out);
		break;
	case MARK_HANDLER:
		ret = syscall(nr, RUSAGE_SELF, &out);
		break;
	case MARK_RUNNING:
		ret = syscall(nr, ITIMER_REAL, &out);
		break;
	default:	/* getpriority, sched_getscheduler, ..._priority_min */
		ret = syscall(nr, 0, 0);
	}
	return ret == -1 ? errno : 0;
}

static long int80(long nr)
{
	long ret;

	asm volatile("int $0x80"
		     : "=a"(ret)
		     : "0"(nr)
		     : "rbx", "rcx", "r8", "r9", "r10", "r11", "memory");
	return ret < 0 && ret > -4096 ? -ret : 0;
}

/* A call by number as the syscall instruction makes it, x32 bit and all. */
static long x32(long nr)
{
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "0"(nr)
		     : "rcx", "r11", "memory");
	return ret < 0 && ret > -4096 ? -ret : 0;
}

static volatile long handler_result = -1;
static int futex_word;

static void on_usr1(int sig __maybe_unused)
{
	handler_result = marker(MARK_HANDLER);
}

static void *thread_fn(void *arg __maybe_unused)
{
	return (void *)marker(MARK_THREAD);
}

/* Run @nr in a child that exits at once; the child's result. */
static long in_child(long nr)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (!pid)
		_exit(marker(nr));
	if (waitpid(pid, &status, 0) != pid)
		return errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static long exec_true(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (!pid) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static long run_cmd(char cmd)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	pthread_t t;
	void *res;

	switch (cmd) {
	case CMD_THREAD:
		if (pthread_create(&t, NULL, thread_fn, NULL))
			return -1;
		/*
		 * pthread_join() calls futex only while the thread still
		 * runs: make the call either way, so that a trace and a run
		 * after it make the same calls whatever the timing.
		 */
		syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL,
			NULL, 0);
		if (pthread_join(t, &res))
			return -1;
		return (long)res;
	case CMD_CHILD:
		return in_child(MARK_CHILD);
	case CMD_HANDLER:
		if (sigaction(SIGUSR1, &sa, NULL) || raise(SIGUSR1))
			return -1;
		return handler_result;
	case CMD_EXEC:
		return exec_true();
	case CMD_INT80:
		return int80(I386_NR_GETPID);
	case CMD_X32:
		return x32(X32_NR_GETPID);
	case CMD_RUNNING:
		return marker(MARK_RUNNING);
	case CMD_SHUTDOWN:
		return marker(MARK_SHUTDOWN);
	case CMD_OUTSIDE:
		return marker(MARK_OUTSIDE);
	}
	return -1;
}

/* The container's init: run commands until the test closes the pipe. */
static int body(const struct spk_chan *ch, void *arg __maybe_unused)
{
	long res;
	char cmd;

	while (spk_recv(ch->in, &cmd, 1) == 1) {
		res = run_cmd(cmd);
		if (spk_send(ch->out, &res, sizeof(res)))
			return 1;
	}
	return 0;
}

/* Join the init's PID namespace from outside, make MARK_JOINER in a child. */
static int joiner(const struct spk_chan *ch, void *pidfd)
{
	long res = marker(MARK_OUTSIDE);

	if (!res && setns(*(int *)pidfd, CLONE_NEWPID))
		res = errno;
	if (!res)
		res = in_child(MARK_JOINER);
	return spk_send(ch->out, &res, sizeof(res)) ? 1 : 0;
}

struct env {
	struct spk_item it;
	struct spk_container c;
	int kmsg;
};

static void env_setup(struct __test_metadata *_metadata, struct env *e,
		      const char *name, const char *mode)
{
	memset(e, 0, sizeof(*e));
	e->kmsg = -1;
	if (!spk_available())
		SKIP(return, "speaker.ko is not loaded (no %s)", SPK_ROOT);
	e->kmsg = spk_kmsg_open_end();
	ASSERT_EQ(0, spk_item_create(&e->it, name));
	ASSERT_EQ(0, spk_attr_write(&e->it, "mode", mode));
	ASSERT_EQ(0, spk_attr_printf(&e->it, "settle_ms", "%d",
				     SPK_SETTLE_FOREVER));
}

static void env_teardown(struct __test_metadata *_metadata, struct env *e)
{
	char first[512] = "";

	spk_container_kill(&e->c);
	spk_item_remove(&e->it);
	if (e->kmsg >= 0) {
		EXPECT_EQ(0, spk_kmsg_problems(e->kmsg, first, sizeof(first))) {
			TH_LOG("kernel log: %s", first);
		}
		close(e->kmsg);
	}
}

static void start(struct __test_metadata *_metadata, struct env *e)
{
	ASSERT_EQ(0, spk_container_start(&e->c, body, NULL, 0));
	ASSERT_EQ(0, spk_attr_printf(&e->it, "target", "%d", e->c.init));
	ASSERT_EQ(0, spk_container_go(&e->c));
}

/* Have the body run @cmd; its result (0 when the marker call worked). */
static long cmd(struct env *e, char c)
{
	long res = -1;

	if (spk_container_send(&e->c, &c, 1) ||
	    spk_container_recv(&e->c, &res, sizeof(res)) != sizeof(res))
		return -2;
	return res;
}

static long join(struct env *e)
{
	long res = -1;
	int status;

	if (spk_fork_run(joiner, &e->c.init_fd, &res, sizeof(res),
			 &status) != sizeof(res))
		return -2;
	return res;
}

/* Is int $0x80 there on this kernel (ia32_emulation)? */
static bool have_int80(void)
{
	return int80(I386_NR_GETPID) != ENOSYS;
}

/* Is x32 on (syscall.x32=y, as vm-run boots)? */
static bool have_x32(void)
{
	return x32(X32_NR_GETPID) != ENOSYS;
}

/* The kinds of task of one run, in the order the round trip replays. */
static void run_every_kind(struct __test_metadata *_metadata, struct env *e)
{
	EXPECT_EQ(0, cmd(e, CMD_THREAD));
	EXPECT_EQ(0, cmd(e, CMD_CHILD));
	EXPECT_EQ(0, cmd(e, CMD_HANDLER));
	EXPECT_EQ(0, cmd(e, CMD_EXEC));
	/* An ABI the kernel was booted to have must be there. */
	if (have_int80()) {
		EXPECT_EQ(0, cmd(e, CMD_INT80));
	} else {
		EXPECT_FALSE(spk_i386_expected());
	}
	if (have_x32()) {
		EXPECT_EQ(0, cmd(e, CMD_X32));
	} else {
		EXPECT_FALSE(spk_x32_expected());
	}
	EXPECT_EQ(0, join(e));
}

static int wait_exit(struct env *e)
{
	int status = -1;

	if (spk_container_wait(&e->c, &status))
		return -1;
	return status;
}

static bool recorded(struct env *e, const char *phase, const char *arch,
		     long nr)
{
	return spk_recorded(&e->it, phase, arch, nr);
}

static bool recorded_anywhere(struct env *e, long nr)
{
	static const char *const phases[] = { "booting", "running", "shutdown" };
	unsigned int i;

	for (i = 0; i < SPK_ARRAY_SIZE(phases); i++)
		if (recorded(e, phases[i], "x86_64", nr))
			return true;
	return false;
}

static void log_recorded(struct __test_metadata *_metadata, struct env *e)
{
	char text[16384] = "";

	spk_attr_read(&e->it, "recorded", text, sizeof(text));
	TH_LOG("recorded:\n%s", text);
}

/* @e traces; @enf, when a test sets it up, enforces what was saved. */
FIXTURE(trace) {
	struct env e;
	struct env enf;
};

FIXTURE_SETUP(trace)
{
	self->enf.kmsg = -1;
	env_setup(_metadata, &self->e, "trace-%d", "trace");
}

FIXTURE_TEARDOWN(trace)
{
	env_teardown(_metadata, &self->e);
	env_teardown(_metadata, &self->enf);
}

TEST_F(trace, every_kind_of_task_is_recorded)
{
	const struct {
		long nr;
		const char *what;
	} want[] = {
		{ MARK_THREAD, "a thread's call" },
		{ SYS_exit, "a thread's exit" },
		{ MARK_CHILD, "a child's call, the child gone at once" },
		{ SYS_exit_group, "a process's exit" },
		{ MARK_HANDLER, "a signal handler's call" },
		{ SYS_rt_sigreturn, "the return from a handler" },
		{ SYS_execve, "an exec" },
		{ MARK_JOINER, "the call of a child of a setns() joiner" },
	};
	unsigned int i;

	start(_metadata, &self->e);
	run_every_kind(_metadata, &self->e);
	/* While the container still runs: a call outside it is not its. */
	EXPECT_EQ(0, marker(MARK_OUTSIDE));
	ASSERT_EQ(0, wait_exit(&self->e));

	for (i = 0; i < SPK_ARRAY_SIZE(want); i++) {
		EXPECT_TRUE(recorded(&self->e, "booting", "x86_64", want[i].nr)) {
			TH_LOG("missing: %s (%ld)", want[i].what, want[i].nr);
			log_recorded(_metadata, &self->e);
		}
	}
	if (have_int80()) {
		EXPECT_TRUE(recorded(&self->e, "booting", "i386", I386_NR_GETPID)) {
			log_recorded(_metadata, &self->e);
		}
	}
	if (have_x32()) {
		/* recorded as struct seccomp_data carries it: bit 30 set */
		EXPECT_TRUE(recorded(&self->e, "booting", "x32", X32_NR_GETPID)) {
			log_recorded(_metadata, &self->e);
		}
	}
	EXPECT_FALSE(recorded_anywhere(&self->e, MARK_OUTSIDE)) {
		TH_LOG("a call made outside the container was recorded");
		log_recorded(_metadata, &self->e);
	}
	/* Tracing denies nothing. */
	EXPECT_EQ(0, spk_violations(&self->e.it, "booting"));
}

TEST_F(trace, calls_are_recorded_in_the_phase_they_are_made_in)
{
	start(_metadata, &self->e);
	ASSERT_EQ(0, spk_attr_write(&self->e.it, "phase", "running"));
	EXPECT_EQ(0, cmd(&self->e, CMD_RUNNING));
	ASSERT_EQ(0, spk_attr_write(&self->e.it, "phase", "shutdown"));
	EXPECT_EQ(0, cmd(&self->e, CMD_SHUTDOWN));
	ASSERT_EQ(0, wait_exit(&self->e));

	EXPECT_TRUE(recorded(&self->e, "running", "x86_64", MARK_RUNNING));
	EXPECT_FALSE(recorded(&self->e, "booting", "x86_64", MARK_RUNNING));
	EXPECT_FALSE(recorded(&self->e, "shutdown", "x86_64", MARK_RUNNING));
	EXPECT_TRUE(recorded(&self->e, "shutdown", "x86_64", MARK_SHUTDOWN));
	EXPECT_FALSE(recorded(&self->e, "running", "x86_64", MARK_SHUTDOWN));
	/* The init's exit is a shutdown call. */
	EXPECT_TRUE(recorded(&self->e, "shutdown", "x86_64", SYS_exit_group));
	if (_metadata->exit_code)
		log_recorded(_metadata, &self->e);
}

TEST_F(trace, clear_empties_the_sets_and_recording_goes_on)
{
	char text[16384];

	start(_metadata, &self->e);
	EXPECT_EQ(0, cmd(&self->e, CMD_RUNNING));
	ASSERT_TRUE(recorded(&self->e, "booting", "x86_64", MARK_RUNNING));

	/* Anything but "clear" is refused at close() and changes nothing. */
	spk_attr_write(&self->e.it, "recorded", "clean\n");
	EXPECT_TRUE(recorded(&self->e, "booting", "x86_64", MARK_RUNNING));

	/* Once the body waits in read() again, nothing is recorded after. */
	ASSERT_TRUE(spk_wait_in_call(self->e.c.init, SYS_read, 15000));
	ASSERT_EQ(0, spk_attr_write(&self->e.it, "recorded", "clear\n"));
	ASSERT_LE(0, spk_attr_read(&self->e.it, "recorded", text, sizeof(text)));
	EXPECT_STREQ("", text);

	EXPECT_EQ(0, cmd(&self->e, CMD_SHUTDOWN));
	EXPECT_TRUE(recorded(&self->e, "booting", "x86_64", MARK_SHUTDOWN));
	EXPECT_FALSE(recorded(&self->e, "booting", "x86_64", MARK_RUNNING));
	ASSERT_EQ(0, wait_exit(&self->e));
}

/*
 * The loop users follow: trace, speaker-compile --save, compile into an
 * enforcing item, run the same again. The errno default makes a miss a
 * failed marker and a counted violation, not a dead container.
 */
TEST_F_TIMEOUT(trace, saved_profile_enforces_the_same_run_without_violations,
	       120)
{
	char dir[] = "/tmp/speaker-trace.XXXXXX";
	char compile[PATH_MAX];
	struct env *enf = &self->enf;
	int ret;

	snprintf(compile, sizeof(compile),
		 "%s/tools/seccomp-compile/speaker-compile", cmd_root());
	if (access(compile, X_OK))
		SKIP(return, "speaker-compile is not built (make tools)");
	ASSERT_NE(NULL, mkdtemp(dir));

	start(_metadata, &self->e);
	run_every_kind(_metadata, &self->e);
	ASSERT_EQ(0, wait_exit(&self->e));
	ASSERT_EQ(0, cmd_run(out, sizeof(out), "'%s' -q --save -f %s %s/p",
			     compile, self->e.it.path, dir)) {
		TH_LOG("speaker-compile --save: %s", out);
	}

	env_setup(_metadata, enf, "trace-enf-%d", "enforce");
	ret = cmd_run(out, sizeof(out), "'%s' -q -d errno:EPERM %s/p %s",
		      compile, dir, enf->it.path);
	cmd_run(NULL, 0, "rm -rf %s", dir);
	ASSERT_EQ(0, ret) {
		TH_LOG("speaker-compile: %s", out);
	}
	start(_metadata, enf);
	run_every_kind(_metadata, enf);
	/* A call the trace never saw is denied: the profile is no allow-all. */
	EXPECT_EQ(EPERM, cmd(enf, CMD_OUTSIDE));
	EXPECT_EQ(0, wait_exit(enf));
	EXPECT_EQ(1, spk_violations(&enf->it, "booting")) {
		char text[4096] = "";

		spk_attr_read(&enf->it, "violations", text, sizeof(text));
		TH_LOG("violations:\n%s", text);
	}
}

TEST_HARNESS_MAIN
