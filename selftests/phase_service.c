// SPDX-License-Identifier: GPL-2.0
/*
 * phase_service: a tiny service whose system calls tell its phase.
 *
 *	phase_service [OPTION...] SOCKET
 *
 * Booting, it calls sysinfo() (call A), then listens on the unix socket
 * SOCKET and waits for requests in accept() (or epoll_wait() with
 * --epoll). Running, it answers each request with times() (call B). On
 * SIGTERM or SIGQUIT its handler calls getrusage() (call C) and the
 * process exits. glibc never makes any of the three calls by itself
 * (checked with strace -f), so a filter that allows A only in booting, B
 * only in running and C only in shutdown sees the service's phase.
 *
 * Requests, one line per connection, answered with one line:
 *	ping		calls B: "ok denied N", N of this request's calls failed
 *	kill-parent	(to the worker) "ok", then SIGTERM to its parent
 *
 * Options:
 *	--a-in-run, --a-in-stop, --b-in-boot, --b-in-stop, --c-in-boot,
 *	--c-in-run	also make that call in that phase (a misplaced call)
 *	--epoll		the main process waits in epoll_wait(), not accept()
 *	--worker	fork a worker that serves SOCKET.worker from
 *			epoll_wait(); SIGTERM kills it without a handler
 *	--reexec	exec itself once after the first A, before serving
 *	--new-calls=MS	while booting, make ten calls not made before
 *			(getuid, getgid, ... getpriority), MS ms apart:
 *			booting must last past the last of them
 *	--same-call=MS	while booting, repeat one call (getpid) every 20 ms
 *			for MS ms: repeats must not keep the phase booting
 *
 * Exit status: the number of A, B and C calls that failed (denied by a
 * filter), at most 100; 2 for a usage error, 3 for a setup failure.
 *
 * Run without arguments, it checks itself outside any container and
 * prints a kselftest TAP report, so that it can sit in the test list.
 */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"

enum { PH_BOOT, PH_RUN, PH_STOP, NR_PH };
enum { CALL_A = 1 << 0, CALL_B = 1 << 1, CALL_C = 1 << 2 };

#define EXIT_USAGE	2
#define EXIT_SETUP	3
#define MAX_DENIED	100

/* Calls made in each phase: the own call plus the misplaced ones. */
static unsigned int calls[NR_PH] = { CALL_A, CALL_B, CALL_C };
static _Atomic int denied;	/* also counted in on_stop() */

/* Each call goes straight to the kernel: no libc cache can skip it. */
static int make_call(unsigned int call)
{
	struct sysinfo si;
	struct rusage ru;
	struct tms t;

	switch (call) {
	case CALL_A:
		return syscall(SYS_sysinfo, &si) < 0;
	case CALL_B:
		return syscall(SYS_times, &t) < 0;
	default:
		return syscall(SYS_getrusage, RUSAGE_SELF, &ru) < 0;
	}
}

/* Make the calls of @phase; return how many failed. */
static int make_calls(int phase)
{
	unsigned int call;
	int failed = 0;

	for (call = CALL_A; call <= CALL_C; call <<= 1)
		if (calls[phase] & call)
			failed += make_call(call);
	denied += failed;
	return failed;
}

static int exit_code(void)
{
	return denied > MAX_DENIED ? MAX_DENIED : denied;
}

static void on_stop(int sig)
{
	(void)sig;
	make_calls(PH_STOP);
	_exit(exit_code());
}

static void die(const char *what)
{
	fprintf(stderr, "phase_service: %s: %s\n", what, strerror(errno));
	exit(EXIT_SETUP);
}

static int listen_on(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		die(path);
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die(path);
	if (listen(fd, 8) < 0)
		die("listen");
	return fd;
}

/* Answer one request on connection @fd. */
static void serve_one(int fd)
{
	char req[64], rep[64];
	bool kill_parent = false;
	ssize_t n;

	n = read(fd, req, sizeof(req) - 1);
	if (n <= 0)
		return;
	req[n] = '\0';
	if (!strncmp(req, "ping", 4)) {
		snprintf(rep, sizeof(rep), "ok denied %d\n",
			 make_calls(PH_RUN));
	} else if (!strncmp(req, "kill-parent", 11)) {
		/* Answer first: the parent's death may take us along. */
		kill_parent = true;
		snprintf(rep, sizeof(rep), "ok\n");
	} else {
		snprintf(rep, sizeof(rep), "error unknown request\n");
	}
	send(fd, rep, strlen(rep), MSG_NOSIGNAL);
	if (kill_parent)
		kill(getppid(), SIGTERM);
}

/* Wait for requests on listener @lfd forever. */
static void serve(int lfd, bool use_epoll)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = -1, fd;

	if (use_epoll) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
			die("epoll");
	}
	for (;;) {
		if (use_epoll && epoll_wait(ep, &ev, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		serve_one(fd);
		close(fd);
	}
}

/* The worker serves SOCKET.worker and has no stop handler. */
static void start_worker(const char *sock, int main_lfd)
{
	pid_t parent = getpid(), pid;
	char path[128];

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid)
		return;
	/* Outside a PID namespace nothing else ends the worker with us. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(0);
	signal(SIGTERM, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	close(main_lfd);
	snprintf(path, sizeof(path), "%s.worker", sock);
	serve(listen_on(path), true);
}

/* Exec the same file again, by its name, so that comm stays the same. */
static void reexec_self(char **argv, int argc)
{
	char **args = calloc(argc + 2, sizeof(*args));
	char self[PATH_MAX], count[32];
	ssize_t n;
	int i;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (!args || n < 0)
		die("reexec");
	self[n] = '\0';
	snprintf(count, sizeof(count), "--denied=%d", (int)denied);
	args[0] = argv[0];
	args[1] = count;
	for (i = 1; i < argc; i++)
		args[i + 1] = strcmp(argv[i], "--reexec") ? argv[i] :
			      "--reexeced";
	execv(self, args);
	die(self);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Calls made nowhere else, each new to the container; bad arguments. */
static void new_calls(long ms)
{
	static const long nrs[] = { SYS_getuid, SYS_getgid, SYS_geteuid,
				    SYS_getegid, SYS_getpgrp, SYS_getresuid,
				    SYS_getresgid, SYS_getsid, SYS_getpgid,
				    SYS_getpriority };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nrs); i++) {
		sleep_ms(ms);
		syscall(nrs[i], 0, 0, 0);
	}
}

/* The same call again and again: nothing new for the detector. */
static void same_call(long ms)
{
	long end = now_ms() + ms;

	while (now_ms() < end) {
		syscall(SYS_getpid);
		sleep_ms(20);
	}
}

/* Run without arguments: serve one ping unconfined, stop on SIGTERM. */
static int self_check(void)
{
	char dir[] = "/tmp/phase_service.XXXXXX", path[64], rep[64] = "";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = -1, i, status = -1;
	ssize_t n = 0;
	pid_t pid;

	ksft_print_header();
	ksft_set_plan(1);
	if (!mkdtemp(dir))
		ksft_exit_fail_perror("mkdtemp");
	snprintf(path, sizeof(path), "%s/sock", dir);
	pid = fork();
	if (!pid) {
		execl("/proc/self/exe", "phase_service", "--worker", path,
		      (char *)NULL);
		_exit(EXIT_SETUP);
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	for (i = 0; i < 500; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (!connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
			break;
		close(fd);
		fd = -1;
		sleep_ms(10);
	}
	if (fd >= 0 && write(fd, "ping\n", 5) == 5)
		n = read(fd, rep, sizeof(rep) - 1);
	if (n > 0)
		rep[n] = '\0';
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	unlink(path);
	strcat(path, ".worker");
	unlink(path);
	rmdir(dir);
	if (strcmp(rep, "ok denied 0\n"))
		ksft_print_msg("ping answered \"%s\"\n", rep);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		ksft_print_msg("wait status %#x, expected exit 0\n", status);
	ksft_test_result(!strcmp(rep, "ok denied 0\n") && WIFEXITED(status) &&
			 !WEXITSTATUS(status),
			 "phase_service.serves_and_stops_cleanly_unconfined\n");
	ksft_finished();
}

/* Options that move a call into a phase it does not belong to. */
static const struct {
	const char *name;
	int phase;
	unsigned int call;
} moves[] = {
	{ "a-in-run", PH_RUN, CALL_A },
	{ "a-in-stop", PH_STOP, CALL_A },
	{ "b-in-boot", PH_BOOT, CALL_B },
	{ "b-in-stop", PH_STOP, CALL_B },
	{ "c-in-boot", PH_BOOT, CALL_C },
	{ "c-in-run", PH_RUN, CALL_C },
};

#define NR_MOVES	ARRAY_SIZE(moves)

enum {
	OPT_EPOLL = 1,
	OPT_WORKER,
	OPT_REEXEC,
	OPT_REEXECED,
	OPT_DENIED,
	OPT_NEW_CALLS,
	OPT_SAME_CALL,
	OPT_MOVE = 0x100,
};

static struct {
	bool epoll, worker, reexec;
	long new_calls_ms, same_call_ms;
} cfg;

static void bad_usage(void)
{
	fprintf(stderr, "usage: phase_service [--a-in-run|--a-in-stop|--b-in-boot|--b-in-stop|--c-in-boot|--c-in-run]... [--epoll] [--worker] [--reexec] [--new-calls=MS] [--same-call=MS] SOCKET\n");
	exit(EXIT_USAGE);
}

static void parse_args(int argc, char **argv)
{
	struct option opts[NR_MOVES + 8] = {
		{ "epoll", no_argument, NULL, OPT_EPOLL },
		{ "worker", no_argument, NULL, OPT_WORKER },
		{ "reexec", no_argument, NULL, OPT_REEXEC },
		{ "reexeced", no_argument, NULL, OPT_REEXECED },
		{ "denied", required_argument, NULL, OPT_DENIED },
		{ "new-calls", required_argument, NULL, OPT_NEW_CALLS },
		{ "same-call", required_argument, NULL, OPT_SAME_CALL },
	};
	unsigned int i;
	int opt;

	for (i = 0; i < NR_MOVES; i++)
		opts[7 + i] = (struct option){ moves[i].name, no_argument,
					       NULL, OPT_MOVE + i };
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt >= OPT_MOVE) {
			calls[moves[opt - OPT_MOVE].phase] |=
				moves[opt - OPT_MOVE].call;
			continue;
		}
		switch (opt) {
		case OPT_EPOLL:
			cfg.epoll = true;
			break;
		case OPT_WORKER:
			cfg.worker = true;
			break;
		case OPT_REEXEC:
			cfg.reexec = true;
			break;
		case OPT_REEXECED:
			break;
		case OPT_DENIED:
			denied += atoi(optarg);
			break;
		case OPT_NEW_CALLS:
			cfg.new_calls_ms = atol(optarg);
			break;
		case OPT_SAME_CALL:
			cfg.same_call_ms = atol(optarg);
			break;
		default:
			bad_usage();
		}
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop };
	int lfd;

	/* First: a filter armed before our exec judges this very call. */
	make_calls(PH_BOOT);

	if (argc == 1)
		return self_check();
	parse_args(argc, argv);
	if (optind != argc - 1)
		bad_usage();
	if (cfg.reexec)
		reexec_self(argv, argc);

	/* The misplaced boot calls, made once by the process that serves. */
	calls[PH_BOOT] &= ~CALL_A;
	make_calls(PH_BOOT);
	if (cfg.new_calls_ms)
		new_calls(cfg.new_calls_ms);
	if (cfg.same_call_ms)
		same_call(cfg.same_call_ms);

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGQUIT, &sa, NULL))
		die("sigaction");
	lfd = listen_on(argv[optind]);
	if (cfg.worker)
		start_worker(argv[optind], lfd);
	serve(lfd, cfg.epoll);
	return EXIT_SETUP;
}
