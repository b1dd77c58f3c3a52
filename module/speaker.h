/* SPDX-License-Identifier: GPL-2.0 */
/*
 * speaker: per-phase system call filtering for containers.
 *
 * Declarations shared by the module's files. Each file owns one
 * responsibility: configfs.c the user interface, filter.c the classic BPF
 * checker and evaluator, phase.c the phase machine, attach.c the map from
 * PID namespaces to items, enforce.c the per-call decision, tracepoints.c
 * the glue to the kernel's tracepoints; compat.h holds what differs
 * between the kernels speaker builds for.
 */
#ifndef _SPEAKER_H
#define _SPEAKER_H

#include <linux/atomic.h>
#include <linux/audit.h>
#include <linux/configfs.h>
#include <linux/filter.h>
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <asm/syscall.h>

#define SPEAKER_VERSION		"0.1.0"

enum speaker_phase {
	SPEAKER_IDLE,
	SPEAKER_ARMED,
	SPEAKER_BOOTING,
	SPEAKER_RUNNING,
	SPEAKER_SHUTDOWN,
	SPEAKER_EXITED,
	SPEAKER_NR_PHASE_STATES,
};

/* The three phases that carry a filter, indexed from SPEAKER_BOOTING. */
#define SPEAKER_NR_FILTERS	3

static inline bool speaker_phase_filtered(int phase)
{
	return phase >= SPEAKER_BOOTING && phase <= SPEAKER_SHUTDOWN;
}

static inline int speaker_filter_slot(int phase)
{
	return phase - SPEAKER_BOOTING;
}

enum speaker_mode {
	SPEAKER_ENFORCE,
	SPEAKER_COMPLAIN,
	SPEAKER_TRACE,
};

/*
 * A call is identified by an arch slot and a number below SPEAKER_NR_MAX.
 * x32 calls are x86_64 calls with __X32_SYSCALL_BIT set in nr; their slot
 * keeps the number without that bit.
 */
enum speaker_arch {
	SPEAKER_ARCH_X86_64,
	SPEAKER_ARCH_X32,
	SPEAKER_ARCH_I386,
	SPEAKER_NR_ARCHES,
};

#define SPEAKER_NR_MAX		1024
#define SPEAKER_X32_BIT		0x40000000U

/**
 * speaker_call_slot() - map seccomp's (arch, nr) to a table position
 * @arch: AUDIT_ARCH_* value as in struct seccomp_data
 * @nr: system call number as in struct seccomp_data
 * @slot: set to the arch slot
 * @idx: set to the number within the slot
 *
 * Return: true if the call fits the per-arch tables, false otherwise
 * (such calls are never tabled or recorded, only evaluated).
 */
static inline bool speaker_call_slot(u32 arch, int nr, int *slot,
				     unsigned int *idx)
{
	u32 n = nr;

	if (arch == AUDIT_ARCH_I386) {
		*slot = SPEAKER_ARCH_I386;
	} else if (n & SPEAKER_X32_BIT) {
		*slot = SPEAKER_ARCH_X32;
		n &= ~SPEAKER_X32_BIT;
	} else {
		*slot = SPEAKER_ARCH_X86_64;
	}
	*idx = n;
	return n < SPEAKER_NR_MAX;
}

#define SPEAKER_BITMAP(n)	DECLARE_BITMAP(n, SPEAKER_NR_MAX)

/*
 * Distinct return values a filter's verdict table can tell apart; entry 0
 * of the list means "run the program" (four bits per call).
 */
#define SPEAKER_MAX_VERDICTS	16

/**
 * struct speaker_filter - a validated classic BPF program of one phase
 * @rcu: frees the filter after readers are done
 * @len: number of instructions
 * @nverdicts: entries used in @verdicts
 * @verdicts: distinct return values found by the analysis; entry 0 unused
 * @allow: per arch slot, the calls the program allows whatever their
 *	arguments and instruction pointer: the probe's one bit test
 * @table: per arch slot, four bits per call: an index into @verdicts for
 *	a call whose verdict its number and arch decide, or 0 when the
 *	program must run (speaker_filter_verdict())
 * @insns: the program exactly as written by the user, allocated apart so
 *	that the rest stays one 2 KiB object whatever the program's length
 *
 * Immutable once published; replaced as a whole under RCU.
 */
struct speaker_filter {
	struct rcu_head rcu;
	unsigned int len;
	unsigned int nverdicts;
	u32 verdicts[SPEAKER_MAX_VERDICTS];
	DECLARE_BITMAP(allow[SPEAKER_NR_ARCHES], SPEAKER_NR_MAX);
	u8 table[SPEAKER_NR_ARCHES][SPEAKER_NR_MAX / 2];
	struct sock_filter *insns;
};

/**
 * speaker_filter_verdict() - the tabled verdict of a call
 * @f: the filter
 * @slot: the call's arch slot
 * @idx: the call's number within the slot
 *
 * Return: an index into @f->verdicts, or 0 when the program must run.
 */
static inline unsigned int speaker_filter_verdict(const struct speaker_filter *f,
						  int slot, unsigned int idx)
{
	u8 pair = f->table[slot][idx / 2];

	return idx & 1 ? pair >> 4 : pair & 0xf;
}

struct speaker_filter *speaker_filter_create(const void *buf, size_t size,
					     char *why, size_t why_len);
void speaker_filter_free(struct speaker_filter *f);
void speaker_filter_free_rcu(struct speaker_filter *f);
u32 speaker_filter_run(const struct speaker_filter *f,
		       const struct seccomp_data *sd);

/* Entries kept of the most recent violations. */
#define SPEAKER_NR_RECENT	16
/* Entries kept of the transition history. */
#define SPEAKER_NR_TRANSITIONS	8

struct speaker_violation {
	u64 seq;
	pid_t pid;
	char comm[TASK_COMM_LEN];
	int phase;
	u32 arch;
	int nr;
	u32 ret;
	bool complain;
};

struct speaker_transition {
	int phase;
	u64 since_attach_ns;
	pid_t pid;
	char comm[TASK_COMM_LEN];
};

/**
 * struct speaker_item - one configfs item: a container and its filters
 * @item: the configfs item; its reference count owns the structure
 * @lock: serializes configuration writes (filters, mode, service, settle,
 *	stop signals, status); probes read these fields with READ_ONCE or
 *	rcu_dereference and never take it
 * @filters: per-phase program, published with rcu_assign_pointer()
 * @status: per-phase result of the last program write, under @lock
 * @pinned: configfs refuses rmdir while set (attached or armed); set
 *	under @lock, cleared with xchg() by whoever detaches
 * @mode: enum speaker_mode
 * @service: comm of the main service process, empty for "first exec";
 *	written under @lock and @state_lock, so either protects reads
 * @settle_ms: quiet period that ends booting
 * @stop_signals: bit (sig - 1) set for each signal that starts shutdown
 * @hnode: in the namespace table while attached (attach.c)
 * @armed_node: in the armed list while armed (attach.c)
 * @ns: attached PID namespace, reference held; under speaker_ns_lock
 * @armed_pid: armed process, reference held; under speaker_ns_lock
 * @init_pid: init of @ns, reference held; under speaker_ns_lock
 * @release_pending: set by the exit probe (init or armed process gone),
 *	consumed by @release_work
 * @release_work: detaches once the namespace of an exited init is empty
 * @state_lock: protects the phase machine below; taken from probes, timers
 *	and process context, always with interrupts disabled
 * @phase: enum speaker_phase; written under @state_lock, read locklessly
 * @attach_time: ktime of the attach, in ns
 * @service_execd: the service (or first process) has exec'd
 * @service_tgid: its thread group ID in @ns
 * @service_pid: its thread group ID as the host sees it, for the log
 * @service_comm: its comm
 * @last_new: jiffies of the most recent first-time call while booting
 * @settle_timer: fires when booting may have settled
 * @transitions: history of phase changes, @ntransitions entries written
 * @seen: calls used since attach, for the settle detector; atomic bitops
 * @recorded: calls used per phase in trace mode; atomic bitops
 * @denied: exact count of non-allowed calls per phase
 * @vlock: protects @recent and @vseq
 * @recent: ring of the most recent violations
 * @vseq: number of violations ever put in @recent
 * @rs: rate limit of this item's log lines
 * @rcu: defers the final free past probes that may still hold the item
 */
struct speaker_item {
	/* What the sys_enter probe reads on every call, together. */
	struct hlist_node hnode;
	struct pid_namespace *ns;
	int phase;
	int mode;
	struct speaker_filter __rcu *filters[SPEAKER_NR_FILTERS];

	struct config_item item;

	struct mutex lock;		/* see above: configuration */
	char status[SPEAKER_NR_FILTERS][80];
	int pinned;
	char service[TASK_COMM_LEN];
	unsigned int settle_ms;
	u64 stop_signals;

	struct list_head armed_node;
	struct pid *armed_pid;
	struct pid *init_pid;
	bool release_pending;
	struct delayed_work release_work;

	spinlock_t state_lock;		/* see above: phase machine */
	u64 attach_time;
	bool service_execd;
	pid_t service_tgid;
	pid_t service_pid;
	char service_comm[TASK_COMM_LEN];
	unsigned long last_new;
	struct timer_list settle_timer;
	struct speaker_transition transitions[SPEAKER_NR_TRANSITIONS];
	unsigned int ntransitions;

	SPEAKER_BITMAP(seen[SPEAKER_NR_ARCHES]);
	SPEAKER_BITMAP(recorded[SPEAKER_NR_FILTERS][SPEAKER_NR_ARCHES]);

	atomic64_t denied[SPEAKER_NR_FILTERS];
	spinlock_t vlock;		/* see above: @recent, @vseq */
	struct speaker_violation recent[SPEAKER_NR_RECENT];
	u64 vseq;
	struct ratelimit_state rs;

	struct rcu_head rcu;
};

static inline struct speaker_item *to_speaker_item(struct config_item *item)
{
	return container_of(item, struct speaker_item, item);
}

static inline const char *speaker_name(struct speaker_item *si)
{
	return config_item_name(&si->item);
}

/* configfs.c */
int speaker_configfs_init(void);
void speaker_item_unpin(struct speaker_item *si);
void speaker_configfs_exit(void);

/* attach.c */
#define SPEAKER_NS_HASH_BITS	12
extern struct hlist_head speaker_ns_table[1 << SPEAKER_NS_HASH_BITS];

/**
 * speaker_lookup_one() - find the item attached to exactly @ns
 * @ns: a PID namespace
 *
 * Inline because the sys_enter probe asks it on every call of a watched
 * task; speaker_lookup() also covers the namespaces below an attached one.
 *
 * Context: RCU read side (probes qualify: preemption is disabled).
 * Return: the item, or NULL.
 */
static inline struct speaker_item *speaker_lookup_one(struct pid_namespace *ns)
{
	struct speaker_item *si;

	hlist_for_each_entry_rcu(si, &speaker_ns_table[hash_ptr(ns, SPEAKER_NS_HASH_BITS)],
				 hnode)
		if (si->ns == ns)
			return si;
	return NULL;
}

struct speaker_item *speaker_lookup(struct pid_namespace *ns);
int speaker_target_set(struct speaker_item *si, pid_t nr);
void speaker_detach(struct speaker_item *si);
pid_t speaker_target_pid(struct speaker_item *si);
void speaker_exited(struct speaker_item *si, struct pid_namespace *ns,
		    struct task_struct *p);
void speaker_armed_exit(struct task_struct *p);
void speaker_release_work(struct work_struct *work);
void speaker_fork(struct task_struct *parent, struct task_struct *child);

/* phase.c */
extern const char *const speaker_phase_names[SPEAKER_NR_PHASE_STATES];
void speaker_phase_init(struct speaker_item *si);
void speaker_phase_attached(struct speaker_item *si, pid_t service,
			    struct task_struct *init);
void speaker_phase_set(struct speaker_item *si, int phase,
		       struct task_struct *why);
bool speaker_phase_move(struct speaker_item *si, unsigned int from, int to,
			struct task_struct *why);

#define SPEAKER_FILTERED_PHASES \
	(BIT(SPEAKER_BOOTING) | BIT(SPEAKER_RUNNING) | BIT(SPEAKER_SHUTDOWN))
void speaker_phase_new_call(struct speaker_item *si);
void speaker_phase_exec(struct speaker_item *si, struct task_struct *p);
void speaker_phase_signal(struct speaker_item *si, int sig,
			  struct task_struct *target);
bool speaker_phase_exit(struct speaker_item *si, struct task_struct *p);
ssize_t speaker_transitions_show(struct speaker_item *si, char *page);
ssize_t speaker_detector_show(struct speaker_item *si, char *page);

/* enforce.c */

/**
 * speaker_allowed_fast() - the common case of a watched task's call
 * @si: the item watching current
 * @id: the system call number
 *
 * True when the program of the running or shutdown phase allows this
 * native call whatever its arguments: nothing else is to be done, and the
 * probe returns without a call out of line. Every other case (booting's
 * new-call detection, trace mode, i386 and x32 calls, calls whose verdict
 * depends on arguments, every call not allowed) is speaker_syscall()'s.
 *
 * Context: sys_enter probe, preemption disabled.
 * Return: true if the call is allowed.
 */
static __always_inline bool speaker_allowed_fast(const struct speaker_item *si,
						 long id)
{
	const struct speaker_filter *f;
	unsigned int phase = READ_ONCE(si->phase);

	if (phase - SPEAKER_RUNNING > SPEAKER_SHUTDOWN - SPEAKER_RUNNING)
		return false;
	if (READ_ONCE(si->mode) == SPEAKER_TRACE ||
	    (unsigned long)id >= SPEAKER_NR_MAX ||
	    syscall_get_arch(current) != AUDIT_ARCH_X86_64)
		return false;
	/* unsigned long: the index folds into the load's displacement. */
	f = rcu_dereference_sched(si->filters[(unsigned long)phase -
					      SPEAKER_BOOTING]);
	return f && test_bit(id, f->allow[SPEAKER_ARCH_X86_64]);
}

void speaker_syscall(struct speaker_item *si, struct pt_regs *regs, long id);
ssize_t speaker_violations_show(struct speaker_item *si, char *page);
size_t speaker_recorded_format(struct speaker_item *si, char *buf, size_t size);
const char *speaker_action_name(u32 ret);

/* tracepoints.c */
int speaker_tracepoints_init(void);
int speaker_probes_get(void);
void speaker_probes_put(void);
void speaker_tp_mark_ns(struct pid_namespace *ns);

/* syscall_names.c */
const char *speaker_syscall_name(int slot, unsigned int idx);
extern const char *const speaker_arch_names[SPEAKER_NR_ARCHES];

#endif /* _SPEAKER_H */
