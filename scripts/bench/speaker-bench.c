// SPDX-License-Identifier: GPL-2.0
/*
 * speaker-bench - what speaker's enforcement costs, side by side with the
 * kernel's own seccomp. Run inside a vm-run guest, as root, by
 * scripts/bench/guest.sh (make bench); see BENCHMARKS.md for the method.
 *
 *   speaker-bench profiles OUTDIR          (host) bench profiles 10/100/300
 *   speaker-bench argfilter PROFILE OUT    (host) argument-dependent filter
 *   speaker-bench micro FILTERS            module overhead, inside vs native,
 *                                          filter sizes, argument rule
 *   speaker-bench switch FILTERS           late calls after a phase switch
 *   speaker-bench scale FILTERS            1..1000 containers, memory
 *   speaker-bench seccomp-exec PROG CMD... load PROG as a native seccomp
 *                                          filter, then exec CMD
 *   speaker-bench stats                    median of numbers on stdin
 *
 * Every measurement is a loop of one cheap system call issued with the
 * syscall instruction, timed with CLOCK_MONOTONIC (vDSO, no system call)
 * in a long-lived "server" process that waits for orders on a pipe. Servers
 * differ only in where they stand: outside any container, in a PID
 * namespace of their own (a container), under a speaker item, or under a
 * native seccomp filter. Configurations are measured interleaved, round
 * after round; the output has one "raw" line per measurement and
 * "KEY=VALUE" summary lines (medians and ratios) for the report.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CONFIGFS	"/sys/kernel/config/speaker"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_PROG	(4096 * 8)

/* Calls per timed loop, and rounds per comparison (environment overrides). */
static long loop_calls = 100000;
static int rounds = 5;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "speaker-bench: ");
	vfprintf(stderr, fmt, ap);
	if (errno)
		fprintf(stderr, ": %s", strerror(errno));
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

static inline long raw_syscall1(long nr, long a0)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a0)
		     : "rcx", "r11", "memory");
	return ret;
}

/* --- statistics -------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double *s = malloc(n * sizeof(*s));
	double m;

	if (!s || !n)
		return 0;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

static double spread(const double *v, int n)
{
	double lo = v[0], hi = v[0];
	int i;

	for (i = 1; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	return lo > 0 ? (hi - lo) / lo * 100 : 0;
}

/* A named series of per-round results. */
#define MAX_ROUNDS	64
struct series {
	char key[64];
	double v[MAX_ROUNDS];
	int n;
};

static void series_add(struct series *s, const char *group, double v)
{
	if (s->n < MAX_ROUNDS)
		s->v[s->n++] = v;
	out("raw %s %s %d %.2f\n", group, s->key, s->n, v);
}

/* KEY=median, KEY_spread=max-min in % of min */
static void series_report(const struct series *s)
{
	out("%s=%.1f\n", s->key, median(s->v, s->n));
	out("%s_spread=%.2f\n", s->key, spread(s->v, s->n));
}

/* KEY=median over rounds of a[i]/b[i] */
static void ratio_report(const char *key, const struct series *a,
			 const struct series *b)
{
	double r[MAX_ROUNDS];
	int i, n = a->n < b->n ? a->n : b->n;

	for (i = 0; i < n; i++)
		r[i] = a->v[i] / b->v[i];
	out("%s=%.4f\n", key, median(r, n));
}

/* --- files, programs, configfs ---------------------------------------- */

struct prog {
	unsigned char data[MAX_PROG];
	size_t len;
};

static void read_file(const char *path, struct prog *p)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		die("open %s", path);
	n = read(fd, p->data, sizeof(p->data));
	if (n <= 0 || n % sizeof(struct sock_filter))
		die("read %s", path);
	p->len = n;
	close(fd);
}

static void load_prog(const char *dir, const char *name, struct prog *p)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	read_file(path, p);
}

/* The three phases of one filter set. */
struct progset {
	struct prog phase[3];
};

static const char *const phase_attr[3] = { "booting", "running", "shutdown" };

static void load_progset(const char *filters, const char *set,
			 struct progset *ps)
{
	char dir[512];
	int i;

	snprintf(dir, sizeof(dir), "%s/%s", filters, set);
	for (i = 0; i < 3; i++)
		load_prog(dir, phase_attr[i], &ps->phase[i]);
}

static void attr_write(const char *item, const char *attr, const void *buf,
		       size_t len)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", CONFIGFS, item, attr);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die("open %s", path);
	if (write(fd, buf, len) != (ssize_t)len)
		die("write %s", path);
	if (close(fd))
		die("close %s", path);
}

static void attr_puts(const char *item, const char *attr, const char *s)
{
	attr_write(item, attr, s, strlen(s));
}

static void attr_read(const char *item, const char *attr, char *buf,
		      size_t len)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", CONFIGFS, item, attr);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open %s", path);
	n = read(fd, buf, len - 1);
	if (n < 0)
		die("read %s", path);
	buf[n] = 0;
	close(fd);
}

/* configfs drops a binary attribute's verdict: check the status line. */
static void program_write(const char *item, int phase, const struct prog *p)
{
	char status[512], want[64], *line;

	attr_write(item, phase_attr[phase], p->data, p->len);
	attr_read(item, "status", status, sizeof(status));
	line = strstr(status, phase_attr[phase]);
	snprintf(want, sizeof(want), "%s %zu ok", phase_attr[phase],
		 p->len / sizeof(struct sock_filter));
	if (!line || strncmp(line, want, strlen(want))) {
		errno = 0;
		die("item %s refused the %s program: %s", item,
		    phase_attr[phase], status);
	}
}

static void item_make(const char *item, const struct progset *ps)
{
	char path[512];
	int i;

	snprintf(path, sizeof(path), "%s/%s", CONFIGFS, item);
	if (mkdir(path, 0700))
		die("mkdir %s", path);
	for (i = 0; i < 3; i++)
		program_write(item, i, &ps->phase[i]);
	/* No automatic booting -> running during a benchmark. */
	attr_puts(item, "settle_ms", "3600000");
}

static void item_attach(const char *item, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", pid);
	attr_puts(item, "target", buf);
}

static void item_remove(const char *item)
{
	char path[512];

	attr_puts(item, "target", "0");
	snprintf(path, sizeof(path), "%s/%s", CONFIGFS, item);
	if (rmdir(path))
		die("rmdir %s", path);
}

/* --- the module ------------------------------------------------------- */

static const char *env_path(const char *var)
{
	const char *ko = getenv(var);

	if (!ko || !*ko) {
		errno = 0;
		die("%s is not set", var);
	}
	return ko;
}

static int module_loaded(void)
{
	return access(CONFIGFS, F_OK) == 0;
}

static void module_insert(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("open %s", path);
	if (syscall(SYS_finit_module, fd, "", 0))
		die("insmod %s", path);
	close(fd);
}

static void module_remove(const char *name)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (!syscall(SYS_delete_module, name, O_NONBLOCK))
			return;
		sleep_ms(50);
	}
	die("rmmod %s", name);
}

static void module_load(void)
{
	if (!module_loaded())
		module_insert(env_path("SPEAKER_KO"));
}

static void module_unload(void)
{
	if (module_loaded())
		module_remove("speaker");
}

/* --- servers: processes that time loops on order --------------------- */

enum { CALL_GETUID, CALL_GETPPID0 };

struct order {
	int call;
	long n;
};

struct server {
	const char *name;
	pid_t pid;
	int cmd;	/* write end of the order pipe */
	int res;	/* read end of the result pipe */
};

static double time_loop(int call, long n)
{
	long nr = call == CALL_GETUID ? SYS_getuid : SYS_getppid;
	double t0, t1;
	long i;

	for (i = 0; i < 1000; i++)
		raw_syscall1(nr, 0);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		raw_syscall1(nr, 0);
	t1 = now_ns();
	return (t1 - t0) / n;
}

/*
 * The server's side: only read, write, the measured calls and exit_group,
 * so that a filter of ten calls is enough.
 */
static void __attribute__((noreturn)) serve(int cmd, int res)
{
	struct order o;
	double ns;

	while (read(cmd, &o, sizeof(o)) == sizeof(o)) {
		ns = time_loop(o.call, o.n);
		if (write(res, &ns, sizeof(ns)) != sizeof(ns))
			break;
	}
	_exit(0);
}

static void install_seccomp(const struct prog *p)
{
	struct sock_fprog fprog = {
		.len = p->len / sizeof(struct sock_filter),
		.filter = (struct sock_filter *)p->data,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die("PR_SET_NO_NEW_PRIVS");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog))
		die("seccomp");
}

/*
 * Start a server; with @newpid it is the init of a new PID namespace (a
 * container), with @native it runs under that native seccomp filter.
 */
static void server_start(struct server *s, const char *name, int newpid,
			 const struct prog *native)
{
	int cmd[2], res[2];
	pid_t pid;

	if (pipe(cmd) || pipe(res))
		die("pipe");
	fflush(NULL);
	pid = syscall(SYS_clone, (newpid ? CLONE_NEWPID : 0) | SIGCHLD,
		      NULL, NULL, NULL, NULL);
	if (pid < 0)
		die("clone");
	if (!pid) {
		/* Keep no other server's pipe open: each must see its EOF. */
		if (dup2(cmd[0], 0) < 0 || dup2(res[1], 1) < 0 ||
		    syscall(SYS_close_range, 3, ~0U, 0))
			_exit(1);
		if (native)
			install_seccomp(native);
		serve(0, 1);
	}
	close(cmd[0]);
	close(res[1]);
	s->name = name;
	s->pid = pid;
	s->cmd = cmd[1];
	s->res = res[0];
}

static double server_measure_n(struct server *s, int call, long n)
{
	struct order o = { call, n };
	double ns;

	if (write(s->cmd, &o, sizeof(o)) != sizeof(o) ||
	    read(s->res, &ns, sizeof(ns)) != sizeof(ns)) {
		errno = 0;
		die("server %s (pid %d) died: a filter denied it a call?",
		    s->name, s->pid);
	}
	return ns;
}

static double server_measure(struct server *s, int call)
{
	return server_measure_n(s, call, loop_calls);
}

static void server_stop(struct server *s)
{
	close(s->cmd);
	close(s->res);
	waitpid(s->pid, NULL, 0);
}

/* A container that does nothing: the init of a new PID namespace. */
static pid_t idle_container(void)
{
	pid_t pid;

	fflush(NULL);
	pid = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL,
		      NULL);
	if (pid < 0)
		die("clone");
	if (!pid) {
		syscall(SYS_close_range, 0, ~0U, 0);
		for (;;)
			pause();
	}
	return pid;
}

static void kill_wait(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Attach a fresh item to the container @pid and force it to running. */
static void attach_running(const char *item, const struct progset *ps,
			   pid_t pid)
{
	item_make(item, ps);
	item_attach(item, pid);
	attr_puts(item, "phase", "running");
}

/* --- micro: module overhead, inside vs native, filter sizes ----------- */

static void micro_overhead(const struct progset *p100)
{
	struct series nomod = { .key = "out_nomod" }, idle = { .key = "out_idle" },
		      out1 = { .key = "out_1item" }, nsnomod = { .key = "ns_nomod" },
		      ns1 = { .key = "ns_1item" }, floor = { .key = "out_floor" },
		      nsfloor = { .key = "ns_floor" };
	const char *floor_ko = getenv("BENCH_FLOOR_KO");
	struct server o, p;
	pid_t dummy;
	int r;

	server_start(&o, "outside", 0, NULL);
	server_start(&p, "own-ns", 1, NULL);
	for (r = 0; r < rounds; r++) {
		module_unload();
		series_add(&nomod, "overhead", server_measure(&o, CALL_GETUID));
		series_add(&nsnomod, "overhead", server_measure(&p, CALL_GETUID));

		if (floor_ko && *floor_ko) {
			module_insert(floor_ko);
			series_add(&floor, "overhead",
				   server_measure(&o, CALL_GETUID));
			series_add(&nsfloor, "overhead",
				   server_measure(&p, CALL_GETUID));
			module_remove("bench_floor");
		}

		module_load();
		series_add(&idle, "overhead", server_measure(&o, CALL_GETUID));

		dummy = idle_container();
		attach_running("bench-one", p100, dummy);
		series_add(&out1, "overhead", server_measure(&o, CALL_GETUID));
		series_add(&ns1, "overhead", server_measure(&p, CALL_GETUID));
		item_remove("bench-one");
		kill_wait(dummy);
	}
	server_stop(&o);
	server_stop(&p);

	series_report(&nomod);
	series_report(&idle);
	series_report(&out1);
	series_report(&nsnomod);
	series_report(&ns1);
	ratio_report("ratio_idle_nomod", &idle, &nomod);
	ratio_report("ratio_out1_nomod", &out1, &nomod);
	ratio_report("ratio_ns1_nomod", &ns1, &nsnomod);
	if (floor.n) {
		series_report(&floor);
		series_report(&nsfloor);
		ratio_report("ratio_floor_nomod", &floor, &nomod);
	}
}

#define NSIZES 3
static const char *const size_sets[NSIZES] = { "n10", "n100", "n300" };

static void micro_filters(const char *filters)
{
	struct progset sets[NSIZES];
	struct prog argprog;
	struct server spk, nat[NSIZES], natarg, plain, outside;
	struct series sp[NSIZES], na[NSIZES], spa = { .key = "spk_arg" },
		      naa = { .key = "nat_arg" }, pl = { .key = "plain" },
		      pla = { .key = "plain_getppid" }, spt = { .key = "spk_getppid_tabled" },
		      outs = { .key = "out_spk" }, lda = { .key = "load_us_arg" },
		      ld[NSIZES];
	double t0;
	char name[32];
	int i, r;

	for (i = 0; i < NSIZES; i++) {
		load_progset(filters, size_sets[i], &sets[i]);
		memset(&sp[i], 0, sizeof(sp[i]));
		memset(&na[i], 0, sizeof(na[i]));
		memset(&ld[i], 0, sizeof(ld[i]));
		snprintf(ld[i].key, sizeof(ld[i].key), "load_us_%s",
			 size_sets[i]);
		out("insns_%s=%zu\n", size_sets[i],
		    sets[i].phase[1].len / sizeof(struct sock_filter));
		snprintf(sp[i].key, sizeof(sp[i].key), "spk_%s", size_sets[i]);
		snprintf(na[i].key, sizeof(na[i].key), "nat_%s", size_sets[i]);
	}
	load_prog(filters, "arg/running", &argprog);
	out("insns_arg=%zu\n", argprog.len / sizeof(struct sock_filter));

	module_load();
	server_start(&plain, "plain-ns", 1, NULL);
	server_start(&outside, "outside", 0, NULL);
	server_start(&spk, "speaker", 1, NULL);
	attach_running("bench-spk", &sets[1], spk.pid);
	for (i = 0; i < NSIZES; i++) {
		snprintf(name, sizeof(name), "native-%s", size_sets[i]);
		server_start(&nat[i], strdup(name), 1, &sets[i].phase[1]);
	}
	server_start(&natarg, "native-arg", 1, &argprog);

	/* An unreported round first: the setup above leaves work behind. */
	server_measure(&plain, CALL_GETUID);
	server_measure(&spk, CALL_GETUID);
	for (i = 0; i < NSIZES; i++)
		server_measure(&nat[i], CALL_GETUID);

	for (r = 0; r < rounds; r++) {
		series_add(&pl, "filters", server_measure(&plain, CALL_GETUID));
		for (i = 0; i < NSIZES; i++) {
			t0 = now_ns();
			program_write("bench-spk", 1, &sets[i].phase[1]);
			series_add(&ld[i], "filters", (now_ns() - t0) / 1000);
			series_add(&sp[i], "filters",
				   server_measure(&spk, CALL_GETUID));
			series_add(&na[i], "filters",
				   server_measure(&nat[i], CALL_GETUID));
			if (i == 1)
				series_add(&spt, "filters",
					   server_measure(&spk, CALL_GETPPID0));
		}
		series_add(&outs, "filters",
			   server_measure(&outside, CALL_GETUID));
		t0 = now_ns();
		program_write("bench-spk", 1, &argprog);
		series_add(&lda, "filters", (now_ns() - t0) / 1000);
		/* The interpreter is slow: a tenth of the calls is plenty. */
		series_add(&spa, "filters", server_measure_n(&spk, CALL_GETPPID0,
							      loop_calls / 10));
		series_add(&naa, "filters",
			   server_measure_n(&natarg, CALL_GETPPID0,
					    loop_calls / 10));
		series_add(&pla, "filters",
			   server_measure(&plain, CALL_GETPPID0));
	}

	server_stop(&spk);
	item_remove("bench-spk");
	for (i = 0; i < NSIZES; i++)
		server_stop(&nat[i]);
	server_stop(&natarg);
	server_stop(&plain);
	server_stop(&outside);

	series_report(&pl);
	series_report(&outs);
	for (i = 0; i < NSIZES; i++) {
		series_report(&ld[i]);
		series_report(&sp[i]);
		series_report(&na[i]);
		snprintf(name, sizeof(name), "ratio_spk_nat_%s", size_sets[i]);
		ratio_report(name, &sp[i], &na[i]);
		snprintf(name, sizeof(name), "ratio_spk_plain_%s", size_sets[i]);
		ratio_report(name, &sp[i], &pl);
		snprintf(name, sizeof(name), "ratio_nat_plain_%s", size_sets[i]);
		ratio_report(name, &na[i], &pl);
	}
	ratio_report("ratio_spk_n300_n10", &sp[2], &sp[0]);
	ratio_report("ratio_nat_n300_n10", &na[2], &na[0]);
	series_report(&spt);
	series_report(&lda);
	series_report(&spa);
	series_report(&naa);
	series_report(&pla);
	ratio_report("ratio_spk_nat_arg", &spa, &naa);
	ratio_report("ratio_spk_arg_tabled", &spa, &spt);
}

static void cmd_micro(const char *filters)
{
	struct progset p100;

	load_progset(filters, "n100", &p100);
	out("calls=%ld\nrounds=%d\n", loop_calls, rounds);
	micro_overhead(&p100);
	micro_filters(filters);
}

/* --- switch: calls under the old filter after a phase switch ---------- */

#define MAX_THREADS	64

struct thread_result {
	long ok;	/* allowed calls */
	long late;	/* allowed although begun after the switch returned */
	long straddle;	/* allowed, begun before the switch, ended after */
	long denied;
	double first_denied;
};

struct switch_shm {
	atomic_int ready;	/* threads that have warmed up */
	atomic_int switched;	/* set by the controller after write() returned */
	double switched_at;
	int nthreads;
	struct thread_result res[MAX_THREADS];
};

static struct switch_shm *shm;

/* Stop after this many denials, or this many calls after the switch. */
#define SWITCH_DENIALS	100
#define SWITCH_AFTER	20000

static void *switch_worker(void *arg)
{
	struct thread_result *tr = arg;
	long after = 0;
	int ready = 0, sw, sw2;
	long r;

	for (;;) {
		sw = atomic_load_explicit(&shm->switched, memory_order_acquire);
		r = raw_syscall1(SYS_getppid, 0);
		sw2 = atomic_load_explicit(&shm->switched, memory_order_acquire);
		if (r >= 0) {
			tr->ok++;
			if (sw)
				tr->late++;
			else if (sw2)
				tr->straddle++;
		} else if (!tr->denied++) {
			tr->first_denied = now_ns();
		}
		if (!ready && tr->ok >= 1000) {
			ready = 1;
			atomic_fetch_add(&shm->ready, 1);
		}
		if (sw && (tr->denied >= SWITCH_DENIALS || ++after >= SWITCH_AFTER))
			break;
	}
	return NULL;
}

/* The container's init: start the threads on order, wait for them. */
static void __attribute__((noreturn)) switch_init(int go)
{
	pthread_t th[MAX_THREADS];
	char c;
	int i;

	if (read(go, &c, 1) != 1)
		_exit(1);
	for (i = 0; i < shm->nthreads; i++)
		if (pthread_create(&th[i], NULL, switch_worker, &shm->res[i]))
			_exit(2);
	for (i = 0; i < shm->nthreads; i++)
		pthread_join(th[i], NULL);
	_exit(0);
}

struct switch_result {
	long late, straddle, ok_after;
	double write_ns, converge_ns;
};

/*
 * One trial: @nthreads threads loop on getppid, which the booting program
 * allows and the running program denies with EPERM. How to switch: write
 * "running" to phase, or (@replace) load the denying program as the
 * running program while running.
 */
static struct switch_result switch_trial(const struct progset *ps,
					 const struct prog *deny,
					 int nthreads, int complain,
					 int replace)
{
	struct switch_result sr = { 0 };
	const char *item = "bench-switch";
	int go[2], fd, i, status;
	double t0, t1, last = 0;
	char path[512];
	pid_t pid;

	memset(shm, 0, sizeof(*shm));
	shm->nthreads = nthreads;
	if (pipe(go))
		die("pipe");
	fflush(NULL);
	pid = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL,
		      NULL);
	if (pid < 0)
		die("clone");
	if (!pid) {
		if (dup2(go[0], 0) < 0 || syscall(SYS_close_range, 3, ~0U, 0))
			_exit(1);
		switch_init(0);
	}
	close(go[0]);

	item_make(item, ps);
	if (complain)
		attr_puts(item, "mode", "complain");
	item_attach(item, pid);
	if (replace) {
		/* running, with the booting program (allows getppid) */
		program_write(item, 1, &ps->phase[0]);
		attr_puts(item, "phase", "running");
	}
	if (write(go[1], "g", 1) != 1)
		die("go");
	while (atomic_load(&shm->ready) < nthreads)
		sleep_ms(1);

	if (replace) {
		snprintf(path, sizeof(path), "%s/%s/running", CONFIGFS, item);
		fd = open(path, O_WRONLY);
		if (fd < 0 || write(fd, deny->data, deny->len) != (ssize_t)deny->len)
			die("write %s", path);
		/* configfs takes the program at close(): that is the switch */
		t0 = now_ns();
		close(fd);
		t1 = now_ns();
	} else {
		snprintf(path, sizeof(path), "%s/%s/phase", CONFIGFS, item);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			die("open %s", path);
		t0 = now_ns();
		if (write(fd, "running", 7) != 7)
			die("write %s", path);
		t1 = now_ns();
		close(fd);
	}
	shm->switched_at = t1;
	atomic_store_explicit(&shm->switched, 1, memory_order_release);

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		errno = 0;
		die("switch container failed (status 0x%x)", status);
	}
	close(go[1]);
	item_remove(item);

	for (i = 0; i < nthreads; i++) {
		struct thread_result *tr = &shm->res[i];

		sr.late += tr->late;
		sr.straddle += tr->straddle;
		if (tr->first_denied > last)
			last = tr->first_denied;
	}
	sr.write_ns = t1 - t0;
	sr.converge_ns = complain ? 0 : last - t1;
	return sr;
}

static const int thread_counts[] = { 1, 2, 4, 8, 16, 64 };
#define NTHREADCOUNTS ((int)ARRAY_SIZE(thread_counts))

static void cmd_switch(const char *filters)
{
	struct progset ps;
	struct switch_result sr;
	struct series wr[NTHREADCOUNTS], cv[NTHREADCOUNTS];
	long late[NTHREADCOUNTS] = { 0 }, strad[NTHREADCOUNTS] = { 0 };
	long rlate = 0, clate = 0, trials = 0;
	int t, r;

	load_progset(filters, "switch", &ps);
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		die("mmap");
	module_load();

	for (t = 0; t < NTHREADCOUNTS; t++) {
		memset(&wr[t], 0, sizeof(wr[t]));
		memset(&cv[t], 0, sizeof(cv[t]));
		snprintf(wr[t].key, sizeof(wr[t].key), "sw_write_us_t%d",
			 thread_counts[t]);
		snprintf(cv[t].key, sizeof(cv[t].key), "sw_converge_us_t%d",
			 thread_counts[t]);
	}
	for (r = 0; r < rounds; r++) {
		for (t = 0; t < NTHREADCOUNTS; t++) {
			sr = switch_trial(&ps, &ps.phase[1], thread_counts[t],
					  0, 0);
			late[t] += sr.late;
			strad[t] += sr.straddle;
			trials++;
			series_add(&wr[t], "switch", sr.write_ns / 1000);
			series_add(&cv[t], "switch", sr.converge_ns / 1000);
		}
		sr = switch_trial(&ps, &ps.phase[1], 8, 0, 1);
		rlate += sr.late;
	}
	/* Control: in complain mode nothing is denied, every late call shows. */
	sr = switch_trial(&ps, &ps.phase[1], 8, 1, 0);
	clate = sr.late;

	for (t = 0; t < NTHREADCOUNTS; t++) {
		out("sw_late_t%d=%ld\n", thread_counts[t], late[t]);
		out("sw_straddle_t%d=%ld\n", thread_counts[t], strad[t]);
		series_report(&wr[t]);
		series_report(&cv[t]);
	}
	out("sw_trials=%ld\n", trials);
	out("sw_replace_late=%ld\n", rlate);
	out("sw_control_late=%ld\n", clate);
}

/* --- scale: 1..1000 containers, and memory per item ------------------- */

struct meminfo {
	long slab_bytes;	/* sum over /proc/slabinfo of active objs * size */
	long sunreclaim_kb, sreclaimable_kb, memavail_kb;
};

static void read_meminfo(struct meminfo *m)
{
	char line[512], name[128];
	long active, num, size;
	FILE *f;

	/* Let RCU-deferred frees finish before counting. */
	sleep_ms(300);
	memset(m, 0, sizeof(*m));
	f = fopen("/proc/slabinfo", "r");
	if (!f)
		die("/proc/slabinfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %ld %ld %ld", name, &active, &num,
			   &size) == 4)
			m->slab_bytes += active * size;
	fclose(f);
	f = fopen("/proc/meminfo", "r");
	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "SUnreclaim: %ld", &m->sunreclaim_kb);
		sscanf(line, "SReclaimable: %ld", &m->sreclaimable_kb);
		sscanf(line, "MemAvailable: %ld", &m->memavail_kb);
	}
	fclose(f);
}

/* Per-cache view of a step, for the report's breakdown. */
struct slabsnap {
	char name[256][128];
	long bytes[256];
	int n;
};

static void slab_snap(struct slabsnap *s)
{
	char line[512], name[128];
	long active, num, size;
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		die("/proc/slabinfo");
	s->n = 0;
	while (fgets(line, sizeof(line), f) && s->n < 256)
		if (sscanf(line, "%127s %ld %ld %ld", name, &active, &num,
			   &size) == 4) {
			snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
			s->bytes[s->n++] = active * size;
		}
	fclose(f);
}

static void slab_diff(const char *step, const struct slabsnap *a,
		      const struct slabsnap *b, int items)
{
	int i, j;
	long d;

	for (i = 0; i < b->n; i++) {
		d = b->bytes[i];
		for (j = 0; j < a->n; j++)
			if (!strcmp(a->name[j], b->name[i]))
				d -= a->bytes[j];
		if (d / items >= 64 || d / items <= -64)
			out("mem_cache %s %s %.0f\n", step, b->name[i],
			    (double)d / items);
	}
}

static const int levels[] = { 1, 10, 100, 1000 };
#define NLEVELS ((int)ARRAY_SIZE(levels))

/*
 * Containers measured from the inside: where an item sits in its hash
 * chain depends on the namespace's address, so one container alone would
 * give a figure that changes from boot to boot. They are attached before
 * the idle containers (the first one alone at level 1), so each sits
 * behind every later item of its bucket.
 */
#define NMEASURERS	8

/*
 * Bytes that a step added to the caches an item can allocate from: the
 * kmalloc caches (struct speaker_item, programs) and configfs's
 * directory entries, dentries and inodes. Other caches change too while
 * a step runs (TCP sockets of the redis part leaving TIME_WAIT, say).
 */
static double slab_item_delta(const struct slabsnap *a,
			      const struct slabsnap *b)
{
	static const char *const caches[] = {
		"kmalloc-", "configfs_", "dentry", "inode_cache",
		"lsm_inode_cache",
	};
	double d = 0;
	unsigned int c;
	int i, j;

	for (i = 0; i < b->n; i++)
		for (c = 0; c < ARRAY_SIZE(caches); c++) {
			if (strncmp(b->name[i], caches[c], strlen(caches[c])) ||
			    (c > 1 && strcmp(b->name[i], caches[c])))
				continue;
			d += b->bytes[i];
			for (j = 0; j < a->n; j++)
				if (!strcmp(a->name[j], b->name[i]))
					d -= a->bytes[j];
		}
	return d;
}

/* Add @items idle containers with items; report memory and times. */
static void scale_add(const struct progset *p10, pid_t *idle, int from,
		      int items, int level)
{
	struct meminfo m0, m1, m2, m3;
	struct slabsnap *s = calloc(4, sizeof(*s));
	char name[32], path[512];
	double t0, t1;
	int i, ph;

	if (!s)
		die("calloc");
	for (i = 0; i < items; i++)
		idle[from + i] = idle_container();
	read_meminfo(&m0);
	slab_snap(&s[0]);
	t0 = now_ns();
	for (i = 0; i < items; i++) {
		snprintf(path, sizeof(path), "%s/idle%d", CONFIGFS, from + i);
		if (mkdir(path, 0700))
			die("mkdir %s", path);
	}
	t1 = now_ns();
	out("scale_mkdir_us_%d=%.0f\n", level, (t1 - t0) / 1000 / items);
	read_meminfo(&m1);
	slab_snap(&s[1]);
	t0 = now_ns();
	for (i = 0; i < items; i++) {
		snprintf(name, sizeof(name), "idle%d", from + i);
		for (ph = 0; ph < 3; ph++)
			program_write(name, ph, &p10->phase[ph]);
		attr_puts(name, "settle_ms", "3600000");
	}
	t1 = now_ns();
	out("scale_programs_us_%d=%.0f\n", level, (t1 - t0) / 1000 / items);
	read_meminfo(&m2);
	slab_snap(&s[2]);
	t0 = now_ns();
	for (i = 0; i < items; i++) {
		snprintf(name, sizeof(name), "idle%d", from + i);
		item_attach(name, idle[from + i]);
	}
	t1 = now_ns();
	out("scale_attach_us_%d=%.0f\n", level, (t1 - t0) / 1000 / items);
	read_meminfo(&m3);
	slab_snap(&s[3]);

	if (items >= 100) {
		double mk = slab_item_delta(&s[0], &s[1]) / items;
		double pr = slab_item_delta(&s[1], &s[2]) / items;
		double at = slab_item_delta(&s[2], &s[3]) / items;

		out("mem_items=%d\n", items);
		out("mem_mkdir_bytes=%.0f\nmem_programs_bytes=%.0f\n", mk, pr);
		out("mem_attach_bytes=%.0f\nmem_item_bytes=%.0f\n", at, mk + at);
		/* Cross-checks over everything, other activity included. */
		out("mem_item_all_bytes=%.0f\n",
		    (double)(m1.slab_bytes - m0.slab_bytes +
			     m3.slab_bytes - m2.slab_bytes) / items);
		out("mem_unreclaim_item_bytes=%.0f\n",
		    (m1.sunreclaim_kb - m0.sunreclaim_kb +
		     m3.sunreclaim_kb - m2.sunreclaim_kb) * 1024.0 / items);
		out("mem_reclaim_item_bytes=%.0f\n",
		    (m1.sreclaimable_kb - m0.sreclaimable_kb +
		     m3.sreclaimable_kb - m2.sreclaimable_kb) * 1024.0 / items);
		out("mem_avail_total_bytes=%.0f\n",
		    (m0.memavail_kb - m3.memavail_kb) * 1024.0 / items);
		slab_diff("mkdir", &s[0], &s[1], items);
		slab_diff("programs", &s[1], &s[2], items);
		slab_diff("attach", &s[2], &s[3], items);
	}
	free(s);
}

/*
 * Diagnostic: where the measured containers' items sit in speaker's
 * namespace hash table, read from /proc/kcore. It needs the offset of
 * hnode and of the struct config_item in struct speaker_item and the
 * number of buckets, which scripts/bench/run takes from the module's debug
 * information (BENCH_ITEM_HNODE, BENCH_ITEM_CONFIG, BENCH_NS_BUCKETS);
 * without them it is skipped.
 */
struct kcore {
	FILE *f;
	int n;
	Elf64_Phdr seg[128];
};

static int kcore_open(struct kcore *k)
{
	Elf64_Ehdr eh;
	int i;

	k->f = fopen("/proc/kcore", "r");
	if (!k->f || fread(&eh, sizeof(eh), 1, k->f) != 1)
		return -1;
	k->n = 0;
	for (i = 0; i < eh.e_phnum && k->n < 128; i++) {
		if (fseek(k->f, eh.e_phoff + i * eh.e_phentsize, SEEK_SET) ||
		    fread(&k->seg[k->n], sizeof(k->seg[0]), 1, k->f) != 1)
			return -1;
		if (k->seg[k->n].p_type == PT_LOAD)
			k->n++;
	}
	return 0;
}

static int kread(struct kcore *k, uint64_t va, void *buf, size_t len)
{
	int i;

	for (i = 0; i < k->n; i++) {
		Elf64_Phdr *ph = &k->seg[i];

		if (va >= ph->p_vaddr && va + len <= ph->p_vaddr + ph->p_memsz)
			return fseek(k->f, ph->p_offset + va - ph->p_vaddr,
				     SEEK_SET) || fread(buf, len, 1, k->f) != 1;
	}
	return -1;
}

static uint64_t ksym(const char *name)
{
	char line[512], sym[256];
	unsigned long long addr;
	FILE *f = fopen("/proc/kallsyms", "r");
	uint64_t found = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %*s %255s", &addr, sym) == 2 &&
		    !strcmp(sym, name)) {
			found = addr;
			break;
		}
	if (f)
		fclose(f);
	return found;
}

/*
 * The table hashes namespace pointers with hash_64(): the top bits of
 * ptr * GOLDEN_RATIO_64. Namespaces next to each other in their slab cache
 * differ by the object size; how many buckets apart does that put them?
 */
static void pidns_stride(int buckets)
{
	const uint64_t golden = 0x61C8864680B583EBull;
	char line[512], name[128];
	long active, num, size;
	FILE *f = fopen("/proc/slabinfo", "r");
	double step;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %ld %ld %ld", name, &active, &num,
			   &size) == 4 && !strcmp(name, "pid_namespace")) {
			/* distance around the ring of buckets */
			step = (double)(size * golden) / 18446744073709551616.0 *
			       buckets;
			out("pidns_objsize=%ld\n", size);
			out("pidns_bucket_step=%.3f\n",
			    step > buckets / 2 ? buckets - step : step);
		}
	if (f)
		fclose(f);
}

/* Items in front of each measurer's in its chain; -1 where unknown. */
static void scale_chains(int *ahead, int nmeas)
{
	const char *hn = getenv("BENCH_ITEM_HNODE"), *nb = getenv("BENCH_NS_BUCKETS");
	const char *ci = getenv("BENCH_ITEM_CONFIG");
	uint64_t table = ksym("speaker_ns_table"), node, si, nameptr;
	int b, k, m, items = 0, longest = 0;
	struct kcore kc;
	char name[32];

	for (m = 0; m < nmeas; m++)
		ahead[m] = -1;
	if (!hn || !ci || !nb || !table || kcore_open(&kc))
		return;
	for (b = 0; b < atoi(nb); b++) {
		if (kread(&kc, table + 8 * b, &node, 8))
			goto out;
		for (k = 0; node; k++) {
			si = node - atoi(hn);
			/* ci_name comes first in struct config_item */
			if (kread(&kc, si + atoi(ci), &nameptr, 8) ||
			    kread(&kc, nameptr, name, sizeof(name)) ||
			    kread(&kc, node, &node, 8))
				goto out;
			name[sizeof(name) - 1] = 0;
			if (sscanf(name, "bench-scale%d", &m) == 1 && m >= 0 &&
			    m < nmeas)
				ahead[m] = k;
		}
		items += k;
		longest = k > longest ? k : longest;
	}
	out("scale_chain_items=%d\nscale_chain_buckets=%d\n", items, atoi(nb));
	pidns_stride(atoi(nb));
	out("scale_chain_longest=%d\n", longest);
out:
	fclose(kc.f);
}

static void cmd_scale(const char *filters)
{
	static struct series sp[NLEVELS][NMEASURERS];
	struct series na[NLEVELS], os[NLEVELS];
	struct server spk[NMEASURERS], nat, outside;
	static pid_t idle[1000];
	int l, r, m, active = 1, have = 1, from = 0;
	double base, ratio, sum, worst;
	int ahead[NMEASURERS];
	struct progset p10, p100;
	char key[64];

	load_progset(filters, "n10", &p10);
	load_progset(filters, "n100", &p100);
	module_load();
	server_start(&outside, "outside", 0, NULL);
	server_start(&nat, "native-n100", 1, &p100.phase[1]);
	for (m = 0; m < NMEASURERS; m++)
		server_start(&spk[m], "speaker", 1, NULL);
	attach_running("bench-scale0", &p100, spk[0].pid);

	for (l = 0; l < NLEVELS; l++) {
		for (; levels[l] > 1 && active < NMEASURERS; active++, have++) {
			snprintf(key, sizeof(key), "bench-scale%d", active);
			attach_running(key, &p100, spk[active].pid);
		}
		if (levels[l] > have) {
			scale_add(&p10, idle, from, levels[l] - have, levels[l]);
			from += levels[l] - have;
			have = levels[l];
		}
		memset(&na[l], 0, sizeof(na[l]));
		memset(&os[l], 0, sizeof(os[l]));
		snprintf(na[l].key, sizeof(na[l].key), "scale_nat_%d", levels[l]);
		snprintf(os[l].key, sizeof(os[l].key), "scale_out_%d", levels[l]);
		for (m = 0; m < active; m++)
			snprintf(sp[l][m].key, sizeof(sp[l][m].key),
				 "scale_spk%d_%d", m, levels[l]);
		for (r = 0; r < rounds; r++) {
			for (m = 0; m < active; m++)
				series_add(&sp[l][m], "scale",
					   server_measure(&spk[m], CALL_GETUID));
			series_add(&na[l], "scale", server_measure(&nat, CALL_GETUID));
			series_add(&os[l], "scale",
				   server_measure(&outside, CALL_GETUID));
		}

		/* The measurers are alike: each is compared with the first alone. */
		base = median(sp[0][0].v, sp[0][0].n);
		sum = worst = 0;
		for (m = 0; m < active; m++) {
			ratio = median(sp[l][m].v, sp[l][m].n) / base;
			sum += ratio;
			worst = ratio > worst ? ratio : worst;
		}
		out("scale_measured_%d=%d\n", levels[l], active);
		out("scale_spk_%d=%.1f\n", levels[l], base * sum / active);
		out("scale_spk_max_%d=%.1f\n", levels[l], base * worst);
		out("ratio_scale_spk_%d_1=%.4f\n", levels[l], sum / active);
		out("ratio_scale_spk_max_%d_1=%.4f\n", levels[l], worst);
		series_report(&na[l]);
		series_report(&os[l]);
		out("ratio_scale_spk_nat_%d=%.4f\n", levels[l],
		    base * sum / active / median(na[l].v, na[l].n));
		out("ratio_scale_out_%d_1=%.4f\n", levels[l],
		    median(os[l].v, os[l].n) / median(os[0].v, os[0].n));
	}
	/* Cost per item in front in the chain: least squares through 0. */
	scale_chains(ahead, NMEASURERS);
	base = median(sp[0][0].v, sp[0][0].n);
	sum = worst = 0;
	for (m = 0; m < NMEASURERS && ahead[m] >= 0; m++) {
		ratio = median(sp[NLEVELS - 1][m].v, sp[NLEVELS - 1][m].n) - base;
		out("scale_ahead%d=%d\nscale_added%d=%.1f\n", m, ahead[m], m, ratio);
		sum += ahead[m] * ratio;
		worst += ahead[m] * ahead[m];
	}
	if (m == NMEASURERS && worst > 0)
		out("scale_ns_per_item_ahead=%.2f\n", sum / worst);
	/* The items stay: the guest powers off next. */
	server_stop(&outside);
	server_stop(&nat);
	for (m = 0; m < NMEASURERS; m++)
		kill(spk[m].pid, SIGKILL);
}

/* --- host-side generators --------------------------------------------- */

/*
 * Calls every bench server needs; exit, rt_sigreturn and restart_syscall,
 * which speaker-compile would add, are listed too, so that a profile of N
 * calls compiles to a filter of exactly N.
 */
static const char *const base_calls[] = {
	"read", "write", "getuid", "getppid", "clock_gettime", "exit_group",
	"nanosleep",
};
#define NBASE ((int)ARRAY_SIZE(base_calls))
static const char *const auto_calls[] = {
	"exit", "rt_sigreturn", "restart_syscall",
};

static int in_list(const char *name, const char *const *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return 1;
	return 0;
}

/* A profile of @total calls: the base calls, then fillers in number order. */
static void write_list(const char *path, int total, const char *omit)
{
	FILE *f = fopen(path, "w");
	int n = 0, nr, i;
	char *name;

	if (!f)
		die("%s", path);
	fprintf(f, "# speaker-bench profile: %d calls\n", total);
	for (i = 0; i < NBASE; i++)
		if (!omit || strcmp(omit, base_calls[i])) {
			fprintf(f, "%s\n", base_calls[i]);
			n++;
		}
	for (i = 0; i < 3; i++) {
		fprintf(f, "%s\n", auto_calls[i]);
		n++;
	}
	for (nr = 0; n < total && nr < 512; nr++) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
		if (!name)
			continue;
		if (!in_list(name, base_calls, NBASE) &&
		    !in_list(name, auto_calls, 3)) {
			fprintf(f, "%s\n", name);
			n++;
		}
		free(name);
	}
	if (n != total) {
		errno = 0;
		die("%s: %d calls, wanted %d", path, n, total);
	}
	fclose(f);
}

static void profile_dir(const char *outdir, const char *set, int total)
{
	char path[512];
	int i;

	snprintf(path, sizeof(path), "%s/%s", outdir, set);
	mkdir(outdir, 0755);
	mkdir(path, 0755);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", outdir, set,
			 phase_attr[i]);
		write_list(path, total, NULL);
	}
}

/* What a threaded container needs; running lacks getppid. */
static const char *const switch_calls[] = {
	"read", "write", "getppid", "clock_gettime", "exit_group", "exit",
	"rt_sigreturn", "restart_syscall", "clone", "clone3", "mmap",
	"mprotect", "munmap", "madvise", "rt_sigprocmask", "set_robust_list",
	"rseq", "futex", "nanosleep", "clock_nanosleep", "sched_yield",
	"getpid", "gettid",
};

static void switch_profile(const char *outdir)
{
	char path[512];
	unsigned int i;
	FILE *f;
	int ph;

	snprintf(path, sizeof(path), "%s/switch", outdir);
	mkdir(path, 0755);
	for (ph = 0; ph < 3; ph++) {
		snprintf(path, sizeof(path), "%s/switch/%s", outdir,
			 phase_attr[ph]);
		f = fopen(path, "w");
		if (!f)
			die("%s", path);
		for (i = 0; i < ARRAY_SIZE(switch_calls); i++)
			if (ph != 1 || strcmp(switch_calls[i], "getppid"))
				fprintf(f, "%s\n", switch_calls[i]);
		fclose(f);
	}
}

static void cmd_profiles(const char *outdir)
{
	profile_dir(outdir, "n10", 10);
	profile_dir(outdir, "n100", 100);
	profile_dir(outdir, "n300", 300);
	switch_profile(outdir);
}

/*
 * The 100-call list as one libseccomp filter, with getppid allowed only
 * when its first argument is 0: a verdict that depends on an argument.
 */
static void cmd_argfilter(const char *profile, const char *outpath)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	char line[128];
	FILE *f = fopen(profile, "r");
	int nr, fd, ret = 0;

	if (!ctx || !f)
		die("argfilter %s", profile);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n#")] = 0;
		if (!*line)
			continue;
		nr = seccomp_syscall_resolve_name(line);
		if (nr == __NR_SCMP_ERROR)
			die("unknown call %s", line);
		if (nr == SYS_getppid)
			ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					       SCMP_A0(SCMP_CMP_EQ, 0));
		else
			ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (ret)
			die("rule %s: %s", line, strerror(-ret));
	}
	fclose(f);
	for (nr = 0; nr < 3; nr++) {
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
				       seccomp_syscall_resolve_name(auto_calls[nr]),
				       0);
		if (ret)
			die("rule %s: %s", auto_calls[nr], strerror(-ret));
	}
	fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || seccomp_export_bpf(ctx, fd))
		die("export %s", outpath);
	close(fd);
	seccomp_release(ctx);
}

/* Load a program file as a native seccomp filter and exec a command. */
static void cmd_seccomp_exec(const char *prog, char **argv)
{
	static struct prog p;

	read_file(prog, &p);
	install_seccomp(&p);
	execvp(argv[0], argv);
	die("exec %s", argv[0]);
}

/* Median, min and max of the numbers on stdin. */
static void cmd_stats(void)
{
	double v[1024];
	int n = 0;

	while (n < 1024 && scanf("%lf", &v[n]) == 1)
		n++;
	if (!n)
		return;
	printf("%.1f %.2f\n", median(v, n), spread(v, n));
}

static void usage(void)
{
	fprintf(stderr,
		"usage: speaker-bench profiles OUTDIR | argfilter PROFILE OUT |\n"
		"       micro FILTERS | switch FILTERS | scale FILTERS |\n"
		"       seccomp-exec PROG CMD... | stats\n"
		"environment: BENCH_CALLS (calls per loop), BENCH_ROUNDS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *e;

	if (argc < 2)
		usage();
	e = getenv("BENCH_CALLS");
	if (e && atol(e) > 0)
		loop_calls = atol(e);
	e = getenv("BENCH_ROUNDS");
	if (e && atoi(e) > 0)
		rounds = atoi(e) < MAX_ROUNDS ? atoi(e) : MAX_ROUNDS;

	if (!strcmp(argv[1], "profiles") && argc == 3)
		cmd_profiles(argv[2]);
	else if (!strcmp(argv[1], "argfilter") && argc == 4)
		cmd_argfilter(argv[2], argv[3]);
	else if (!strcmp(argv[1], "micro") && argc == 3)
		cmd_micro(argv[2]);
	else if (!strcmp(argv[1], "switch") && argc == 3)
		cmd_switch(argv[2]);
	else if (!strcmp(argv[1], "scale") && argc == 3)
		cmd_scale(argv[2]);
	else if (!strcmp(argv[1], "seccomp-exec") && argc >= 4)
		cmd_seccomp_exec(argv[2], argv + 3);
	else if (!strcmp(argv[1], "stats") && argc == 2)
		cmd_stats();
	else
		usage();
	return 0;
}
