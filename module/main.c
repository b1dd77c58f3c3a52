// SPDX-License-Identifier: GPL-2.0
/*
 * speaker: per-phase system call filtering for containers.
 *
 * A container goes through booting, running and shutdown, and each phase
 * needs far fewer system calls than the three together. speaker holds a
 * classic BPF filter per phase for each configured container, detects the
 * phase from tracepoints, and judges every system call of the container's
 * tasks by the filter of the phase in force.
 */

#define pr_fmt(fmt) "speaker: " fmt

#include <linux/module.h>
#include <linux/rcupdate.h>

#include "speaker.h"

static int __init speaker_init(void)
{
	int ret;

	ret = speaker_tracepoints_init();
	if (ret)
		return ret;
	ret = speaker_configfs_init();
	if (ret) {
		pr_err("cannot register configfs subsystem: %d\n", ret);
		return ret;
	}
	pr_info("version %s loaded\n", SPEAKER_VERSION);
	return 0;
}

static void __exit speaker_exit(void)
{
	speaker_configfs_exit();
	/* Items are freed by RCU callbacks that live in this module. */
	rcu_barrier();
	pr_info("unloaded\n");
}

module_init(speaker_init);
module_exit(speaker_exit);

MODULE_DESCRIPTION("Per-phase system call filtering for containers");
MODULE_AUTHOR("The speaker developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(SPEAKER_VERSION);
