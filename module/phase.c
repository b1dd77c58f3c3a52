// SPDX-License-Identifier: GPL-2.0
/*
 * The phase machine: booting, running, shutdown, and what moves a
 * container from one to the next.
 *
 * - booting starts at attach.
 * - booting -> running once the service has exec'd and the container then
 *   goes settle_ms without a system call it had not used since attach.
 * - booting or running -> shutdown when a stop signal is sent from outside
 *   the container to its init or to the service's main process.
 * - any -> exited when the namespace's init exits.
 *
 * The current phase is one int read once per system call, so every task
 * switches at its next call and no call sees half a switch.
 */

#define pr_fmt(fmt) "speaker: " fmt

#include <linux/jiffies.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/timekeeping.h>

#include "speaker.h"

const char *const speaker_phase_names[SPEAKER_NR_PHASE_STATES] = {
	[SPEAKER_IDLE] = "idle",
	[SPEAKER_ARMED] = "armed",
	[SPEAKER_BOOTING] = "booting",
	[SPEAKER_RUNNING] = "running",
	[SPEAKER_SHUTDOWN] = "shutdown",
	[SPEAKER_EXITED] = "exited",
};

static bool speaker_phase_set_locked(struct speaker_item *si, int phase,
				     pid_t pid, const char *comm)
{
	struct speaker_transition *t;
	int old = si->phase;
	char who[TASK_COMM_LEN + 24] = "";
	u64 since;

	lockdep_assert_held(&si->state_lock);
	if (old == phase)
		return false;

	/* Times are counted from the arm or the attach, whichever is last. */
	if (phase == SPEAKER_ARMED)
		si->attach_time = ktime_get_ns();
	since = ktime_get_ns() - si->attach_time;

	WRITE_ONCE(si->phase, phase);
	t = &si->transitions[si->ntransitions++ % SPEAKER_NR_TRANSITIONS];
	t->phase = phase;
	t->since_attach_ns = since;
	t->pid = pid;
	strscpy(t->comm, comm, sizeof(t->comm));

	if (pid)
		snprintf(who, sizeof(who), " (pid %d %s)", pid, comm);
	pr_info("%s: %s -> %s after %llu.%03llus%s\n", speaker_name(si),
		speaker_phase_names[old], speaker_phase_names[phase],
		since / NSEC_PER_SEC, since % NSEC_PER_SEC / NSEC_PER_MSEC, who);
	return true;
}

/**
 * speaker_phase_set() - move an item to a phase
 * @si: the item
 * @phase: the new phase
 * @why: the task that caused the change, or NULL
 *
 * Logs the change once; setting the current phase again does nothing.
 *
 * Context: any.
 */
void speaker_phase_set(struct speaker_item *si, int phase,
		       struct task_struct *why)
{
	char comm[TASK_COMM_LEN] = "-";
	unsigned long flags;
	pid_t pid = 0;

	if (why) {
		pid = task_tgid_nr(why);
		strscpy(comm, why->comm, sizeof(comm));
	}

	spin_lock_irqsave(&si->state_lock, flags);
	speaker_phase_set_locked(si, phase, pid, comm);
	spin_unlock_irqrestore(&si->state_lock, flags);
}

/**
 * speaker_phase_move() - change phase only from the phases expected
 * @si: the item
 * @from: mask of BIT(phase) the item may be in
 * @to: the new phase
 * @why: the task that caused the change, or NULL
 *
 * Probes decide on a phase they read without the lock; checking it again
 * under the lock keeps a late probe from reviving a detached item.
 *
 * Context: any.
 * Return: true if the item moved to @to.
 */
bool speaker_phase_move(struct speaker_item *si, unsigned int from, int to,
			struct task_struct *why)
{
	unsigned long flags;
	bool moved = false;

	spin_lock_irqsave(&si->state_lock, flags);
	if (from & BIT(si->phase))
		moved = speaker_phase_set_locked(si, to,
						 why ? task_tgid_nr(why) : 0,
						 why ? why->comm : "-");
	spin_unlock_irqrestore(&si->state_lock, flags);
	return moved;
}

static unsigned long speaker_settle(struct speaker_item *si)
{
	return msecs_to_jiffies(READ_ONCE(si->settle_ms));
}

static void speaker_settle_fn(struct timer_list *t)
{
	struct speaker_item *si = from_timer(si, t, settle_timer);
	unsigned long flags, due;

	spin_lock_irqsave(&si->state_lock, flags);
	if (si->phase == SPEAKER_BOOTING && si->service_execd) {
		due = READ_ONCE(si->last_new) + speaker_settle(si);
		if (time_before(jiffies, due))
			mod_timer(&si->settle_timer, due);
		else
			speaker_phase_set_locked(si, SPEAKER_RUNNING,
						 si->service_pid,
						 si->service_comm);
	}
	spin_unlock_irqrestore(&si->state_lock, flags);
}

/**
 * speaker_phase_init() - set up the phase machine of a new item
 * @si: the item
 */
void speaker_phase_init(struct speaker_item *si)
{
	spin_lock_init(&si->state_lock);
	timer_setup(&si->settle_timer, speaker_settle_fn, 0);
	si->phase = SPEAKER_IDLE;
}

/**
 * speaker_phase_attached() - start booting after an attach
 * @si: the item, just attached
 * @service: thread group ID in the namespace of a task that runs the
 *	service already, 0 when the service is still to exec
 * @init: the namespace's init
 *
 * Context: any; called with speaker_ns_lock held and in an RCU read side.
 */
void speaker_phase_attached(struct speaker_item *si, pid_t service,
			    struct task_struct *init)
{
	unsigned long flags;

	spin_lock_irqsave(&si->state_lock, flags);
	memset(si->seen, 0, sizeof(si->seen));
	si->attach_time = ktime_get_ns();
	si->service_execd = service != 0;
	si->service_tgid = service;
	si->service_pid = service ? pid_nr(find_pid_ns(service, si->ns)) : 0;
	strscpy(si->service_comm, si->service[0] ? si->service : init->comm,
		sizeof(si->service_comm));
	WRITE_ONCE(si->last_new, jiffies);
	speaker_phase_set_locked(si, SPEAKER_BOOTING, task_tgid_nr(init),
				 init->comm);
	if (service)
		mod_timer(&si->settle_timer, jiffies + speaker_settle(si));
	spin_unlock_irqrestore(&si->state_lock, flags);
}

/**
 * speaker_phase_new_call() - note a call not used before since attach
 * @si: the item, booting
 *
 * Context: sys_enter probe.
 */
void speaker_phase_new_call(struct speaker_item *si)
{
	WRITE_ONCE(si->last_new, jiffies);
	if (READ_ONCE(si->service_execd))
		mod_timer(&si->settle_timer, jiffies + speaker_settle(si));
}

/*
 * Does @p descend from the container's init through processes inside it?
 * A process that entered with setns() has its parent outside, and so have
 * its children once it exits (they go to its reaper, outside); neither it
 * nor anything it starts, at any depth, may pass for the service. The
 * walk ends at the init or at the first ancestor whose parent is outside.
 */
static bool speaker_born_inside(struct speaker_item *si, struct task_struct *p)
{
	struct task_struct *parent;

	while (task_tgid_nr_ns(p, si->ns) != 1) {
		parent = rcu_dereference_sched(p->real_parent);
		if (!pid_alive(parent) ||
		    speaker_lookup(ns_of_pid(task_pid(parent))) != si)
			return false;
		p = parent;
	}
	return true;
}

/**
 * speaker_phase_exec() - watch for the service's exec while booting
 * @si: the item watching @p
 * @p: a task that has just exec'd
 *
 * Context: exec probe, RCU read side.
 */
void speaker_phase_exec(struct speaker_item *si, struct task_struct *p)
{
	unsigned long flags;
	char service[TASK_COMM_LEN];

	if (READ_ONCE(si->phase) != SPEAKER_BOOTING ||
	    READ_ONCE(si->service_execd))
		return;

	spin_lock_irqsave(&si->state_lock, flags);
	strscpy(service, si->service, sizeof(service));
	if (!si->service_execd && (!service[0] ||
				   !strncmp(p->comm, service, sizeof(service))) &&
	    speaker_born_inside(si, p)) {
		si->service_execd = true;
		si->service_tgid = task_tgid_nr_ns(p, si->ns);
		si->service_pid = task_tgid_nr(p);
		strscpy(si->service_comm, p->comm, sizeof(si->service_comm));
		WRITE_ONCE(si->last_new, jiffies);
		mod_timer(&si->settle_timer, jiffies + speaker_settle(si));
	}
	spin_unlock_irqrestore(&si->state_lock, flags);
}

/**
 * speaker_phase_signal() - start shutdown on a stop signal
 * @si: the item watching @target
 * @sig: the signal being generated
 * @target: the task it is sent to
 *
 * Only a signal of the item's stop set, sent from outside the container to
 * its init or to the service's main process, counts: signals between the
 * container's own processes do not. The probe runs when the signal is
 * generated, before the target can run a handler, so the handler already
 * runs under the shutdown filter.
 *
 * Context: signal_generate probe; the target's siglock is held.
 */
void speaker_phase_signal(struct speaker_item *si, int sig,
			  struct task_struct *target)
{
	int phase = READ_ONCE(si->phase);
	pid_t tgid;

	if (sig < 1 || sig > 64 || !(READ_ONCE(si->stop_signals) & BIT_ULL(sig - 1)))
		return;
	if (phase != SPEAKER_BOOTING && phase != SPEAKER_RUNNING)
		return;
	/* Signals raised by the kernel from interrupts have no sender. */
	if (!in_task() || speaker_lookup(ns_of_pid(task_pid(current))) == si)
		return;

	tgid = task_tgid_nr_ns(target, si->ns);
	if (tgid != 1 && !(READ_ONCE(si->service_execd) &&
			   tgid == READ_ONCE(si->service_tgid)))
		return;

	speaker_phase_move(si, BIT(SPEAKER_BOOTING) | BIT(SPEAKER_RUNNING),
			   SPEAKER_SHUTDOWN, target);
}

/**
 * speaker_phase_exit() - does this exit end the item's namespace?
 * @si: the item watching @p
 * @p: an exiting thread
 *
 * Context: exit probe.
 * Return: true when @p is the last thread of the namespace's init.
 */
bool speaker_phase_exit(struct speaker_item *si, struct task_struct *p)
{
	return ns_of_pid(task_pid(p)) == si->ns &&
		task_tgid_nr_ns(p, si->ns) == 1 &&
		!atomic_read(&p->signal->live);
}

/**
 * speaker_transitions_show() - format the transition history
 * @si: the item
 * @page: a configfs page
 *
 * One line per change, oldest first: phase, seconds since attach, and the
 * process that caused it (0 and "-" where none did).
 *
 * Return: bytes written.
 */
ssize_t speaker_transitions_show(struct speaker_item *si, char *page)
{
	struct speaker_transition t[SPEAKER_NR_TRANSITIONS];
	unsigned int n, first, i;
	unsigned long flags;
	ssize_t len = 0;

	spin_lock_irqsave(&si->state_lock, flags);
	n = si->ntransitions;
	memcpy(t, si->transitions, sizeof(t));
	spin_unlock_irqrestore(&si->state_lock, flags);

	first = n > SPEAKER_NR_TRANSITIONS ? n - SPEAKER_NR_TRANSITIONS : 0;
	for (i = first; i < n; i++) {
		struct speaker_transition *e = &t[i % SPEAKER_NR_TRANSITIONS];

		len += sysfs_emit_at(page, len, "%s +%llu.%03llus pid %d %s\n",
				     speaker_phase_names[e->phase],
				     e->since_attach_ns / NSEC_PER_SEC,
				     e->since_attach_ns % NSEC_PER_SEC /
				     NSEC_PER_MSEC, e->pid, e->comm);
	}
	return len;
}

/**
 * speaker_detector_show() - say what the detector waits for
 * @si: the item
 * @page: a configfs page
 *
 * Return: bytes written.
 */
ssize_t speaker_detector_show(struct speaker_item *si, char *page)
{
	unsigned long flags, quiet;
	bool execd;
	char comm[TASK_COMM_LEN];
	pid_t pid;
	int phase;

	spin_lock_irqsave(&si->state_lock, flags);
	phase = si->phase;
	execd = si->service_execd;
	pid = si->service_pid;
	strscpy(comm, execd ? si->service_comm : si->service, sizeof(comm));
	quiet = jiffies - READ_ONCE(si->last_new);
	spin_unlock_irqrestore(&si->state_lock, flags);

	if (phase != SPEAKER_BOOTING)
		return sysfs_emit(page, "%s\n", speaker_phase_names[phase]);
	if (!execd)
		return sysfs_emit(page, "booting: waiting for exec of %s\n",
				  comm[0] ? comm : "any program");
	return sysfs_emit(page,
			  "booting: service %s pid %d exec'd, no new call for %u of %u ms\n",
			  comm, pid, jiffies_to_msecs(quiet),
			  READ_ONCE(si->settle_ms));
}
