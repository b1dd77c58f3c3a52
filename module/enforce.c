// SPDX-License-Identifier: GPL-2.0
/*
 * The decision on one system call of a watched task, and its effect.
 *
 * Runs in the sys_enter probe: preemption is disabled, so nothing here
 * sleeps, allocates or touches user memory; the call's arguments come from
 * pt_regs. The probe runs after ptrace and seccomp have seen the call, so
 * a number rewritten by a tracer is the number judged here.
 *
 * The verdict means what it means to seccomp. Where a module cannot do
 * what seccomp does, speaker errs towards denying:
 * - KILL_THREAD kills the whole process: a module can only send signals,
 *   and a signal that kills cannot target one thread.
 * - KILL_PROCESS and KILL_THREAD send SIGSYS with the handler reset to the
 *   default, as seccomp's kill does; a ptraced task gets SIGKILL, which its
 *   tracer cannot suppress.
 * - TRACE and USER_NOTIF fail the call as an unknown call, as seccomp does when
 *   no tracer or listener is there: speaker never has one.
 * - An unknown action kills, as in seccomp.
 * - TRAP kills when its SIGSYS has no handler or was lost by the time
 *   speaker checks its queue, because another thread ignored it meanwhile;
 *   seccomp would lose the signal.
 * In every denying case the call itself is skipped before it runs.
 */

#define pr_fmt(fmt) "speaker: " fmt

#include <linux/audit.h>
#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/sched/signal.h>
#include <asm/syscall.h>

#include "speaker.h"

const char *const speaker_arch_names[SPEAKER_NR_ARCHES] = {
	[SPEAKER_ARCH_X86_64] = "x86_64",
	[SPEAKER_ARCH_X32] = "x32",
	[SPEAKER_ARCH_I386] = "i386",
};

/* Out of line: its seccomp_data would otherwise widen every caller's frame. */
static noinline u32 speaker_eval(const struct speaker_filter *f,
				 struct pt_regs *regs, int nr, u32 arch)
{
	unsigned long args[6];
	struct seccomp_data sd;
	int i;

	sd.nr = nr;
	sd.arch = arch;
	sd.instruction_pointer = instruction_pointer(regs);
	syscall_get_arguments(current, regs, args);
	for (i = 0; i < ARRAY_SIZE(args); i++)
		sd.args[i] = args[i];
	return speaker_filter_run(f, &sd);
}

/* The call does not run; the task sees @ret as its result. */
static void speaker_skip(struct pt_regs *regs, long ret)
{
	regs->orig_ax = -1;
	regs->ax = ret;
}

/*
 * The call does not run and returns what the entry code preset in ax,
 * the "no such system call" error, as seccomp's skip does.
 */
static void speaker_skip_nosys(struct pt_regs *regs)
{
	regs->orig_ax = -1;
}

/*
 * Will SIGSYS reach a handler? Like seccomp's forced SIGSYS, a task that
 * blocks or ignores it gets the default action instead of escaping the
 * signal; the default kills. Decided under one hold of siglock.
 */
static bool speaker_sigsys_handled(void)
{
	struct k_sigaction *ka = &current->sighand->action[SIGSYS - 1];
	bool handled;

	spin_lock_irq(&current->sighand->siglock);
	if (sigismember(&current->blocked, SIGSYS) ||
	    ka->sa.sa_handler == SIG_IGN) {
		ka->sa.sa_handler = SIG_DFL;
		sigdelset(&current->blocked, SIGSYS);
		recalc_sigpending();
	}
	handled = ka->sa.sa_handler != SIG_DFL;
	spin_unlock_irq(&current->sighand->siglock);
	return handled;
}

/*
 * seccomp's kill, done as the kernel does a fatal forced signal: under
 * one hold of siglock, SIGSYS gets its default action, made immutable
 * (SA_IMMUTABLE: no thread's sigaction() can install a handler before the
 * delivery, and a tracer that attaches meanwhile cannot intercept it), is
 * unblocked, and the process loses SIGNAL_UNKILLABLE, so a namespace's
 * init dies too. A task already traced gets SIGKILL instead.
 */
static void speaker_kill(struct pt_regs *regs)
{
	struct k_sigaction *ka = &current->sighand->action[SIGSYS - 1];

	speaker_skip_nosys(regs);
	if (current->ptrace) {
		force_sig(SIGKILL);
		return;
	}
	spin_lock_irq(&current->sighand->siglock);
	ka->sa.sa_handler = SIG_DFL;
	ka->sa.sa_flags |= SA_IMMUTABLE;
	sigdelset(&current->blocked, SIGSYS);
	recalc_sigpending();
	current->signal->flags &= ~SIGNAL_UNKILLABLE;
	spin_unlock_irq(&current->sighand->siglock);
	force_sig(SIGSYS);
}

static void speaker_trap(struct pt_regs *regs, u32 arch, int nr, u32 data)
{
	kernel_siginfo_t info;
	bool queued;

	clear_siginfo(&info);
	info.si_signo = SIGSYS;
	info.si_code = SYS_SECCOMP;
	info.si_call_addr = (void __user *)instruction_pointer(regs);
	info.si_errno = data;
	info.si_arch = arch;
	info.si_syscall = nr;

	/* As seccomp's rollback: a handler that returns sees nr in ax. */
	regs->ax = regs->orig_ax;
	regs->orig_ax = -1;
	/*
	 * Without a handler the default action kills, as seccomp's forced
	 * signal does; a namespace's init would ignore a plain one, and a
	 * handler installed meanwhile must not run with our siginfo lost.
	 */
	if (!speaker_sigsys_handled()) {
		speaker_kill(regs);
		return;
	}
	send_sig_info(SIGSYS, &info, current);
	/*
	 * This task cannot have taken SIGSYS yet. It is missing when another
	 * thread changed its action since the check: SIG_IGN drops it at the
	 * send or flushes it after, the default is dropped at an init's
	 * send. The handler will not run either way: kill.
	 */
	spin_lock_irq(&current->sighand->siglock);
	queued = sigismember(&current->pending.signal, SIGSYS);
	spin_unlock_irq(&current->sighand->siglock);
	if (!queued)
		speaker_kill(regs);
}

static void speaker_act(struct pt_regs *regs, u32 arch, int nr, u32 ret)
{
	u32 data = ret & SECCOMP_RET_DATA;

	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ERRNO:
		speaker_skip(regs, -(long)min_t(u32, data, MAX_ERRNO));
		break;
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_USER_NOTIF:
		speaker_skip_nosys(regs);
		break;
	case SECCOMP_RET_TRAP:
		speaker_trap(regs, arch, nr, data);
		break;
	default:
		speaker_kill(regs);
	}
}

/**
 * speaker_action_name() - name a filter's return value for people
 * @ret: SECCOMP_RET_* value
 *
 * Return: a static string.
 */
const char *speaker_action_name(u32 ret)
{
	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
		return "allow";
	case SECCOMP_RET_LOG:
		return "log";
	case SECCOMP_RET_ERRNO:
		return "errno";
	case SECCOMP_RET_TRACE:
		return "trace";
	case SECCOMP_RET_USER_NOTIF:
		return "user_notif";
	case SECCOMP_RET_TRAP:
		return "trap";
	case SECCOMP_RET_KILL_THREAD:
		return "kill_thread";
	}
	return "kill";
}

static void speaker_call_name(u32 arch, int nr, char *buf, size_t len)
{
	const char *name = NULL;
	unsigned int idx;
	int slot;

	if (speaker_call_slot(arch, nr, &slot, &idx))
		name = speaker_syscall_name(slot, idx);
	if (name)
		strscpy(buf, name, len);
	else
		snprintf(buf, len, "syscall_%d", nr);
}

static const char *speaker_arch_name(u32 arch, int nr)
{
	unsigned int idx;
	int slot;

	speaker_call_slot(arch, nr, &slot, &idx);
	return speaker_arch_names[slot];
}

/*
 * An AUDIT_SECCOMP record with seccomp's fields, for ausearch -m SECCOMP
 * and the pipelines built on it, plus the item and the phase. Like
 * seccomp's, it is written whether or not auditd enabled auditing (with
 * no auditd, kauditd prints it to the kernel log); audit=0 and exclude
 * rules drop it in audit_log_start(). audit_log_task_info() is the
 * exported helper that logs the task as seccomp's own record does (pid,
 * ids, comm, exe, LSM context), with a few more ids; nothing in it
 * sleeps, and the buffer is atomic.
 */
static void speaker_audit(struct speaker_item *si, int phase, u32 arch,
			  int nr, u32 ret)
{
	u32 action = ret & SECCOMP_RET_ACTION_FULL;
	struct audit_buffer *ab;
	int sig;

	ab = audit_log_start(audit_context(), GFP_ATOMIC, AUDIT_SECCOMP);
	if (!ab)
		return;
	/* As seccomp: SIGSYS for the kills (unknown actions kill), else 0. */
	switch (action) {
	case SECCOMP_RET_LOG:
	case SECCOMP_RET_ERRNO:
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_USER_NOTIF:
	case SECCOMP_RET_TRAP:
		sig = 0;
		break;
	default:
		sig = SIGSYS;
	}
	audit_log_task_info(ab);
	/* code is the action without its data, as seccomp logs it */
	audit_log_format(ab,
			 " sig=%d arch=%x syscall=%d compat=%d ip=0x%lx code=0x%x speaker_item=%s speaker_phase=%s",
			 sig, arch, nr, in_compat_syscall(),
			 instruction_pointer(current_pt_regs()), action,
			 speaker_name(si), speaker_phase_names[phase]);
	audit_log_end(ab);
}

static void __cold speaker_violation(struct speaker_item *si, int phase,
				     u32 arch, int nr, u32 ret, bool complain)
{
	struct speaker_violation *v;
	unsigned long flags;
	char name[32];

	atomic64_inc(&si->denied[speaker_filter_slot(phase)]);

	spin_lock_irqsave(&si->vlock, flags);
	v = &si->recent[si->vseq % SPEAKER_NR_RECENT];
	v->seq = si->vseq++;
	v->pid = task_tgid_nr(current);
	memcpy(v->comm, current->comm, sizeof(v->comm));
	v->phase = phase;
	v->arch = arch;
	v->nr = nr;
	v->ret = ret;
	v->complain = complain;
	spin_unlock_irqrestore(&si->vlock, flags);

	/* Counts are exact; the log and audit records are rate limited. */
	if (!__ratelimit(&si->rs))
		return;
	speaker_audit(si, phase, arch, nr, ret);
	speaker_call_name(arch, nr, name, sizeof(name));
	pr_info("%s: %s: %s %s (%d, %s) pid %d comm %s action %s\n",
		speaker_name(si), speaker_phase_names[phase],
		complain ? "would deny" :
		(ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_LOG ?
		"logged" : "denied", name, nr, speaker_arch_name(arch, nr),
		task_tgid_nr(current), current->comm, speaker_action_name(ret));
}

/* Set a bit, touching the cache line for writing only the first time. */
static bool speaker_first_use(unsigned long *map, unsigned int idx)
{
	return !test_bit(idx, map) && !test_and_set_bit(idx, map);
}

/**
 * speaker_syscall() - judge a system call of a watched task
 * @si: the item watching current
 * @regs: current's registers at system call entry
 * @id: the system call number
 *
 * Decides every call that speaker_allowed_fast() leaves, and may be
 * asked about any call: it does not rely on that check having run.
 *
 * Context: sys_enter probe, preemption disabled.
 */
void speaker_syscall(struct speaker_item *si, struct pt_regs *regs, long id)
{
	const struct speaker_filter *f;
	int phase = READ_ONCE(si->phase);
	u32 arch = syscall_get_arch(current);
	unsigned int idx, v;
	int slot, fslot, mode;
	bool tabled;
	u32 ret;

	/* Tasks dying with their init stay under the shutdown filter. */
	if (phase == SPEAKER_EXITED)
		phase = SPEAKER_SHUTDOWN;
	else if (!speaker_phase_filtered(phase))
		return;
	fslot = speaker_filter_slot(phase);
	tabled = speaker_call_slot(arch, id, &slot, &idx);

	if (tabled && phase == SPEAKER_BOOTING &&
	    speaker_first_use(si->seen[slot], idx))
		speaker_phase_new_call(si);

	mode = READ_ONCE(si->mode);
	if (mode == SPEAKER_TRACE) {
		if (tabled)
			speaker_first_use(si->recorded[fslot][slot], idx);
		return;
	}

	f = rcu_dereference_sched(si->filters[fslot]);
	if (unlikely(!f)) {
		/* Attach refuses a phase without a program: never fail open. */
		pr_warn_once("%s: no %s program, killing\n", speaker_name(si),
			     speaker_phase_names[phase]);
		ret = SECCOMP_RET_KILL_PROCESS;
	} else {
		v = tabled ? speaker_filter_verdict(f, slot, idx) : 0;
		ret = v ? f->verdicts[v] : speaker_eval(f, regs, id, arch);
	}

	if ((ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW)
		return;
	speaker_violation(si, phase, arch, id, ret, mode == SPEAKER_COMPLAIN);
	if (mode == SPEAKER_COMPLAIN ||
	    (ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_LOG)
		return;
	speaker_act(regs, arch, id, ret);
}

/**
 * speaker_violations_show() - format the violation counters and log
 * @si: the item
 * @page: a configfs page
 *
 * First one line per phase with the exact count of non-allowed calls, then
 * the most recent violations, oldest first.
 *
 * Return: bytes written.
 */
ssize_t speaker_violations_show(struct speaker_item *si, char *page)
{
	struct speaker_violation *recent;
	unsigned long flags;
	unsigned int i, n;
	ssize_t len = 0;
	char name[32];
	u64 seq;

	for (i = 0; i < SPEAKER_NR_FILTERS; i++)
		len += sysfs_emit_at(page, len, "%s %lld\n",
				     speaker_phase_names[SPEAKER_BOOTING + i],
				     (long long)atomic64_read(&si->denied[i]));

	recent = kmalloc_array(SPEAKER_NR_RECENT, sizeof(*recent), GFP_KERNEL);
	if (!recent)
		return len;
	spin_lock_irqsave(&si->vlock, flags);
	memcpy(recent, si->recent, sizeof(si->recent));
	seq = si->vseq;
	spin_unlock_irqrestore(&si->vlock, flags);

	n = min_t(u64, seq, SPEAKER_NR_RECENT);
	for (i = 0; i < n; i++) {
		struct speaker_violation *v =
			&recent[(seq - n + i) % SPEAKER_NR_RECENT];

		speaker_call_name(v->arch, v->nr, name, sizeof(name));
		len += sysfs_emit_at(page, len,
				     "pid %d comm %s phase %s syscall %s nr %d arch %s action %s%s\n",
				     v->pid, v->comm,
				     speaker_phase_names[v->phase], name, v->nr,
				     speaker_arch_name(v->arch, v->nr),
				     speaker_action_name(v->ret),
				     v->complain ? " complain" : "");
	}
	kfree(recent);
	return len;
}

/* Append to @buf like snprintf, but only count once @buf is full. */
static __printf(4, 5) size_t speaker_emit(char *buf, size_t size, size_t len,
					  const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = vsnprintf(buf && len < size ? buf + len : NULL,
		      buf && len < size ? size - len : 0, fmt, args);
	va_end(args);
	return len + n;
}

/**
 * speaker_recorded_format() - format the calls recorded in trace mode
 * @si: the item
 * @buf: where to write, or NULL to learn the length
 * @size: size of @buf
 *
 * One line per phase and arch that has calls: "<phase> <arch> <nr>...",
 * numbers ascending and as struct seccomp_data carries them (x32 calls
 * with the x32 bit set).
 *
 * Return: the length of the whole text, even when @buf is too small.
 */
size_t speaker_recorded_format(struct speaker_item *si, char *buf, size_t size)
{
	unsigned int phase, slot, idx;
	size_t len = 0;

	for (phase = 0; phase < SPEAKER_NR_FILTERS; phase++) {
		for (slot = 0; slot < SPEAKER_NR_ARCHES; slot++) {
			const unsigned long *map = si->recorded[phase][slot];
			u32 bit = slot == SPEAKER_ARCH_X32 ? SPEAKER_X32_BIT : 0;

			if (bitmap_empty(map, SPEAKER_NR_MAX))
				continue;
			len = speaker_emit(buf, size, len, "%s %s",
					   speaker_phase_names[SPEAKER_BOOTING + phase],
					   speaker_arch_names[slot]);
			for_each_set_bit(idx, map, SPEAKER_NR_MAX)
				len = speaker_emit(buf, size, len, " %u",
						   idx | bit);
			len = speaker_emit(buf, size, len, "\n");
		}
	}
	return len;
}
