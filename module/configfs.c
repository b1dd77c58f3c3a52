// SPDX-License-Identifier: GPL-2.0
/*
 * DOC: configfs interface
 *
 * Each directory made under /sys/kernel/config/speaker/ is one item: a
 * container and the filters of its three phases. Every attribute is
 * root-only, and every write needs CAP_SYS_ADMIN in the initial user
 * namespace. A refused write returns an errno and changes nothing.
 *
 * booting, running, shutdown (binary, rw)
 *	The phase's filter: an array of struct sock_filter as
 *	seccomp_export_bpf() writes it, at most BPF_MAXINSNS instructions.
 *	configfs hands the data over at close() and drops the result, so a
 *	refusal shows in ``status`` and in the program read back. A write
 *	past the maximum fails with EFBIG, and configfs then hands over an
 *	empty program, which is refused.
 * unload (wo)
 *	writing a phase name removes that phase's program, except while the
 *	item enforces or complains (EBUSY).
 * status (ro)
 *	One line per phase: "<phase> <insns> ok|none|refused: <reason>",
 *	<insns> being the instructions in force.
 * target (rw)
 *	A PID as the writer sees it: the init of a PID namespace below the
 *	writer's attaches now; any other process arms the item for the first
 *	new PID namespace that it or a descendant creates. 0 detaches. While
 *	attached or armed the item cannot be removed (rmdir fails with EBUSY).
 *	Reads show the init of the attached namespace, else the armed
 *	process, else 0.
 * mode (rw)
 *	enforce, complain or trace.
 * phase (rw)
 *	idle, armed, booting, running, shutdown or exited; writing running
 *	or shutdown forces that phase.
 * service (rw)
 *	comm of the service process whose exec starts the settle period;
 *	empty for the first exec in the namespace.
 * settle_ms (rw)
 *	quiet period, in milliseconds, that ends booting.
 * stop_signals (rw)
 *	signal numbers that start shutdown, separated by spaces.
 * violations (ro)
 *	exact per-phase counts of non-allowed calls, then the most recent.
 * transitions (ro), detector (ro)
 *	the phase history, and what the detector waits for.
 * recorded (binary, rw)
 *	calls used per phase in trace mode: "<phase> <arch> <nr>..." lines;
 *	writing "clear" empties it.
 */

#define pr_fmt(fmt) "speaker: " fmt

#include <linux/capability.h>
#include <linux/configfs.h>
#include <linux/ctype.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "speaker.h"

#define SPEAKER_NAME_MAX	63
#define SPEAKER_SETTLE_MAX	3600000

/*
 * Read at mkdir; each item has its own settle_ms after that. 10 s: mariadb
 * under QEMU TCG went quiet for more than 5 s in the middle of its boot.
 * Set at load only: sysfs would let root without CAP_SYS_ADMIN write it.
 */
static unsigned int default_settle_ms = 10000;
module_param(default_settle_ms, uint, 0444);
MODULE_PARM_DESC(default_settle_ms,
		 "quiet time (ms) that ends booting, for new items (default 10000)");

static const char *const speaker_mode_names[] = {
	[SPEAKER_ENFORCE] = "enforce",
	[SPEAKER_COMPLAIN] = "complain",
	[SPEAKER_TRACE] = "trace",
};

static int speaker_may_write(void)
{
	return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
}

static struct speaker_filter *speaker_filter_of(struct speaker_item *si,
						int slot)
{
	return rcu_dereference_protected(si->filters[slot],
					 lockdep_is_held(&si->lock));
}

/* The first phase without a program, or -1 when all have one. */
static int speaker_missing_filter(struct speaker_item *si)
{
	int slot;

	lockdep_assert_held(&si->lock);
	for (slot = 0; slot < SPEAKER_NR_FILTERS; slot++)
		if (!speaker_filter_of(si, slot))
			return slot;
	return -1;
}

/* Enforcing modes need all three programs: never attach fail-open. */
static int speaker_check_filters(struct speaker_item *si, int mode)
{
	int slot;

	if (mode == SPEAKER_TRACE)
		return 0;
	slot = speaker_missing_filter(si);
	if (slot < 0)
		return 0;
	pr_info_ratelimited("%s: no %s program, refusing to %s\n",
			    speaker_name(si),
			    speaker_phase_names[SPEAKER_BOOTING + slot],
			    speaker_mode_names[mode]);
	return -EINVAL;
}

static bool speaker_in_use(struct speaker_item *si)
{
	int phase = READ_ONCE(si->phase);

	return phase == SPEAKER_ARMED || speaker_phase_filtered(phase);
}

static ssize_t speaker_program_read(struct speaker_item *si, int slot,
				    void *buf, size_t max)
{
	struct speaker_filter *f;
	ssize_t size = 0;

	mutex_lock(&si->lock);
	f = speaker_filter_of(si, slot);
	if (f) {
		size = f->len * sizeof(struct sock_filter);
		if (buf) {
			size = min_t(size_t, size, max);
			memcpy(buf, f->insns, size);
		}
	}
	mutex_unlock(&si->lock);
	return size;
}

/* Publish @f (NULL to remove) as the program of @slot; @si->lock held. */
static void speaker_program_swap(struct speaker_item *si, int slot,
				 struct speaker_filter *f)
{
	struct speaker_filter *old = speaker_filter_of(si, slot);

	rcu_assign_pointer(si->filters[slot], f);
	strscpy(si->status[slot], f ? "ok" : "none", sizeof(si->status[slot]));
	if (old)
		speaker_filter_free_rcu(old);
}

static ssize_t speaker_program_write(struct speaker_item *si, int slot,
				     const void *buf, size_t size)
{
	const char *phase = speaker_phase_names[SPEAKER_BOOTING + slot];
	struct speaker_filter *f;
	char why[64];
	int ret;

	ret = speaker_may_write();
	if (ret)
		return ret;

	/*
	 * configfs also hands over an empty buffer after a write past the
	 * maximum size failed, so size 0 is refused like any bad program.
	 */
	f = speaker_filter_create(buf, size, why, sizeof(why));

	mutex_lock(&si->lock);
	if (IS_ERR(f)) {
		ret = PTR_ERR(f);
		if (ret == -ENOMEM)
			strscpy(why, "out of memory", sizeof(why));
		snprintf(si->status[slot], sizeof(si->status[slot]),
			 "refused: %s", why);
		mutex_unlock(&si->lock);
		pr_info_ratelimited("%s: %s program refused: %s\n",
				    speaker_name(si), phase, why);
		return ret;
	}
	speaker_program_swap(si, slot, f);
	mutex_unlock(&si->lock);
	return size;
}

static ssize_t speaker_booting_read(struct config_item *item, void *buf,
				    size_t max)
{
	return speaker_program_read(to_speaker_item(item), 0, buf, max);
}

static ssize_t speaker_booting_write(struct config_item *item,
				     const void *buf, size_t size)
{
	return speaker_program_write(to_speaker_item(item), 0, buf, size);
}

static ssize_t speaker_running_read(struct config_item *item, void *buf,
				    size_t max)
{
	return speaker_program_read(to_speaker_item(item), 1, buf, max);
}

static ssize_t speaker_running_write(struct config_item *item,
				     const void *buf, size_t size)
{
	return speaker_program_write(to_speaker_item(item), 1, buf, size);
}

static ssize_t speaker_shutdown_read(struct config_item *item, void *buf,
				     size_t max)
{
	return speaker_program_read(to_speaker_item(item), 2, buf, max);
}

static ssize_t speaker_shutdown_write(struct config_item *item,
				      const void *buf, size_t size)
{
	return speaker_program_write(to_speaker_item(item), 2, buf, size);
}

static ssize_t speaker_recorded_read(struct config_item *item, void *buf,
				     size_t max)
{
	struct speaker_item *si = to_speaker_item(item);
	size_t len;
	char *text;

	if (!buf)
		return speaker_recorded_format(si, NULL, 0);

	/*
	 * configfs sized @buf to the text without a terminating NUL, which
	 * the formatting needs room for; the set may also have grown since.
	 */
	text = kvmalloc(max + 1, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	len = min(speaker_recorded_format(si, text, max + 1), max);
	memcpy(buf, text, len);
	kvfree(text);
	return len;
}

static ssize_t speaker_recorded_write(struct config_item *item,
				      const void *buf, size_t size)
{
	struct speaker_item *si = to_speaker_item(item);
	int ret = speaker_may_write();

	if (ret)
		return ret;
	if (size < 5 || size > 6 || memcmp(buf, "clear", 5) ||
	    (size == 6 && ((const char *)buf)[5] != '\n'))
		return -EINVAL;

	mutex_lock(&si->lock);
	memset(si->recorded, 0, sizeof(si->recorded));
	mutex_unlock(&si->lock);
	return size;
}

static ssize_t speaker_unload_store(struct config_item *item,
				    const char *page, size_t count)
{
	struct speaker_item *si = to_speaker_item(item);
	int ret, phase;

	ret = speaker_may_write();
	if (ret)
		return ret;
	phase = sysfs_match_string(speaker_phase_names, page);
	if (!speaker_phase_filtered(phase))
		return -EINVAL;

	mutex_lock(&si->lock);
	/* An enforcing item never loses a program: fail closed. */
	if (speaker_in_use(si) && si->mode != SPEAKER_TRACE)
		ret = -EBUSY;
	else
		speaker_program_swap(si, speaker_filter_slot(phase), NULL);
	mutex_unlock(&si->lock);
	return ret ? ret : count;
}

static ssize_t speaker_status_show(struct config_item *item, char *page)
{
	struct speaker_item *si = to_speaker_item(item);
	struct speaker_filter *f;
	ssize_t len = 0;
	int slot;

	mutex_lock(&si->lock);
	for (slot = 0; slot < SPEAKER_NR_FILTERS; slot++) {
		f = speaker_filter_of(si, slot);
		len += sysfs_emit_at(page, len, "%s %u %s\n",
				     speaker_phase_names[SPEAKER_BOOTING + slot],
				     f ? f->len : 0, si->status[slot]);
	}
	mutex_unlock(&si->lock);
	return len;
}

static struct configfs_subsystem speaker_subsys;

/*
 * An item that watches a container is pinned: rmdir would lift its filter
 * without the capability a write to target needs, so it fails with EBUSY
 * until the item is detached.
 */
static void speaker_pin_update(struct speaker_item *si)
{
	int ret;

	lockdep_assert_held(&si->lock);
	if (!speaker_in_use(si)) {
		speaker_item_unpin(si);
		return;
	}
	if (READ_ONCE(si->pinned))
		return;
	ret = configfs_depend_item_unlocked(&speaker_subsys, &si->item);
	if (ret)
		pr_warn_ratelimited("%s: cannot pin the item: %d\n",
				    speaker_name(si), ret);
	else
		WRITE_ONCE(si->pinned, 1);
}

/**
 * speaker_item_unpin() - let a detached item be removed again
 * @si: the item
 *
 * Called by the release work without the item's lock: a target write
 * holds that lock while it waits for the work to finish.
 *
 * Context: process context.
 */
void speaker_item_unpin(struct speaker_item *si)
{
	if (xchg(&si->pinned, 0))
		configfs_undepend_item(&si->item);
}

static ssize_t speaker_target_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n",
			  speaker_target_pid(to_speaker_item(item)));
}

static ssize_t speaker_target_store(struct config_item *item,
				    const char *page, size_t count)
{
	struct speaker_item *si = to_speaker_item(item);
	int ret, nr;

	ret = speaker_may_write();
	if (ret)
		return ret;
	ret = kstrtoint(page, 10, &nr);
	if (ret)
		return ret;
	if (nr < 0)
		return -EINVAL;

	mutex_lock(&si->lock);
	ret = nr ? speaker_check_filters(si, si->mode) : 0;
	if (!ret)
		ret = speaker_target_set(si, nr);
	speaker_pin_update(si);
	mutex_unlock(&si->lock);
	return ret ? ret : count;
}

static ssize_t speaker_mode_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%s\n",
			  speaker_mode_names[READ_ONCE(to_speaker_item(item)->mode)]);
}

static ssize_t speaker_mode_store(struct config_item *item, const char *page,
				  size_t count)
{
	struct speaker_item *si = to_speaker_item(item);
	int ret, mode;

	ret = speaker_may_write();
	if (ret)
		return ret;
	mode = sysfs_match_string(speaker_mode_names, page);
	if (mode < 0)
		return mode;

	mutex_lock(&si->lock);
	ret = speaker_in_use(si) ? speaker_check_filters(si, mode) : 0;
	if (!ret)
		WRITE_ONCE(si->mode, mode);
	mutex_unlock(&si->lock);
	return ret ? ret : count;
}

static ssize_t speaker_phase_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%s\n",
			  speaker_phase_names[READ_ONCE(to_speaker_item(item)->phase)]);
}

static ssize_t speaker_phase_store(struct config_item *item, const char *page,
				   size_t count)
{
	struct speaker_item *si = to_speaker_item(item);
	int ret, phase;

	ret = speaker_may_write();
	if (ret)
		return ret;
	phase = sysfs_match_string(speaker_phase_names, page);
	if (phase != SPEAKER_RUNNING && phase != SPEAKER_SHUTDOWN)
		return -EINVAL;

	/* Only an attached item switches; an exit may have just ended it. */
	if (!speaker_phase_move(si, SPEAKER_FILTERED_PHASES, phase, current) &&
	    READ_ONCE(si->phase) != phase)
		ret = -EINVAL;
	return ret ? ret : count;
}

static ssize_t speaker_service_show(struct config_item *item, char *page)
{
	struct speaker_item *si = to_speaker_item(item);
	ssize_t len;

	mutex_lock(&si->lock);
	len = sysfs_emit(page, "%s\n", si->service);
	mutex_unlock(&si->lock);
	return len;
}

static ssize_t speaker_service_store(struct config_item *item,
				     const char *page, size_t count)
{
	struct speaker_item *si = to_speaker_item(item);
	char comm[TASK_COMM_LEN];
	unsigned long flags;
	size_t len;
	int ret, i;

	ret = speaker_may_write();
	if (ret)
		return ret;
	len = count && page[count - 1] == '\n' ? count - 1 : count;
	if (len >= sizeof(comm))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isgraph(page[i]))
			return -EINVAL;
	memcpy(comm, page, len);
	comm[len] = '\0';

	mutex_lock(&si->lock);
	spin_lock_irqsave(&si->state_lock, flags);
	strscpy(si->service, comm, sizeof(si->service));
	spin_unlock_irqrestore(&si->state_lock, flags);
	mutex_unlock(&si->lock);
	return count;
}

static ssize_t speaker_settle_ms_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n",
			  READ_ONCE(to_speaker_item(item)->settle_ms));
}

static ssize_t speaker_settle_ms_store(struct config_item *item,
				       const char *page, size_t count)
{
	struct speaker_item *si = to_speaker_item(item);
	unsigned int ms;
	int ret;

	ret = speaker_may_write();
	if (ret)
		return ret;
	ret = kstrtouint(page, 10, &ms);
	if (ret)
		return ret;
	if (ms > SPEAKER_SETTLE_MAX)
		return -ERANGE;
	WRITE_ONCE(si->settle_ms, ms);
	return count;
}

static ssize_t speaker_stop_signals_show(struct config_item *item, char *page)
{
	u64 set = READ_ONCE(to_speaker_item(item)->stop_signals);
	ssize_t len = 0;
	int sig;

	for (sig = 1; sig <= 64; sig++)
		if (set & BIT_ULL(sig - 1))
			len += sysfs_emit_at(page, len, "%s%d",
					     len ? " " : "", sig);
	len += sysfs_emit_at(page, len, "\n");
	return len;
}

static int speaker_parse_signals(const char *page, size_t count, u64 *set)
{
	char buf[256], *cur, *tok;
	int ret, sig;

	if (count >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, page, count);
	buf[count] = '\0';

	*set = 0;
	cur = strim(buf);
	while ((tok = strsep(&cur, " \t\n")) != NULL) {
		if (!*tok)
			continue;
		ret = kstrtoint(tok, 10, &sig);
		if (ret)
			return ret;
		if (sig < 1 || sig > 64)
			return -EINVAL;
		*set |= BIT_ULL(sig - 1);
	}
	return *set ? 0 : -EINVAL;
}

static ssize_t speaker_stop_signals_store(struct config_item *item,
					  const char *page, size_t count)
{
	struct speaker_item *si = to_speaker_item(item);
	u64 set;
	int ret;

	ret = speaker_may_write();
	if (ret)
		return ret;
	ret = speaker_parse_signals(page, count, &set);
	if (ret)
		return ret;
	WRITE_ONCE(si->stop_signals, set);
	return count;
}

static ssize_t speaker_violations_attr_show(struct config_item *item,
					    char *page)
{
	return speaker_violations_show(to_speaker_item(item), page);
}

static ssize_t speaker_transitions_attr_show(struct config_item *item,
					     char *page)
{
	return speaker_transitions_show(to_speaker_item(item), page);
}

static ssize_t speaker_detector_attr_show(struct config_item *item,
					  char *page)
{
	return speaker_detector_show(to_speaker_item(item), page);
}

CONFIGFS_ATTR_RO(speaker_, status);
CONFIGFS_ATTR(speaker_, target);
CONFIGFS_ATTR(speaker_, mode);
CONFIGFS_ATTR(speaker_, phase);
CONFIGFS_ATTR(speaker_, service);
CONFIGFS_ATTR(speaker_, settle_ms);
CONFIGFS_ATTR(speaker_, stop_signals);
CONFIGFS_ATTR_WO(speaker_, unload);

static struct configfs_attribute speaker_attr_violations = {
	.ca_name = "violations",
	.ca_owner = THIS_MODULE,
	.ca_mode = 0400,
	.show = speaker_violations_attr_show,
};

static struct configfs_attribute speaker_attr_transitions = {
	.ca_name = "transitions",
	.ca_owner = THIS_MODULE,
	.ca_mode = 0400,
	.show = speaker_transitions_attr_show,
};

static struct configfs_attribute speaker_attr_detector = {
	.ca_name = "detector",
	.ca_owner = THIS_MODULE,
	.ca_mode = 0400,
	.show = speaker_detector_attr_show,
};

static struct configfs_attribute *speaker_attrs[] = {
	&speaker_attr_status,
	&speaker_attr_target,
	&speaker_attr_mode,
	&speaker_attr_phase,
	&speaker_attr_service,
	&speaker_attr_settle_ms,
	&speaker_attr_stop_signals,
	&speaker_attr_violations,
	&speaker_attr_transitions,
	&speaker_attr_detector,
	&speaker_attr_unload,
	NULL,
};

/*
 * configfs hands over what fitted before a write failed with EFBIG, which
 * for a program written in pieces can be a valid prefix of it. So take
 * far more than a program may have, and let the size check refuse it
 * whole; only a writer that sends over 1 MiB past a valid prefix can
 * still see that prefix installed (speaker-compile reads back).
 */
#define SPEAKER_PROGRAM_MAX	SZ_1M

CONFIGFS_BIN_ATTR(speaker_, booting, NULL, SPEAKER_PROGRAM_MAX);
CONFIGFS_BIN_ATTR(speaker_, running, NULL, SPEAKER_PROGRAM_MAX);
CONFIGFS_BIN_ATTR(speaker_, shutdown, NULL, SPEAKER_PROGRAM_MAX);
/* Room for every call of every arch and phase, as text. */
CONFIGFS_BIN_ATTR(speaker_, recorded, NULL, SZ_128K);

static struct configfs_bin_attribute *speaker_bin_attrs[] = {
	&speaker_attr_booting,
	&speaker_attr_running,
	&speaker_attr_shutdown,
	&speaker_attr_recorded,
	NULL,
};

static void speaker_item_free(struct rcu_head *rcu)
{
	struct speaker_item *si = container_of(rcu, struct speaker_item, rcu);
	int slot;

	for (slot = 0; slot < SPEAKER_NR_FILTERS; slot++)
		speaker_filter_free(rcu_dereference_protected(si->filters[slot],
							      true));
	mutex_destroy(&si->lock);
	kfree(si);
}

static void speaker_item_release(struct config_item *item)
{
	struct speaker_item *si = to_speaker_item(item);

	/* Probes that found the item before its detach may still read it. */
	call_rcu(&si->rcu, speaker_item_free);
}

static struct configfs_item_operations speaker_item_ops = {
	.release = speaker_item_release,
};

static const struct config_item_type speaker_item_type = {
	.ct_item_ops = &speaker_item_ops,
	.ct_attrs = speaker_attrs,
	.ct_bin_attrs = speaker_bin_attrs,
	.ct_owner = THIS_MODULE,
};

/* Names appear in log lines: keep them short and plain ASCII. */
static bool speaker_name_ok(const char *name)
{
	size_t len = strlen(name), i;

	if (!len || len > SPEAKER_NAME_MAX || name[0] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) ||
		    (!isalnum(name[i]) && !strchr("_.-", name[i])))
			return false;
	return true;
}

static struct config_item *speaker_make_item(struct config_group *group,
					     const char *name)
{
	struct speaker_item *si;
	int slot, ret;

	/* An item can arm itself on a namespace: as privileged as a store. */
	ret = speaker_may_write();
	if (ret)
		return ERR_PTR(ret);
	if (!speaker_name_ok(name)) {
		pr_info_ratelimited("item name '%.*s' refused: use 1 to %d of A-Z a-z 0-9 _ . -, not starting with '.'\n",
				    SPEAKER_NAME_MAX + 1, name,
				    SPEAKER_NAME_MAX);
		return ERR_PTR(-EINVAL);
	}

	si = kzalloc(sizeof(*si), GFP_KERNEL);
	if (!si)
		return ERR_PTR(-ENOMEM);

	mutex_init(&si->lock);
	for (slot = 0; slot < SPEAKER_NR_FILTERS; slot++)
		strscpy(si->status[slot], "none", sizeof(si->status[slot]));
	si->mode = SPEAKER_ENFORCE;
	si->settle_ms = min(READ_ONCE(default_settle_ms), SPEAKER_SETTLE_MAX);
	si->stop_signals = BIT_ULL(SIGTERM - 1);
	INIT_HLIST_NODE(&si->hnode);
	INIT_LIST_HEAD(&si->armed_node);
	INIT_DELAYED_WORK(&si->release_work, speaker_release_work);
	spin_lock_init(&si->vlock);
	ratelimit_state_init(&si->rs, 5 * HZ, 10);
	speaker_phase_init(si);

	config_item_init_type_name(&si->item, name, &speaker_item_type);
	return &si->item;
}

static void speaker_drop_item(struct config_group *group,
			      struct config_item *item)
{
	speaker_detach(to_speaker_item(item));
	config_item_put(item);
}

static struct configfs_group_operations speaker_group_ops = {
	.make_item = speaker_make_item,
	.drop_item = speaker_drop_item,
};

static const struct config_item_type speaker_subsys_type = {
	.ct_group_ops = &speaker_group_ops,
	.ct_owner = THIS_MODULE,
};

static struct configfs_subsystem speaker_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = "speaker",
			.ci_type = &speaker_subsys_type,
		},
	},
};

/* Items hold security policy: nobody but root reads or writes them. */
static void speaker_restrict_modes(void)
{
	int i;

	for (i = 0; speaker_attrs[i]; i++)
		speaker_attrs[i]->ca_mode &= 0600;
	for (i = 0; speaker_bin_attrs[i]; i++)
		speaker_bin_attrs[i]->cb_attr.ca_mode &= 0600;
}

/**
 * speaker_configfs_init() - register the speaker configfs subsystem
 *
 * Return: 0 or an error from configfs.
 */
int speaker_configfs_init(void)
{
	speaker_restrict_modes();
	config_group_init(&speaker_subsys.su_group);
	mutex_init(&speaker_subsys.su_mutex);
	return configfs_register_subsystem(&speaker_subsys);
}

/**
 * speaker_configfs_exit() - unregister the subsystem
 *
 * configfs pins the module while items exist, so none is left here.
 */
void speaker_configfs_exit(void)
{
	configfs_unregister_subsystem(&speaker_subsys);
}
