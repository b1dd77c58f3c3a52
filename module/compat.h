/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What differs between the kernels speaker builds for, kept in one place.
 */
#ifndef _SPEAKER_COMPAT_H
#define _SPEAKER_COMPAT_H

#include <linux/preempt.h>
#include <linux/tracepoint.h>

/*
 * speaker's sys_enter probe reads RCU-sched protected data (the namespace
 * table, the items' filters) and relies on the tracepoint calling it with
 * preemption disabled, as Linux 6.1 and 6.12 do. Kernels that define
 * __DECLARE_TRACE_SYSCALL call system call probes preemptible, under RCU
 * Tasks Trace only; there the probe disables preemption itself.
 */
#ifdef __DECLARE_TRACE_SYSCALL
#define SPEAKER_SYSCALL_PROBE_PREEMPTIBLE	1
#else
#define SPEAKER_SYSCALL_PROBE_PREEMPTIBLE	0
#endif

static __always_inline void speaker_syscall_probe_begin(void)
{
	if (SPEAKER_SYSCALL_PROBE_PREEMPTIBLE)
		preempt_disable_notrace();
}

static __always_inline void speaker_syscall_probe_end(void)
{
	if (SPEAKER_SYSCALL_PROBE_PREEMPTIBLE)
		preempt_enable_notrace();
}

#endif /* _SPEAKER_COMPAT_H */
