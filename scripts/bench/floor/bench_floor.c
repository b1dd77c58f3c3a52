// SPDX-License-Identifier: GPL-2.0
/*
 * bench_floor: a benchmark reference, not part of speaker. It registers an
 * empty probe on the sys_enter tracepoint and nothing else, so that a
 * system call loop measured while it is loaded shows what the syscall
 * tracepoint mechanism itself costs (the slow entry and exit paths that
 * SYSCALL_WORK_SYSCALL_TRACEPOINT selects, and the call of the probe): the
 * floor under any enforcement that runs from sys_enter, speaker's included.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

static struct tracepoint *bench_floor_tp;

static void bench_floor_probe(void *data, struct pt_regs *regs, long id)
{
}

static void bench_floor_find(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "sys_enter"))
		bench_floor_tp = tp;
}

static int __init bench_floor_init(void)
{
	for_each_kernel_tracepoint(bench_floor_find, NULL);
	if (!bench_floor_tp) {
		pr_err("kernel has no tracepoint sys_enter\n");
		return -ENOENT;
	}
	return tracepoint_probe_register(bench_floor_tp, bench_floor_probe,
					 NULL);
}

static void __exit bench_floor_exit(void)
{
	tracepoint_probe_unregister(bench_floor_tp, bench_floor_probe, NULL);
	tracepoint_synchronize_unregister();
}

module_init(bench_floor_init);
module_exit(bench_floor_exit);
MODULE_DESCRIPTION("benchmark reference: an empty sys_enter probe");
MODULE_LICENSE("GPL");
