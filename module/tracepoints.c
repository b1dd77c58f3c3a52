// SPDX-License-Identifier: GPL-2.0
/*
 * Glue to the kernel's tracepoints.
 *
 * The tracepoints speaker needs are not exported, so they are found by
 * name at load time. Their probes are registered only while an item is
 * attached or armed: a registered sys_enter probe puts every task of the
 * system on the slow system call path, so with nothing to watch speaker
 * costs nothing.
 *
 * Probes run with preemption disabled (an RCU read side) and must not
 * sleep; compat.h keeps it so for the sys_enter probe on kernels whose
 * system call tracepoints no longer disable it.
 *
 * Registering any sys_enter probe sets SYSCALL_TRACEPOINT work on every
 * task, which sends all their system calls down the slow path. While
 * speaker is the only user of the syscall tracepoints, it clears that work
 * again on each task outside a watched namespace at the task's first
 * traced call, and sets it on tasks that enter one: on the children that
 * fork into a watched namespace, and on every task of a namespace that is
 * attached. A watch work checks once a second whether another tracer has
 * come (perf, ftrace or BPF on sys_enter or sys_exit); then it gives every
 * task the work bit back and stops clearing. Such a tracer may miss the
 * calls of cleared tasks for up to that second: a known shortcoming.
 */

#define pr_fmt(fmt) "speaker: " fmt

#include <linux/jump_label.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/tracepoint.h>

#include "compat.h"
#include "speaker.h"

/* True while no other tracer uses sys_enter or sys_exit. */
static bool speaker_tp_exclusive;

static struct speaker_item *speaker_watcher(struct task_struct *p)
{
	struct pid_namespace *ns = ns_of_pid(task_pid(p));

	if (!ns || !ns->level)
		return NULL;
	return speaker_lookup(ns);
}

/*
 * Every call but an allowed one of a task in an attached namespace: tasks
 * of namespaces below it, tasks speaker does not watch, and calls that
 * speaker_syscall() must decide.
 */
static noinline void speaker_sys_enter_slow(struct speaker_item *si,
					    struct pid_namespace *ns,
					    struct pt_regs *regs, long id)
{
	if (!si && ns)
		si = speaker_lookup(ns->parent);
	if (si)
		speaker_syscall(si, regs, id);
	else if (READ_ONCE(speaker_tp_exclusive))
		clear_task_syscall_work(current, SYSCALL_TRACEPOINT);
}

/*
 * Kept short on purpose: every call of a watched task pays for it, and
 * the benchmark (make bench) counts its instructions against seccomp's.
 * The initial namespace is never attached, so its tasks need no test of
 * their own before the lookup.
 */
static void speaker_probe_sys_enter(void *data, struct pt_regs *regs, long id)
{
	struct pid_namespace *ns;
	struct speaker_item *si;

	speaker_syscall_probe_begin();
	ns = ns_of_pid(task_pid(current));
	si = ns ? speaker_lookup_one(ns) : NULL;
	if (unlikely(!si) || !speaker_allowed_fast(si, id))
		speaker_sys_enter_slow(si, ns, regs, id);
	speaker_syscall_probe_end();
}

static void speaker_probe_fork(void *data, struct task_struct *parent,
			       struct task_struct *child)
{
	speaker_fork(parent, child);
	/* A child of a task outside may be born inside: setns(), attach. */
	if (speaker_watcher(child))
		set_task_syscall_work(child, SYSCALL_TRACEPOINT);
}

static void speaker_probe_exec(void *data, struct task_struct *p,
			       pid_t old_pid, struct linux_binprm *bprm)
{
	struct speaker_item *si = speaker_watcher(p);

	if (si)
		speaker_phase_exec(si, p);
}

static void speaker_probe_exit(void *data, struct task_struct *p)
{
	struct speaker_item *si = speaker_watcher(p);

	if (si && speaker_phase_exit(si, p))
		speaker_exited(si, si->ns, p);
	speaker_armed_exit(p);
}

static void speaker_probe_signal(void *data, int sig,
				 struct kernel_siginfo *info,
				 struct task_struct *task, int group,
				 int result)
{
	struct speaker_item *si = speaker_watcher(task);

	if (si)
		speaker_phase_signal(si, sig, task);
}

struct speaker_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
};

static struct speaker_tp speaker_tps[] = {
	{ "sched_process_fork", speaker_probe_fork },
	{ "sched_process_exec", speaker_probe_exec },
	{ "sched_process_exit", speaker_probe_exit },
	{ "signal_generate", speaker_probe_signal },
	/* Last, so that no call is judged before exits can be seen. */
	{ "sys_enter", speaker_probe_sys_enter },
};

/* Not probed; watched for other users. */
static struct tracepoint *speaker_tp_sys_exit;

/*
 * Serializes the users count with registration; taken only in process
 * context, under attach.c's speaker_mutex.
 */
static DEFINE_MUTEX(speaker_tp_mutex);
static unsigned int speaker_tp_users;

static void speaker_tp_find(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(speaker_tps); i++)
		if (!strcmp(tp->name, speaker_tps[i].name))
			speaker_tps[i].tp = tp;
	if (!strcmp(tp->name, "sys_exit"))
		speaker_tp_sys_exit = tp;
}

static struct tracepoint *speaker_tp_sys_enter(void)
{
	return speaker_tps[ARRAY_SIZE(speaker_tps) - 1].tp;
}

/* Is speaker's probe the only user of the syscall tracepoints? */
static bool speaker_tp_alone(void)
{
	struct tracepoint_func *funcs;
	int n = 0;

	if (!speaker_tp_sys_exit || static_key_enabled(&speaker_tp_sys_exit->key))
		return false;

	rcu_read_lock_sched();
	funcs = rcu_dereference_sched(speaker_tp_sys_enter()->funcs);
	for (; funcs && funcs->func; funcs++)
		n++;
	rcu_read_unlock_sched();
	return n == 1;
}

/**
 * speaker_tp_mark_ns() - put the tasks of a namespace on the traced path
 * @ns: a namespace just attached
 *
 * Its tasks may have lost SYSCALL_TRACEPOINT work while nothing watched
 * them. Called after the item is in the map, so a task forked meanwhile is
 * marked by the fork probe if this walk misses it.
 *
 * Context: process context; sleeps.
 */
void speaker_tp_mark_ns(struct pid_namespace *ns)
{
	struct task_struct *g, *t;
	struct pid_namespace *tns;

	/*
	 * A probe that found no item before the attach may still clear the
	 * work of a task of @ns: let such probes finish before marking.
	 */
	synchronize_rcu();
	rcu_read_lock();
	for_each_process_thread(g, t) {
		for (tns = ns_of_pid(task_pid(t)); tns; tns = tns->parent)
			if (tns == ns)
				break;
		if (tns)
			set_task_syscall_work(t, SYSCALL_TRACEPOINT);
	}
	rcu_read_unlock();
}

static void speaker_tp_mark_all(void)
{
	struct task_struct *g, *t;

	rcu_read_lock();
	for_each_process_thread(g, t)
		set_task_syscall_work(t, SYSCALL_TRACEPOINT);
	rcu_read_unlock();
}

static void speaker_tp_watch_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(speaker_tp_watch, speaker_tp_watch_fn);

static void speaker_tp_watch_fn(struct work_struct *work)
{
	bool alone = speaker_tp_alone();

	if (!alone && READ_ONCE(speaker_tp_exclusive)) {
		WRITE_ONCE(speaker_tp_exclusive, false);
		/* Let probes that saw "exclusive" finish clearing first. */
		synchronize_rcu();
		speaker_tp_mark_all();
		pr_info("another tracer uses the syscall tracepoints: every task stays on the traced path\n");
	} else if (alone) {
		WRITE_ONCE(speaker_tp_exclusive, true);
	}
	schedule_delayed_work(&speaker_tp_watch, HZ);
}

/**
 * speaker_tracepoints_init() - find the tracepoints speaker needs
 *
 * Return: 0, or -ENOENT naming the first one this kernel lacks.
 */
int speaker_tracepoints_init(void)
{
	int i;

	for_each_kernel_tracepoint(speaker_tp_find, NULL);
	for (i = 0; i < ARRAY_SIZE(speaker_tps); i++) {
		if (!speaker_tps[i].tp) {
			pr_err("kernel has no tracepoint %s\n",
			       speaker_tps[i].name);
			return -ENOENT;
		}
	}
	return 0;
}

static void speaker_tp_unregister(int n)
{
	cancel_delayed_work_sync(&speaker_tp_watch);
	/* Tasks cleared by speaker must not be lost to another tracer. */
	if (READ_ONCE(speaker_tp_exclusive)) {
		WRITE_ONCE(speaker_tp_exclusive, false);
		synchronize_rcu();
		if (!speaker_tp_alone())
			speaker_tp_mark_all();
	}
	while (n--)
		WARN_ON_ONCE(tracepoint_probe_unregister(speaker_tps[n].tp,
							 speaker_tps[n].probe,
							 NULL));
	tracepoint_synchronize_unregister();
}

static int speaker_tp_register(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(speaker_tps); i++) {
		ret = tracepoint_probe_register(speaker_tps[i].tp,
						speaker_tps[i].probe, NULL);
		if (ret) {
			pr_err("cannot attach to tracepoint %s: %d\n",
			       speaker_tps[i].name, ret);
			speaker_tp_unregister(i);
			return ret;
		}
	}
	speaker_tp_watch_fn(NULL);
	return 0;
}

/**
 * speaker_probes_get() - count one more item that needs the probes
 *
 * Registers the probes for the first user.
 *
 * Context: process context.
 * Return: 0 or a registration error (the count is then unchanged).
 */
int speaker_probes_get(void)
{
	int ret = 0;

	mutex_lock(&speaker_tp_mutex);
	if (!speaker_tp_users)
		ret = speaker_tp_register();
	if (!ret)
		speaker_tp_users++;
	mutex_unlock(&speaker_tp_mutex);
	return ret;
}

/**
 * speaker_probes_put() - count one item less that needs the probes
 *
 * Unregisters the probes after the last user, and returns only once no
 * probe runs any more.
 *
 * Context: process context.
 */
void speaker_probes_put(void)
{
	mutex_lock(&speaker_tp_mutex);
	if (!WARN_ON_ONCE(!speaker_tp_users) && !--speaker_tp_users)
		speaker_tp_unregister(ARRAY_SIZE(speaker_tps));
	mutex_unlock(&speaker_tp_mutex);
}
