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
 * sleep.
 */

#define pr_fmt(fmt) "speaker: " fmt

#include <linux/pid_namespace.h>
#include <linux/tracepoint.h>

#include "speaker.h"

static void speaker_probe_sys_enter(void *data, struct pt_regs *regs, long id)
{
	struct pid_namespace *ns = ns_of_pid(task_pid(current));
	struct speaker_item *si;

	if (likely(!ns || !ns->level))
		return;
	si = speaker_lookup(ns);
	if (si)
		speaker_syscall(si, regs, id);
}

static void speaker_probe_fork(void *data, struct task_struct *parent,
			       struct task_struct *child)
{
	speaker_fork(parent, child);
}

static struct speaker_item *speaker_watcher(struct task_struct *p)
{
	struct pid_namespace *ns = ns_of_pid(task_pid(p));

	if (!ns || !ns->level)
		return NULL;
	return speaker_lookup(ns);
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
