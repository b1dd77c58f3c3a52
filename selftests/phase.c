// SPDX-License-Identifier: GPL-2.0
/*
 * Phase detection in the kernel: booting -> running -> shutdown -> exited,
 * seen by a real service that runs in a new PID namespace.
 *
 * The service is phase_service (built beside this program): it calls
 * sysinfo() while booting (A), times() for each request while running (B)
 * and getrusage() in its stop handler (C). The item's filters allow A only
 * in booting, B only in running and C only in shutdown and fail the others
 * with DENY_ERRNO, so the violation counts per phase say exactly in which
 * phase the module judged each call, and the service's exit status says
 * how many of its calls were denied.
 *
 * Every container is started the way users are told to: the item is armed
 * on the test's child, which then unshares its PID namespace and forks the
 * namespace's init; the init execs the service, or forks it and forwards
 * stop signals to it. settle_ms is short to keep the tests fast under TCG;
 * the tests poll the phase with a timeout and never sleep blindly for a
 * transition, except where they check that one does not happen.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "speaker_util.h"
#include "cmd_util.h"

#define SERVICE_COMM	"phase_service"
#define TEST_COMM	"phase"		/* comm of this program and its inits */
#define SETTLE_MS	700	/* > the longest stall seen in a busy TCG guest */
#define DENY_ERRNO	EDOM
#define DENY		SPK_ERRNO(DENY_ERRNO)
#define TIMEOUT_MS	15000

/* The calls that tell the phases apart; see phase_service.c. */
#define NR_A		__NR_sysinfo
#define NR_B		__NR_times
#define NR_C		__NR_getrusage

static const char *const phases[] = { "booting", "running", "shutdown" };

/* How the namespace's init runs the service. */
enum init_kind {
	INIT_IS_SERVICE,	/* the init execs the service */
	INIT_FORWARDS,		/* forks it, forwards SIGTERM and SIGQUIT */
	INIT_GATED,		/* like INIT_FORWARDS once the test says go */
};

/* Who sends the stop signal of a scenario, to whom. */
enum stop_route {
	TEST_TO_INIT,
	TEST_TO_MAIN,		/* the service's main process */
	TEST_TO_WORKER,
	WORKER_TO_MAIN,
};

/*
 * One container's life: how the service runs, which signal ends it, and
 * what the item must show afterwards.
 */
struct scenario {
	const char *flags;		/* phase_service options */
	const char *service;		/* NULL: SERVICE_COMM */
	enum init_kind init;
	const char *stop_signals;	/* NULL: the default, SIGTERM */
	int sig;
	enum stop_route route;
	/* The signal leaves the service up: finish with SIGTERM to init. */
	bool then_sigterm_init;
	int ping_denied;		/* calls of one request denied */
	const char *transitions;	/* as the item lists them */
	int violations[3];		/* per phase, exact */
	int status;			/* init's exit code, 128 + signal */
};

/* What the init of a container runs. */
struct body {
	enum init_kind init;
	char *argv[16];
};

/* One item, one container, one service socket: every fixture's state. */
struct world {
	struct spk_item it;
	struct spk_container c;
	struct body body;
	char service[PATH_MAX];
	char dir[64];
	char sock[96];
	char flags[128];
	pid_t entrant;		/* a process that setns()'d in, if any */
	struct spk_item other;	/* a second item, if any */
	pid_t sleeper;		/* the process it is armed on */
};

/* --- the namespace's init ----------------------------------------------- */

static _Atomic pid_t fwd_child;

static void fwd_signal(int sig)
{
	if (fwd_child > 0)
		kill(fwd_child, sig);
}

/* Exit code of a wait status: the code, or 128 + the signal. */
static int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/*
 * The init's body. Exec failures return errno, so a test sees DENY_ERRNO
 * when a filter refused the exec.
 */
static int init_body(const struct spk_chan *ch, void *arg)
{
	struct sigaction sa = { .sa_handler = fwd_signal };
	struct body *b = arg;
	int status;
	char go;
	pid_t pid;

	if (b->init == INIT_IS_SERVICE) {
		execv(b->argv[0], b->argv);
		return errno;
	}

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	if (b->init == INIT_GATED && spk_recv(ch->in, &go, 1) != 1)
		return 0;
	pid = fork();
	if (pid < 0)
		return 126;
	if (!pid) {
		execv(b->argv[0], b->argv);
		_exit(errno);
	}
	fwd_child = pid;
	while (waitpid(pid, &status, 0) != pid)
		if (errno != EINTR)
			return 127;
	return status_code(status);
}

/* --- the item --------------------------------------------------------- */

/*
 * Install a program for @phase that fails each call in @deny (up to
 * three, -1 ends the list) with @action and allows every other call.
 */
static int put_filter(const struct spk_item *it, const char *phase,
		      const int deny[3], __u32 action)
{
	struct sock_filter prog[3 + 2 * 3 + 1] = {
		SPK_LD_ARCH,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 0),
		SPK_LD_NR,
	};
	size_t n = 3;
	int i;

	for (i = 0; i < 3 && deny[i] >= 0; i++) {
		prog[n++] = (struct sock_filter)
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, deny[i], 0, 1);
		prog[n++] = (struct sock_filter)SPK_RET(action);
	}
	prog[n++] = (struct sock_filter)SPK_ALLOW;
	/* Not x86_64: straight to the final allow. */
	prog[1].jf = n - 1 - 2;
	return spk_prog_write(it, phase, prog, n);
}

/* The filters of every test: A only booting, B only running, C only shutdown. */
static int put_phase_filters(const struct spk_item *it)
{
	static const int deny[3][3] = {
		{ NR_B, NR_C, -1 }, { NR_A, NR_C, -1 }, { NR_A, NR_B, -1 },
	};
	int i, ret;

	for (i = 0; i < 3; i++) {
		ret = put_filter(it, phases[i], deny[i], DENY);
		if (ret)
			return ret;
	}
	return 0;
}

/* Read a text attribute without its newline; "" when unreadable. */
static char *attr(const struct world *w, const char *name, char *buf,
		  size_t size)
{
	ssize_t n = spk_attr_read(&w->it, name, buf, size);

	if (n < 0)
		n = 0;
	buf[n < (ssize_t)size ? n : (ssize_t)size - 1] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Poll @name until it reads @want; false after TIMEOUT_MS. */
static bool wait_attr(const struct world *w, const char *name,
		      const char *want)
{
	char buf[64];
	int waited;

	for (waited = 0; waited < TIMEOUT_MS; waited += 10) {
		if (!strcmp(attr(w, name, buf, sizeof(buf)), want))
			return true;
		sleep_ms(10);
	}
	return false;
}

/* The item's transition history as its phase names, oldest first. */
static char *transitions(const struct world *w, char *out, size_t size)
{
	char text[1024], *line, *save = NULL;
	size_t len = 0;

	out[0] = '\0';
	if (spk_attr_read(&w->it, "transitions", text, sizeof(text) - 1) < 0)
		return out;
	text[sizeof(text) - 1] = '\0';
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		len += snprintf(out + len, size - len, "%s%.*s",
				len ? " " : "", (int)strcspn(line, " "), line);
	return out;
}

/* Log what the detector and the history say, for a failed wait. */
static void log_detector(struct __test_metadata *_metadata,
			 const struct world *w)
{
	char det[160], hist[256];

	TH_LOG("detector: %s", attr(w, "detector", det, sizeof(det)));
	TH_LOG("transitions: %s", transitions(w, hist, sizeof(hist)));
}

/* --- talking to the service ------------------------------------------- */

/*
 * Send @req to the service listening on @path and read its one-line
 * answer into @rep. @peer gets the listener's PID as this process sees
 * it. Connects until TIMEOUT_MS: the listener may not be up yet.
 */
/* Connect to the service's socket at @path, retrying while it starts. */
static int connect_to(const char *path, pid_t *peer)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { TIMEOUT_MS / 1000, 0 };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = -1, waited;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	for (waited = 0; waited < TIMEOUT_MS; waited += 10) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (!connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
			break;
		close(fd);
		fd = -1;
		sleep_ms(10);
	}
	if (fd < 0)
		return -ETIMEDOUT;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (peer && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		*peer = cred.pid;
	return fd;
}

/*
 * Send @req (if any) and read one reply into @rep; @peer gets the
 * service's PID. 0 or -errno.
 */
static int request(const char *path, const char *req, char *rep,
		   size_t size, pid_t *peer)
{
	int fd = connect_to(path, peer), ret = 0;
	ssize_t n;

	if (fd < 0)
		return fd;
	if (req && spk_send(fd, req, strlen(req)))
		ret = -EPIPE;
	n = req && !ret ? read(fd, rep, size - 1) : 0;
	if (n < 0)
		ret = -errno;
	else if (rep)
		rep[n] = '\0';
	close(fd);
	return ret;
}

/* --- fixture plumbing shared by every test ---------------------------- */

static void world_setup(struct __test_metadata *_metadata, struct world *w)
{
	char self[PATH_MAX - sizeof(SERVICE_COMM) - 1], *slash;
	ssize_t n;

	memset(w, 0, sizeof(*w));
	if (!spk_available())
		SKIP(return, "needs speaker.ko loaded (" SPK_ROOT ")");

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ASSERT_LT(0, n);
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(w->service, sizeof(w->service), "%s/" SERVICE_COMM, self);
	ASSERT_EQ(0, access(w->service, X_OK)) {
		TH_LOG("%s missing: build it with make -C selftests",
		       w->service);
	}

	snprintf(w->dir, sizeof(w->dir), "/tmp/speaker-phase.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(w->dir));
	snprintf(w->sock, sizeof(w->sock), "%s/sock", w->dir);

	ASSERT_EQ(0, spk_item_create(&w->it, "phase-%d"));
	ASSERT_EQ(0, put_phase_filters(&w->it)) {
		TH_LOG("the three phase programs were not taken");
	}
	ASSERT_EQ(0, spk_attr_printf(&w->it, "settle_ms", "%d", SETTLE_MS));
	ASSERT_EQ(0, spk_attr_write(&w->it, "service", SERVICE_COMM));
}

static void world_teardown(struct world *w)
{
	char path[128];
	int status;

	spk_container_kill(&w->c);
	if (w->entrant > 0) {
		kill(w->entrant, SIGKILL);
		waitpid(w->entrant, &status, 0);
	}
	spk_item_remove(&w->it);
	spk_item_remove(&w->other);
	if (w->sleeper > 0) {
		kill(w->sleeper, SIGKILL);
		waitpid(w->sleeper, &status, 0);
	}
	if (!w->dir[0])
		return;
	unlink(w->sock);
	snprintf(path, sizeof(path), "%s.worker", w->sock);
	unlink(path);
	snprintf(path, sizeof(path), "%s/entrant", w->dir);
	unlink(path);
	rmdir(w->dir);
}

/* Split @flags into the argv of phase_service, ending with @sock. */
static void set_argv(struct world *w, enum init_kind init, const char *flags,
		     const char *sock)
{
	char *tok, *save = NULL;
	int argc = 0;

	snprintf(w->flags, sizeof(w->flags), "%s", flags ? flags : "");
	w->body.init = init;
	w->body.argv[argc++] = w->service;
	for (tok = strtok_r(w->flags, " ", &save); tok && argc < 14;
	     tok = strtok_r(NULL, " ", &save))
		w->body.argv[argc++] = tok;
	w->body.argv[argc++] = (char *)sock;
	w->body.argv[argc] = NULL;
}

/*
 * Start a container as users do: arm the item on the test's child, then
 * let the child unshare its PID namespace and fork the init.
 */
static void start(struct __test_metadata *_metadata, struct world *w,
		  enum init_kind init, const char *flags)
{
	char buf[32];

	set_argv(w, init, flags, w->sock);
	ASSERT_EQ(0, spk_container_start(&w->c, init_body, &w->body,
					 SPK_CONTAINER_ARMED));
	ASSERT_EQ(0, spk_attr_printf(&w->it, "target", "%d", w->c.outer));
	ASSERT_STREQ("armed", attr(w, "phase", buf, sizeof(buf)));
	ASSERT_EQ(0, spk_container_release(&w->c));
}

/* Wait until the init has exited; its exit code, or -1 on timeout. */
static int wait_exit(struct world *w)
{
	struct pollfd pfd = { .fd = w->c.info, .events = POLLIN };
	int status;

	if (poll(&pfd, 1, TIMEOUT_MS) != 1 ||
	    spk_container_wait(&w->c, &status))
		return -1;
	return status_code(status);
}

/* Wait until @pid has died (a zombie counts); false after TIMEOUT_MS. */
static bool wait_dead(pid_t pid)
{
	char path[64], stat[256], *state;
	int waited, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (waited = 0; waited < TIMEOUT_MS; waited += 10) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return true;
		n = read(fd, stat, sizeof(stat) - 1);
		close(fd);
		stat[n > 0 ? n : 0] = '\0';
		state = strrchr(stat, ')');
		if (!state || state[2] == 'Z' || state[2] == 'X')
			return true;
		sleep_ms(10);
	}
	return false;
}

/* Check the violation count of every phase. */
static void expect_violations(struct __test_metadata *_metadata,
			      const struct world *w, const int want[3])
{
	char last[256] = "";
	int i;

	spk_violation_last(&w->it, last, sizeof(last));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(want[i], spk_violations(&w->it, phases[i])) {
			TH_LOG("%s violations wrong; last: %s", phases[i],
			       last);
		}
	}
}

/* Kernel log records of @w's change from @from to @to that hold @who. */
static long logged(const struct world *w, const char *from, const char *to,
		   const char *who)
{
	char rec[160];

	snprintf(rec, sizeof(rec), "speaker: %s: %s -> %s ", w->it.name, from,
		 to);
	return spk_kmsg_count(rec, who);
}

/* The changes one run makes: @hist from its last "armed" on, as words. */
struct changes {
	char text[128];
	char *phase[8];
	long before[8];
	int n;
};

static void changes_parse(struct changes *ch, const char *hist)
{
	const char *last = hist, *p;
	char *save = NULL, *tok;

	for (p = hist; (p = strstr(p, "armed")); p++)
		last = p;
	snprintf(ch->text, sizeof(ch->text), "%s", last);
	ch->n = 0;
	for (tok = strtok_r(ch->text, " ", &save); tok && ch->n < 8;
	     tok = strtok_r(NULL, " ", &save))
		ch->phase[ch->n++] = tok;
}

/*
 * Run one container through @sc: boot, serve one request, take the stop
 * signal, exit; then check the history, the counts and the exit status.
 */
static void run_scenario(struct __test_metadata *_metadata, struct world *w,
			 const struct scenario *sc)
{
	char worker[128], rep[64], want[48], hist[256];
	pid_t main_pid = 0, worker_pid = 0, to = 0;
	struct changes ch;
	int i;

	changes_parse(&ch, sc->transitions);
	for (i = 1; i < ch.n; i++)
		ch.before[i] = logged(w, ch.phase[i - 1], ch.phase[i], NULL);

	if (sc->service)
		ASSERT_EQ(0, spk_attr_write(&w->it, "service", sc->service));
	if (sc->stop_signals) {
		ASSERT_EQ(0, spk_attr_write(&w->it, "stop_signals",
					    sc->stop_signals));
	}
	start(_metadata, w, sc->init, sc->flags);
	ASSERT_TRUE(wait_attr(w, "phase", "running")) {
		TH_LOG("the service never reached running");
		log_detector(_metadata, w);
	}

	ASSERT_EQ(0, request(w->sock, "ping\n", rep, sizeof(rep), &main_pid));
	snprintf(want, sizeof(want), "ok denied %d\n", sc->ping_denied);
	EXPECT_STREQ(want, rep);
	snprintf(worker, sizeof(worker), "%s.worker", w->sock);

	switch (sc->route) {
	case TEST_TO_INIT:
		to = w->c.init;
		break;
	case TEST_TO_MAIN:
		to = main_pid;
		break;
	case TEST_TO_WORKER:
		ASSERT_EQ(0, request(worker, "ping\n", rep, sizeof(rep),
				     &worker_pid));
		ASSERT_NE(main_pid, worker_pid);
		to = worker_pid;
		break;
	case WORKER_TO_MAIN:
		/* The worker answers, then kills; the exit code tells. */
		ASSERT_EQ(0, request(worker, "kill-parent\n", rep,
				     sizeof(rep), NULL));
		EXPECT_STREQ("ok\n", rep);
		break;
	}
	if (to)
		ASSERT_EQ(0, kill(to, sc->sig));

	if (sc->then_sigterm_init) {
		ASSERT_TRUE(wait_dead(to));
		EXPECT_STREQ("running", attr(w, "phase", rep, sizeof(rep))) {
			TH_LOG("a signal to a worker changed the phase");
		}
		ASSERT_EQ(0, kill(w->c.init, SIGTERM));
	}

	EXPECT_EQ(sc->status, wait_exit(w)) {
		TH_LOG("the service's exit code counts its denied calls");
	}
	EXPECT_STREQ("exited", attr(w, "phase", rep, sizeof(rep)));
	EXPECT_STREQ(sc->transitions, transitions(w, hist, sizeof(hist)));
	expect_violations(_metadata, w, sc->violations);

	/* Each change is logged once; running names the service. */
	for (i = 1; i < ch.n; i++) {
		EXPECT_EQ(ch.before[i] + 1, logged(w, ch.phase[i - 1],
						   ch.phase[i], NULL)) {
			TH_LOG("%s -> %s not logged exactly once",
			       ch.phase[i - 1], ch.phase[i]);
		}
	}
	snprintf(want, sizeof(want), "(pid %d " SERVICE_COMM ")", main_pid);
	EXPECT_EQ(1, logged(w, "booting", "running", want)) {
		TH_LOG("no \"booting -> running ... %s\" in the log", want);
	}
}

/* --- calls are judged by the phase they run in ------------------------ */

#define LIFE	"armed booting running shutdown exited"

FIXTURE(lifecycle) {
	struct world w;
};

FIXTURE_VARIANT(lifecycle) {
	struct scenario sc;
};

FIXTURE_SETUP(lifecycle)
{
	world_setup(_metadata, &self->w);
}

FIXTURE_TEARDOWN(lifecycle)
{
	world_teardown(&self->w);
}

FIXTURE_VARIANT_ADD(lifecycle, clean) {
	.sc = { .sig = SIGTERM, .transitions = LIFE },
};

FIXTURE_VARIANT_ADD(lifecycle, service_unnamed_first_exec) {
	.sc = { .service = "\n", .sig = SIGTERM, .transitions = LIFE },
};

FIXTURE_VARIANT_ADD(lifecycle, service_unnamed_forwarding_init) {
	.sc = { .service = "\n", .init = INIT_FORWARDS, .sig = SIGTERM,
		.transitions = LIFE },
};

FIXTURE_VARIANT_ADD(lifecycle, clean_epoll) {
	.sc = { .flags = "--epoll", .sig = SIGTERM, .transitions = LIFE },
};

FIXTURE_VARIANT_ADD(lifecycle, forks_worker) {
	.sc = { .flags = "--worker", .sig = SIGTERM, .transitions = LIFE },
};

FIXTURE_VARIANT_ADD(lifecycle, reexecs_itself) {
	.sc = { .flags = "--reexec", .sig = SIGTERM, .transitions = LIFE },
};

FIXTURE_VARIANT_ADD(lifecycle, reexecs_forks_worker_epoll) {
	.sc = { .flags = "--reexec --worker --epoll", .sig = SIGTERM,
		.transitions = LIFE },
};

FIXTURE_VARIANT_ADD(lifecycle, a_in_running) {
	.sc = { .flags = "--a-in-run", .sig = SIGTERM, .ping_denied = 1,
		.transitions = LIFE, .violations = { 0, 1, 0 }, .status = 1 },
};

FIXTURE_VARIANT_ADD(lifecycle, a_in_shutdown) {
	.sc = { .flags = "--a-in-stop", .sig = SIGTERM,
		.transitions = LIFE, .violations = { 0, 0, 1 }, .status = 1 },
};

FIXTURE_VARIANT_ADD(lifecycle, b_in_booting) {
	.sc = { .flags = "--b-in-boot", .sig = SIGTERM,
		.transitions = LIFE, .violations = { 1, 0, 0 }, .status = 1 },
};

FIXTURE_VARIANT_ADD(lifecycle, b_in_shutdown) {
	.sc = { .flags = "--b-in-stop", .sig = SIGTERM,
		.transitions = LIFE, .violations = { 0, 0, 1 }, .status = 1 },
};

FIXTURE_VARIANT_ADD(lifecycle, c_in_booting) {
	.sc = { .flags = "--c-in-boot", .sig = SIGTERM,
		.transitions = LIFE, .violations = { 1, 0, 0 }, .status = 1 },
};

FIXTURE_VARIANT_ADD(lifecycle, c_in_running) {
	.sc = { .flags = "--c-in-run", .sig = SIGTERM, .ping_denied = 1,
		.transitions = LIFE, .violations = { 0, 1, 0 }, .status = 1 },
};

TEST_F(lifecycle, each_call_is_judged_by_the_phase_it_runs_in)
{
	run_scenario(_metadata, &self->w, &variant->sc);
}

/* --- only a stop signal from outside starts shutdown ------------------- */

#define NO_STOP	"armed booting running exited"

FIXTURE(stop) {
	struct world w;
};

FIXTURE_VARIANT(stop) {
	struct scenario sc;
};

FIXTURE_SETUP(stop)
{
	world_setup(_metadata, &self->w);
}

FIXTURE_TEARDOWN(stop)
{
	world_teardown(&self->w);
}

FIXTURE_VARIANT_ADD(stop, sigterm_from_outside_to_service_init) {
	.sc = { .sig = SIGTERM, .route = TEST_TO_INIT, .transitions = LIFE },
};

FIXTURE_VARIANT_ADD(stop, sigterm_from_outside_to_forwarding_init) {
	.sc = { .init = INIT_FORWARDS, .sig = SIGTERM, .route = TEST_TO_INIT,
		.transitions = LIFE },
};

FIXTURE_VARIANT_ADD(stop, sigterm_from_outside_to_service_main) {
	.sc = { .init = INIT_FORWARDS, .sig = SIGTERM, .route = TEST_TO_MAIN,
		.transitions = LIFE },
};

FIXTURE_VARIANT_ADD(stop, sigterm_from_outside_to_worker_is_ignored) {
	.sc = { .flags = "--worker", .sig = SIGTERM, .route = TEST_TO_WORKER,
		.then_sigterm_init = true, .transitions = LIFE },
};

FIXTURE_VARIANT_ADD(stop, sigterm_from_worker_to_init_main_is_ignored) {
	.sc = { .flags = "--worker", .sig = SIGTERM, .route = WORKER_TO_MAIN,
		.transitions = NO_STOP, .violations = { 0, 1, 0 },
		.status = 1 },
};

FIXTURE_VARIANT_ADD(stop, sigterm_from_worker_to_main_is_ignored) {
	.sc = { .flags = "--worker", .init = INIT_FORWARDS, .sig = SIGTERM,
		.route = WORKER_TO_MAIN, .transitions = NO_STOP,
		.violations = { 0, 1, 0 }, .status = 1 },
};

FIXTURE_VARIANT_ADD(stop, sigquit_in_stop_set_starts_shutdown) {
	.sc = { .stop_signals = "3", .sig = SIGQUIT, .route = TEST_TO_INIT,
		.transitions = LIFE },
};

FIXTURE_VARIANT_ADD(stop, sigterm_outside_stop_set_is_ignored) {
	.sc = { .stop_signals = "3", .sig = SIGTERM, .route = TEST_TO_INIT,
		.transitions = NO_STOP, .violations = { 0, 1, 0 },
		.status = 1 },
};

TEST_F(stop, shutdown_follows_only_outside_stop_signal_to_init_or_main)
{
	run_scenario(_metadata, &self->w, &variant->sc);
}

/* --- an armed item judges the namespace from its first call ------------ */

FIXTURE(armed) {
	struct world w;
};

FIXTURE_VARIANT(armed) {
	int nr;			/* the call booting denies */
	__u32 action;
	bool reaches_running;	/* the service survives the denial */
	const char *transitions;
	const char *last;	/* in the last violation's line */
	int status;
};

FIXTURE_SETUP(armed)
{
	world_setup(_metadata, &self->w);
}

FIXTURE_TEARDOWN(armed)
{
	world_teardown(&self->w);
}

FIXTURE_VARIANT_ADD(armed, service_first_a_fails) {
	.nr = NR_A, .action = DENY, .reaches_running = true,
	.transitions = LIFE,
	.last = "comm " SERVICE_COMM " phase booting syscall sysinfo ",
	.status = 1,
};

FIXTURE_VARIANT_ADD(armed, service_first_a_kills) {
	.nr = NR_A, .action = SECCOMP_RET_KILL_PROCESS,
	.transitions = "armed booting exited",
	.last = "comm " SERVICE_COMM " phase booting syscall sysinfo ",
	.status = 128 + SIGSYS,
};

FIXTURE_VARIANT_ADD(armed, init_exec_fails) {
	.nr = __NR_execve, .action = DENY,
	.transitions = "armed booting exited",
	.last = "comm " TEST_COMM " phase booting syscall execve ",
	.status = DENY_ERRNO,
};

TEST_F(armed, namespace_is_judged_from_its_first_call)
{
	const int deny[3] = { variant->nr, -1, -1 };
	struct world *w = &self->w;
	char last[256] = "", hist[256];

	ASSERT_EQ(0, put_filter(&w->it, "booting", deny, variant->action));
	start(_metadata, w, INIT_IS_SERVICE, NULL);
	if (variant->reaches_running) {
		ASSERT_TRUE(wait_attr(w, "phase", "running")) {
			log_detector(_metadata, w);
		}
		ASSERT_EQ(0, kill(w->c.init, SIGTERM));
	}

	EXPECT_EQ(variant->status, wait_exit(w));
	EXPECT_STREQ(variant->transitions, transitions(w, hist, sizeof(hist)));
	EXPECT_EQ(1, spk_violations(&w->it, "booting")) {
		TH_LOG("the first call was not judged, or more were denied");
	}
	EXPECT_EQ(0, spk_violations(&w->it, "running"));
	EXPECT_EQ(0, spk_violations(&w->it, "shutdown"));
	EXPECT_EQ(0, spk_violation_last(&w->it, last, sizeof(last)));
	EXPECT_NE(NULL, strstr(last, variant->last)) {
		TH_LOG("last violation: %s", last);
	}
}

/* --- booting ends after a quiet settle period --------------------------- */

/*
 * When "running" was entered, in ms since the attach, from the history;
 * -1 if it was not.
 */
static long running_since_ms(const struct world *w)
{
	char text[1024], *p;
	long sec, ms;

	if (spk_attr_read(&w->it, "transitions", text, sizeof(text) - 1) < 0)
		return -1;
	text[sizeof(text) - 1] = '\0';
	p = strstr(text, "running +");
	if (!p || sscanf(p, "running +%ld.%lds", &sec, &ms) != 2)
		return -1;
	return sec * 1000 + ms;
}

FIXTURE(settle) {
	struct world w;
};

/*
 * These tests measure booting, so their settle period is long enough that
 * no stall of a busy TCG guest between two 100 ms sleeps can end it.
 */
#define LONG_SETTLE_MS	1500

FIXTURE_VARIANT(settle) {
	const char *flags;
	long min_ms, max_ms;	/* running entered in [min, max) */
};

FIXTURE_SETUP(settle)
{
	world_setup(_metadata, &self->w);
	ASSERT_EQ(0, spk_attr_printf(&self->w.it, "settle_ms", "%d",
				     LONG_SETTLE_MS));
}

FIXTURE_TEARDOWN(settle)
{
	world_teardown(&self->w);
}

/* Ten new calls 100 ms apart, each well within a settle period. */
FIXTURE_VARIANT_ADD(settle, new_calls_keep_booting) {
	.flags = "--new-calls=100",
	.min_ms = 10 * 100 + LONG_SETTLE_MS, .max_ms = TIMEOUT_MS,
};

/* One call repeated for more than two settle periods. */
FIXTURE_VARIANT_ADD(settle, repeated_call_does_not_keep_booting) {
	.flags = "--same-call=3500",
	.min_ms = LONG_SETTLE_MS, .max_ms = 3500,
};

TEST_F(settle, running_starts_one_settle_after_last_new_call)
{
	struct world *w = &self->w;
	long since;

	start(_metadata, w, INIT_IS_SERVICE, variant->flags);
	ASSERT_TRUE(wait_attr(w, "phase", "running")) {
		log_detector(_metadata, w);
	}
	since = running_since_ms(w);
	EXPECT_LE(variant->min_ms, since);
	EXPECT_GT(variant->max_ms, since);
	if (since < variant->min_ms || since >= variant->max_ms) {
		char hist[512] = "";

		spk_attr_read(&w->it, "transitions", hist, sizeof(hist) - 1);
		TH_LOG("transitions:\n%s", hist);
	}

	/* The calls were booting's, and the service still stops cleanly. */
	ASSERT_EQ(0, request(w->sock, NULL, NULL, 0, NULL));
	ASSERT_EQ(0, kill(w->c.init, SIGTERM));
	EXPECT_EQ(0, wait_exit(w));
	EXPECT_EQ(0, spk_violations(&w->it, "booting"));
	EXPECT_EQ(0, spk_violations(&w->it, "running"));
}

/* --- what the detector waits for --------------------------------------- */

FIXTURE(detector) {
	struct world w;
};

FIXTURE_SETUP(detector)
{
	world_setup(_metadata, &self->w);
}

FIXTURE_TEARDOWN(detector)
{
	world_teardown(&self->w);
}

TEST_F(detector, absent_service_keeps_item_booting_until_stop)
{
	static const int none[3] = { 0, 0, 0 };
	struct world *w = &self->w;
	char buf[160];

	ASSERT_EQ(0, spk_attr_write(&w->it, "service", "no_such_svc"));
	start(_metadata, w, INIT_IS_SERVICE, NULL);
	/* Listening means booted; then stay quiet for two settle periods. */
	ASSERT_EQ(0, request(w->sock, NULL, NULL, 0, NULL));
	sleep_ms(2 * SETTLE_MS);

	EXPECT_STREQ("booting", attr(w, "phase", buf, sizeof(buf)));
	EXPECT_STREQ("booting: waiting for exec of no_such_svc",
		     attr(w, "detector", buf, sizeof(buf)));

	/* A stop signal ends booting too: the handler runs in shutdown. */
	ASSERT_EQ(0, kill(w->c.init, SIGTERM));
	EXPECT_EQ(0, wait_exit(w));
	EXPECT_STREQ("armed booting shutdown exited",
		     transitions(w, buf, sizeof(buf)));
	expect_violations(_metadata, w, none);
}

/*
 * Attaching to a container whose service already runs: booting must not
 * wait for an exec that is over, and the service's calls are judged from
 * the attach on, also when the probes were registered before the
 * container started (its tasks then left the traced path meanwhile).
 */
FIXTURE(attach) {
	struct world w;
};

FIXTURE_VARIANT(attach) {
	bool other_armed;	/* another item keeps the probes registered */
};

FIXTURE_SETUP(attach)
{
	world_setup(_metadata, &self->w);
}

FIXTURE_TEARDOWN(attach)
{
	world_teardown(&self->w);
}

FIXTURE_VARIANT_ADD(attach, first_item) {
	.other_armed = false,
};

FIXTURE_VARIANT_ADD(attach, probes_already_registered) {
	.other_armed = true,
};

/* Arm a second item on an idle child, so that the probes stay up. */
static void arm_other(struct __test_metadata *_metadata, struct world *w)
{
	w->sleeper = fork();
	ASSERT_LE(0, w->sleeper);
	if (!w->sleeper) {
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, spk_item_create(&w->other, "phase-other-%d"));
	ASSERT_EQ(0, put_phase_filters(&w->other));
	ASSERT_EQ(0, spk_attr_printf(&w->other, "target", "%d", w->sleeper));
}

TEST_F(attach, running_service_reaches_running_and_is_judged)
{
	static const int one_in_running[3] = { 0, 1, 0 };
	struct world *w = &self->w;
	char buf[160];

	if (variant->other_armed)
		arm_other(_metadata, w);

	/* No arm: the service runs and listens before the attach. */
	set_argv(w, INIT_IS_SERVICE, "--a-in-run", w->sock);
	ASSERT_EQ(0, spk_container_start(&w->c, init_body, &w->body, 0));
	ASSERT_EQ(0, spk_container_go(&w->c));
	ASSERT_EQ(0, request(w->sock, NULL, NULL, 0, NULL));

	ASSERT_EQ(0, spk_attr_printf(&w->it, "target", "%d", w->c.init));
	ASSERT_TRUE(wait_attr(w, "phase", "running")) {
		TH_LOG("an attach after the service's exec must not wait for it");
		log_detector(_metadata, w);
	}
	ASSERT_EQ(0, request(w->sock, "ping\n", buf, sizeof(buf), NULL));
	EXPECT_STREQ("ok denied 1\n", buf) {
		TH_LOG("the service's sysinfo() in running was not denied");
	}
	ASSERT_EQ(0, kill(w->c.init, SIGTERM));
	EXPECT_EQ(1, wait_exit(w));
	EXPECT_STREQ("booting running shutdown exited",
		     transitions(w, buf, sizeof(buf)));
	expect_violations(_metadata, w, one_in_running);
}

/*
 * A process that enters with setns() is born outside: when it forks a
 * child that execs a program with the service's name, that exec must not
 * count as the service's, also when the child outlives the entrant and is
 * re-parented before it execs (runc exec's intermediate process exits so),
 * and when the entrant's child starts it (a shell under docker exec).
 */
FIXTURE(setns) {
	struct world w;
};

FIXTURE_VARIANT(setns) {
	bool orphan;		/* the entrant exits before its child execs */
	bool grandchild;	/* the child forks, and its child execs */
};

FIXTURE_SETUP(setns)
{
	world_setup(_metadata, &self->w);
}

FIXTURE_TEARDOWN(setns)
{
	world_teardown(&self->w);
}

FIXTURE_VARIANT_ADD(setns, entrant_waits) {
	.orphan = false,
};

FIXTURE_VARIANT_ADD(setns, entrant_exits_first) {
	.orphan = true,
};

/* A shell that docker exec starts, running the service's program. */
FIXTURE_VARIANT_ADD(setns, entrant_grandchild) {
	.grandchild = true,
};

/*
 * Fork the entrant: it joins the init's PID namespace and forks a child
 * that execs the service's program on @sock. An orphaned child execs
 * only once the entrant has exited; with @grandchild, the child forks
 * once more (inside, like the entrant's child) and the grandchild execs.
 */
static pid_t enter_and_exec(const struct world *w, const char *sock,
			    bool orphan, bool grandchild)
{
	int fd, status, alive[2];
	pid_t pid, child;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", w->c.init);
	pid = fork();
	if (pid)
		return pid;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWPID) || pipe2(alive, O_CLOEXEC))
		_exit(125);
	child = fork();
	if (!child) {
		close(alive[1]);
		/* EOF: the entrant has exited. */
		while (orphan && read(alive[0], path, 1) < 0 && errno == EINTR)
			;
		if (grandchild) {
			child = fork();
			if (child > 0) {
				waitpid(child, &status, 0);
				_exit(status_code(status));
			}
		}
		execl(w->service, SERVICE_COMM, "--a-in-run", sock,
		      (char *)NULL);
		_exit(126);
	}
	if (orphan)
		_exit(0);
	waitpid(child, &status, 0);
	_exit(status_code(status));
}

TEST_F(setns, entrant_exec_is_not_the_service)
{
	struct world *w = &self->w;
	char sock[128], buf[512], line[48];
	pid_t main_pid = 0;
	int status;

	start(_metadata, w, INIT_GATED, NULL);
	snprintf(sock, sizeof(sock), "%s/entrant", w->dir);
	w->entrant = enter_and_exec(w, sock, variant->orphan,
				    variant->grandchild);
	ASSERT_LT(0, w->entrant);
	if (variant->orphan) {
		ASSERT_EQ(w->entrant, waitpid(w->entrant, &status, 0));
		w->entrant = 0;
		ASSERT_EQ(0, status);
	}

	/* The entrant's child listens: it has booted. Let two settles pass. */
	ASSERT_EQ(0, request(sock, NULL, NULL, 0, NULL));
	sleep_ms(2 * SETTLE_MS);
	EXPECT_STREQ("booting", attr(w, "phase", buf, sizeof(buf)));
	EXPECT_STREQ("booting: waiting for exec of " SERVICE_COMM,
		     attr(w, "detector", buf, sizeof(buf)));

	/* The init's own child is the service. */
	ASSERT_EQ(0, spk_container_send(&w->c, "g", 1));
	ASSERT_TRUE(wait_attr(w, "phase", "running")) {
		log_detector(_metadata, w);
	}
	ASSERT_EQ(0, request(w->sock, NULL, NULL, 0, &main_pid));
	spk_attr_read(&w->it, "transitions", buf, sizeof(buf));
	snprintf(line, sizeof(line), "pid %d " SERVICE_COMM "\n", main_pid);
	EXPECT_NE(NULL, strstr(buf, line)) {
		TH_LOG("running not credited to the service (%s): %s", line,
		       buf);
	}
	EXPECT_EQ(0, spk_violations(&w->it, "booting"));

	/* The entrant is inside: its sysinfo() in running is denied. */
	ASSERT_EQ(0, request(sock, "ping\n", buf, sizeof(buf), NULL));
	EXPECT_STREQ("ok denied 1\n", buf);
	EXPECT_EQ(1, spk_violations(&w->it, "running"));
}

/* --- trace mode follows the same detector ------------------------------- */

/*
 * Trace mode is driven by the detector that drives enforcement: a traced
 * run records each of A, B and C in its own phase only, and the profile
 * saved from it, enforced, lets the same run go through every phase with
 * no violation. The lists and the filters share one phase boundary.
 */
FIXTURE(learn) {
	struct world w;
	char dir[64];
};

FIXTURE_SETUP(learn)
{
	self->dir[0] = '\0';
	world_setup(_metadata, &self->w);
}

FIXTURE_TEARDOWN(learn)
{
	world_teardown(&self->w);
	if (self->dir[0])
		cmd_run(NULL, 0, "rm -rf %s", self->dir);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/* Boot, one request, SIGTERM to the init: the service's exit code. */
static int one_life(struct __test_metadata *_metadata, struct world *w)
{
	char rep[64];
	int fd;

	start(_metadata, w, INIT_IS_SERVICE, NULL);
	if (!wait_attr(w, "phase", "running")) {
		log_detector(_metadata, w);
		return -1;
	}
	/*
	 * The reply, then EOF: the service has closed the connection, so
	 * that close() falls in running in every life, not in shutdown when
	 * the stop signal happens to come first.
	 */
	fd = connect_to(w->sock, NULL);
	if (fd < 0 || spk_send(fd, "ping\n", 5) ||
	    spk_recv(fd, rep, sizeof(rep) - 1) != 12 ||
	    strncmp(rep, "ok denied 0\n", 12)) {
		if (fd >= 0)
			close(fd);
		return -2;
	}
	close(fd);
	/* And back in accept4(): it too must fall in running every time. */
	if (!spk_wait_in_call(w->c.init, __NR_accept4, TIMEOUT_MS))
		return -4;
	if (kill(w->c.init, SIGTERM))
		return -3;
	return wait_exit(w);
}

TEST_F_TIMEOUT(learn, traced_phases_enforce_the_same_life_without_violations,
	       90)
{
	static const long calls[3] = { NR_A, NR_B, NR_C };
	struct world *w = &self->w;
	char compile[PATH_MAX], out[4096], buf[256];
	int p, q;

	snprintf(compile, sizeof(compile),
		 "%s/tools/seccomp-compile/speaker-compile", cmd_root());
	if (access(compile, X_OK))
		SKIP(return, "speaker-compile is not built (make tools)");

	ASSERT_EQ(0, spk_attr_write(&w->it, "mode", "trace"));
	ASSERT_EQ(0, one_life(_metadata, w));
	EXPECT_TRUE(ends_with(transitions(w, buf, sizeof(buf)), LIFE)) {
		TH_LOG("transitions: %s", buf);
	}
	for (p = 0; p < 3; p++) {
		for (q = 0; q < 3; q++) {
			EXPECT_EQ(p == q, spk_recorded(&w->it, phases[p], "x86_64", calls[q])) {
				TH_LOG("call %ld %s recorded in %s", calls[q],
				       p == q ? "not" : "also", phases[p]);
			}
		}
	}

	snprintf(self->dir, sizeof(self->dir), "/tmp/speaker-learn.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, cmd_run(out, sizeof(out), "'%s' -q --save %s %s/p",
			     compile, w->it.path, self->dir)) {
		TH_LOG("speaker-compile --save: %s", out);
	}
	ASSERT_EQ(0, cmd_run(out, sizeof(out), "'%s' -q -d errno:EDOM %s/p %s",
			     compile, self->dir, w->it.path)) {
		TH_LOG("speaker-compile: %s", out);
	}
	ASSERT_EQ(0, spk_attr_write(&w->it, "mode", "enforce"));
	EXPECT_EQ(0, one_life(_metadata, w));
	EXPECT_TRUE(ends_with(transitions(w, buf, sizeof(buf)), LIFE)) {
		TH_LOG("transitions: %s", buf);
	}
	for (p = 0; p < 3; p++) {
		EXPECT_EQ(0, spk_violations(&w->it, phases[p])) {
			spk_attr_read(&w->it, "violations", out, sizeof(out));
			TH_LOG("violations:\n%s", out);
		}
	}
}

/* --- the init's exit releases the item --------------------------------- */

FIXTURE(reuse) {
	struct world w;
};

FIXTURE_SETUP(reuse)
{
	world_setup(_metadata, &self->w);
}

FIXTURE_TEARDOWN(reuse)
{
	world_teardown(&self->w);
}

TEST_F(reuse, init_exit_releases_item_for_a_second_container)
{
	static const struct scenario first = {
		.flags = "--a-in-run", .sig = SIGTERM, .ping_denied = 1,
		.transitions = LIFE, .violations = { 0, 1, 0 }, .status = 1,
	};
	static const struct scenario second = {
		.sig = SIGTERM,
		/* The history keeps the last 8 changes. */
		.transitions = "running shutdown exited " LIFE,
		.violations = { 0, 1, 0 },	/* the first one's, kept */
	};
	struct world *w = &self->w;
	char buf[64];

	run_scenario(_metadata, w, &first);
	EXPECT_TRUE(wait_attr(w, "target", "0")) {
		TH_LOG("target still reads %s after the init exited",
		       attr(w, "target", buf, sizeof(buf)));
	}
	EXPECT_STREQ("exited", attr(w, "phase", buf, sizeof(buf)));
	expect_violations(_metadata, w, first.violations);

	run_scenario(_metadata, w, &second);
	EXPECT_TRUE(wait_attr(w, "target", "0"));
}

TEST_HARNESS_MAIN
