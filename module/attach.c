// SPDX-License-Identifier: GPL-2.0
/*
 * Which item, if any, watches a task: the map from PID namespaces to items.
 *
 * An item is either armed on a process (it waits for the first new PID
 * namespace that process or a descendant creates) or attached to a PID
 * namespace (it filters every task whose active namespace is that one or
 * a descendant of it). Lookups run in probes on every system call, so the
 * map is a hash table read under RCU, walked once per namespace level of
 * the calling task: the cost does not grow with the number of items.
 */

#define pr_fmt(fmt) "speaker: " fmt

#include <linux/hashtable.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include "speaker.h"

/*
 * Locking:
 * - speaker_mutex serializes every attach, arm and detach done from process
 *   context, and with them the registration of the probes.
 * - speaker_ns_lock protects writers of speaker_ns_table, speaker_armed and
 *   of every item's ns, init_pid and armed_pid; it is taken from the fork probe, so
 *   always with interrupts disabled. Readers of the table and the list use
 *   RCU (probes run with preemption disabled).
 * Order: speaker_mutex, then speaker_ns_lock, then an item's state_lock.
 */
static DEFINE_MUTEX(speaker_mutex);
static DEFINE_SPINLOCK(speaker_ns_lock);
/*
 * 4096 buckets (32 KiB): a thousand containers still average a quarter
 * of an item per chain; with 256 the probe walked chains of up to 14.
 * Not static: the probe looks up inline (speaker_lookup_one()).
 */
DEFINE_HASHTABLE(speaker_ns_table, SPEAKER_NS_HASH_BITS);
static LIST_HEAD(speaker_armed);

/**
 * speaker_lookup() - find the item that watches a PID namespace
 * @ns: the active PID namespace of a task
 *
 * Context: RCU read side (probes qualify: preemption is disabled).
 * Return: the item attached to @ns or to its nearest ancestor, or NULL.
 */
struct speaker_item *speaker_lookup(struct pid_namespace *ns)
{
	struct speaker_item *si;

	for (; ns && ns->level; ns = ns->parent) {
		si = speaker_lookup_one(ns);
		if (si)
			return si;
	}
	return NULL;
}

/* Is @ns an ancestor of, or the same as, any attached namespace? */
static bool speaker_covers_attached(struct pid_namespace *ns)
{
	struct speaker_item *si;
	struct pid_namespace *p;
	int bkt;

	lockdep_assert_held(&speaker_ns_lock);
	hash_for_each(speaker_ns_table, bkt, si, hnode)
		for (p = si->ns; p; p = p->parent)
			if (p == ns)
				return true;
	return false;
}

/* Attach @si to @ns; the caller passes its reference to @ns. */
static void speaker_attach_locked(struct speaker_item *si,
				  struct pid_namespace *ns, pid_t service,
				  struct task_struct *init)
{
	lockdep_assert_held(&speaker_ns_lock);
	si->ns = ns;
	si->init_pid = get_pid(task_pid(init));
	hlist_add_head_rcu(&si->hnode,
			   &speaker_ns_table[hash_ptr(ns, SPEAKER_NS_HASH_BITS)]);
	speaker_phase_attached(si, service, init);
}

/* Is @child the init of a PID namespace that @parent does not see as own? */
static struct pid_namespace *speaker_new_ns(struct task_struct *child)
{
	struct pid *pid = task_pid(child);
	struct pid_namespace *ns = ns_of_pid(pid);

	if (!ns || !ns->level || pid_nr_ns(pid, ns) != 1)
		return NULL;
	return ns;
}

static bool speaker_descends_from(struct task_struct *t, struct pid *pid)
{
	for (; t->pid; t = rcu_dereference_sched(t->real_parent))
		if (task_tgid(t) == pid)
			return true;
	return false;
}

/**
 * speaker_fork() - attach armed items to a namespace being created
 * @parent: the forking task
 * @child: the new task, not yet run
 *
 * The fork tracepoint fires before the child first runs, so an item armed
 * on an ancestor of @parent attaches before the new namespace's init
 * executes anything.
 *
 * Context: fork probe, RCU read side.
 */
void speaker_fork(struct task_struct *parent, struct task_struct *child)
{
	struct pid_namespace *ns;
	struct speaker_item *si;
	unsigned long flags;

	if (list_empty(&speaker_armed))
		return;
	ns = speaker_new_ns(child);
	if (!ns)
		return;

	list_for_each_entry_rcu(si, &speaker_armed, armed_node) {
		if (!speaker_descends_from(parent, READ_ONCE(si->armed_pid)))
			continue;

		spin_lock_irqsave(&speaker_ns_lock, flags);
		if (si->armed_pid && !si->ns && !speaker_lookup(ns) &&
		    !speaker_covers_attached(ns)) {
			list_del_rcu(&si->armed_node);
			speaker_attach_locked(si, get_pid_ns(ns), 0, child);
		}
		spin_unlock_irqrestore(&speaker_ns_lock, flags);
		return;
	}
}

/* References an item holds while attached or armed. */
struct speaker_refs {
	struct pid_namespace *ns;
	struct pid *init_pid;
	struct pid *armed_pid;
};

/* Unhook @si from the map and take its references out. */
static bool speaker_unhook(struct speaker_item *si, struct speaker_refs *refs)
{
	unsigned long flags;

	spin_lock_irqsave(&speaker_ns_lock, flags);
	if (si->ns && !hlist_unhashed(&si->hnode))
		hash_del_rcu(&si->hnode);
	else if (si->armed_pid && !si->ns)
		list_del_rcu(&si->armed_node);
	refs->ns = si->ns;
	refs->init_pid = si->init_pid;
	refs->armed_pid = si->armed_pid;
	si->ns = NULL;
	si->init_pid = NULL;
	WRITE_ONCE(si->armed_pid, NULL);
	spin_unlock_irqrestore(&speaker_ns_lock, flags);

	return refs->ns || refs->armed_pid;
}

static void speaker_detach_locked(struct speaker_item *si, int phase)
{
	struct speaker_refs refs;

	lockdep_assert_held(&speaker_mutex);
	WRITE_ONCE(si->release_pending, false);
	if (!speaker_unhook(si, &refs))
		return;

	speaker_phase_set(si, phase, NULL);
	/* No probe may still see @si through the map once this returns. */
	synchronize_rcu();
	timer_delete_sync(&si->settle_timer);
	if (refs.ns)
		put_pid_ns(refs.ns);
	put_pid(refs.init_pid);
	put_pid(refs.armed_pid);
	speaker_probes_put();
}

/**
 * speaker_target_pid() - the PID to show in target
 * @si: the item
 *
 * Return: the init of the attached namespace, else the armed process, as
 * the reader sees them; 0 if none or if the reader cannot see it.
 */
pid_t speaker_target_pid(struct speaker_item *si)
{
	unsigned long flags;
	pid_t nr = 0;

	spin_lock_irqsave(&speaker_ns_lock, flags);
	if (si->init_pid && !hlist_unhashed(&si->hnode))
		nr = pid_vnr(si->init_pid);
	else if (si->armed_pid && !si->ns &&
		 pid_has_task(si->armed_pid, PIDTYPE_PID))
		nr = pid_vnr(si->armed_pid);
	spin_unlock_irqrestore(&speaker_ns_lock, flags);
	return nr;
}

/**
 * speaker_detach() - detach or disarm an item
 * @si: the item
 *
 * Context: process context; takes speaker_mutex.
 */
void speaker_detach(struct speaker_item *si)
{
	cancel_delayed_work_sync(&si->release_work);
	mutex_lock(&speaker_mutex);
	speaker_detach_locked(si, SPEAKER_IDLE);
	mutex_unlock(&speaker_mutex);
}

/*
 * Has every task of the namespace gone? The init's exit kills the others
 * and waits for them to be reaped before the init becomes a zombie.
 */
static bool speaker_ns_empty(struct speaker_item *si)
{
	struct task_struct *init;
	bool empty;

	rcu_read_lock();
	init = pid_task(si->init_pid, PIDTYPE_PID);
	empty = !init || READ_ONCE(init->exit_state);
	rcu_read_unlock();
	return empty;
}

/**
 * speaker_release_work() - finish a detach that the exit probe started
 * @work: the item's release_work
 *
 * The exit probe cannot sleep, so it only marks the item exited. Until the
 * namespace is empty its dying tasks stay under the shutdown filter; then
 * this work unhooks the item and drops its references. An armed item
 * whose process exited is simply disarmed.
 */
void speaker_release_work(struct work_struct *work)
{
	struct speaker_item *si = container_of(to_delayed_work(work),
					       struct speaker_item,
					       release_work);
	bool detached = false;

	mutex_lock(&speaker_mutex);
	if (READ_ONCE(si->release_pending)) {
		detached = !si->ns || speaker_ns_empty(si);
		if (detached)
			speaker_detach_locked(si, si->ns ? SPEAKER_EXITED :
						  SPEAKER_IDLE);
		else
			schedule_delayed_work(&si->release_work, HZ / 50);
	}
	mutex_unlock(&speaker_mutex);

	if (detached)
		speaker_item_unpin(si);
}

/**
 * speaker_armed_exit() - disarm items whose armed process has exited
 * @p: an exiting thread
 *
 * A process that dies without making a namespace leaves its orphans to
 * the host's init, out of the armed item's reach, and its PID free for
 * reuse: the item goes back to idle, from a work item as the exit probe
 * cannot sleep.
 *
 * Context: exit probe, RCU read side.
 */
void speaker_armed_exit(struct task_struct *p)
{
	struct speaker_item *si;

	if (list_empty(&speaker_armed) || atomic_read(&p->signal->live))
		return;
	list_for_each_entry_rcu(si, &speaker_armed, armed_node) {
		if (READ_ONCE(si->armed_pid) != task_tgid(p) ||
		    READ_ONCE(si->release_pending))
			continue;
		WRITE_ONCE(si->release_pending, true);
		schedule_delayed_work(&si->release_work, 0);
	}
}

/**
 * speaker_exited() - start the detach of an item whose init is exiting
 * @si: the item
 * @ns: the namespace whose init exits
 * @p: the last exiting thread of that init
 *
 * Context: exit probe; cannot sleep, so the detach is left to the item's
 * release_work.
 */
void speaker_exited(struct speaker_item *si, struct pid_namespace *ns,
		    struct task_struct *p)
{
	unsigned long flags;
	bool exited = false;

	spin_lock_irqsave(&speaker_ns_lock, flags);
	if (si->ns == ns && !READ_ONCE(si->release_pending)) {
		WRITE_ONCE(si->release_pending, true);
		exited = true;
	}
	spin_unlock_irqrestore(&speaker_ns_lock, flags);

	if (exited) {
		speaker_phase_set(si, SPEAKER_EXITED, p);
		schedule_delayed_work(&si->release_work, 0);
	}
}

/*
 * The thread group ID in @ns of a task that runs the service already, 0 if
 * none does. Attaching to a running container must not wait for an exec
 * that happened before the attach; without a service name, the init
 * stands for it.
 */
static pid_t speaker_service_running(struct speaker_item *si,
				     struct pid_namespace *ns)
{
	struct task_struct *p;
	pid_t tgid = 0;

	if (!si->service[0])
		return 1;

	rcu_read_lock();
	for_each_process(p) {
		if (task_active_pid_ns(p) == ns &&
		    !strncmp(p->comm, si->service, TASK_COMM_LEN)) {
			tgid = task_tgid_nr_ns(p, ns);
			break;
		}
	}
	rcu_read_unlock();
	return tgid;
}

static bool speaker_is_ancestor(struct pid_namespace *anc,
				struct pid_namespace *ns)
{
	for (; ns; ns = ns->parent)
		if (ns == anc)
			return true;
	return false;
}

static int speaker_attach_ns(struct speaker_item *si, struct pid *pid,
			     pid_t nr)
{
	struct pid_namespace *ns = ns_of_pid(pid);
	pid_t service = speaker_service_running(si, ns);
	struct task_struct *init;
	unsigned long flags;
	int ret = 0;

	rcu_read_lock();
	init = pid_task(pid, PIDTYPE_PID);
	spin_lock_irqsave(&speaker_ns_lock, flags);
	if (!init)
		ret = -ESRCH;
	else if (speaker_lookup(ns) || speaker_covers_attached(ns))
		ret = -EBUSY;
	else
		speaker_attach_locked(si, get_pid_ns(ns), service, init);
	spin_unlock_irqrestore(&speaker_ns_lock, flags);
	rcu_read_unlock();

	if (!ret)
		speaker_tp_mark_ns(ns);
	if (ret == -EBUSY)
		pr_info_ratelimited("%s: PID %d: namespace overlaps one attached already\n",
				    speaker_name(si), nr);
	return ret;
}

static void speaker_arm(struct speaker_item *si, struct pid *pid)
{
	unsigned long flags;

	spin_lock_irqsave(&speaker_ns_lock, flags);
	WRITE_ONCE(si->armed_pid, get_pid(pid));
	list_add_tail_rcu(&si->armed_node, &speaker_armed);
	spin_unlock_irqrestore(&speaker_ns_lock, flags);
	speaker_phase_set(si, SPEAKER_ARMED, NULL);
}

static int speaker_target_locked(struct speaker_item *si, struct pid *pid,
				 pid_t nr)
{
	struct pid_namespace *mine = task_active_pid_ns(current);
	struct pid_namespace *ns = ns_of_pid(pid);
	int ret;

	if (!pid_has_task(pid, PIDTYPE_PID))
		return -ESRCH;

	ret = speaker_probes_get();
	if (ret)
		return ret;

	/* The writer's own namespace and its ancestors are never filtered. */
	if (pid_nr_ns(pid, ns) == 1 && ns != mine &&
	    speaker_is_ancestor(mine, ns)) {
		ret = speaker_attach_ns(si, pid, nr);
	} else {
		speaker_arm(si, pid);
	}

	if (ret)
		speaker_probes_put();
	return ret;
}

/*
 * Would attaching @pid's namespace clash with another item's? Checked
 * before the old target is let go, so a refused write changes nothing.
 */
static bool speaker_target_busy(struct speaker_item *si, struct pid *pid)
{
	struct pid_namespace *ns = ns_of_pid(pid);
	struct speaker_item *owner;
	unsigned long flags;
	bool busy = false;

	lockdep_assert_held(&speaker_mutex);
	if (pid_nr_ns(pid, ns) != 1)
		return false;	/* arming clashes with nothing */

	rcu_read_lock();
	spin_lock_irqsave(&speaker_ns_lock, flags);
	owner = speaker_lookup(ns);
	if (owner ? owner != si || si->ns != ns : speaker_covers_attached(ns))
		busy = true;
	spin_unlock_irqrestore(&speaker_ns_lock, flags);
	rcu_read_unlock();
	return busy;
}

/**
 * speaker_target_set() - attach, arm or detach an item
 * @si: the item
 * @nr: PID in the writer's namespace, or 0 to detach
 *
 * The init of a PID namespace below the writer's is attached at once;
 * any other process arms the item. Whatever the item watched before is
 * released first.
 *
 * Context: process context; takes speaker_mutex.
 * Return: 0, -ESRCH for a PID without a task, -EBUSY when the namespace
 * overlaps one that another item watches, or an error from registering
 * the probes.
 */
int speaker_target_set(struct speaker_item *si, pid_t nr)
{
	struct pid *pid = NULL;
	int ret = 0;

	if (nr) {
		pid = find_get_pid(nr);
		if (!pid)
			return -ESRCH;
	}

	cancel_delayed_work_sync(&si->release_work);
	mutex_lock(&speaker_mutex);
	if (pid && speaker_target_busy(si, pid)) {
		ret = -EBUSY;
		pr_info_ratelimited("%s: PID %d: namespace overlaps one attached already\n",
				    speaker_name(si), nr);
		goto out;
	}
	speaker_detach_locked(si, SPEAKER_IDLE);
	if (pid)
		ret = speaker_target_locked(si, pid, nr);
out:
	mutex_unlock(&speaker_mutex);

	put_pid(pid);
	return ret;
}
