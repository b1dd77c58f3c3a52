// SPDX-License-Identifier: GPL-2.0
/*
 * Classic BPF programs for seccomp: checking, analysis and evaluation.
 *
 * The exported helper that builds a seccomp program with seccomp's load
 * rewriting copies from a user pointer, and configfs hands us a kernel
 * buffer. So speaker checks the program itself, by the rules of
 * bpf_check_classic() and seccomp_check_filter() together, and evaluates it
 * itself. Classic BPF only jumps forward, so evaluation is bounded by the
 * program length.
 *
 * When a program is loaded it is also run once per (arch, nr) with every
 * other field of struct seccomp_data unknown. Where the result does not
 * depend on the unknown fields, the verdict is stored in a table, so that
 * nearly every call is answered by one lookup.
 */

#define pr_fmt(fmt) "speaker: " fmt

#include <linux/audit.h>
#include <linux/kernel.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "speaker.h"

/* Opcodes that seccomp accepts; everything else is refused. */
static bool speaker_opcode_ok(u16 code)
{
	switch (code) {
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
	case BPF_ALU | BPF_ADD | BPF_K:
	case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_K:
	case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_K:
	case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_AND | BPF_K:
	case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_OR | BPF_K:
	case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_K:
	case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_X:
	case BPF_ALU | BPF_NEG:
	case BPF_LD | BPF_IMM:
	case BPF_LDX | BPF_IMM:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
	case BPF_JMP | BPF_JA:
	case BPF_JMP | BPF_JEQ | BPF_K:
	case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_K:
	case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_K:
	case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_K:
	case BPF_JMP | BPF_JSET | BPF_X:
		return true;
	}
	return false;
}

static bool speaker_is_cond_jump(u16 code)
{
	return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

/* Check one instruction on its own; @why is set when it is refused. */
static bool speaker_check_insn(const struct sock_filter *f, unsigned int pc,
			       unsigned int len, char *why, size_t why_len)
{
	u32 k = f->k;

	if (!speaker_opcode_ok(f->code)) {
		snprintf(why, why_len, "opcode 0x%04x not allowed at insn %u",
			 f->code, pc);
		return false;
	}

	switch (f->code) {
	case BPF_LD | BPF_W | BPF_ABS:
		if (k >= sizeof(struct seccomp_data) || k & 3) {
			snprintf(why, why_len,
				 "load of offset %u out of bounds or misaligned at insn %u",
				 k, pc);
			return false;
		}
		break;
	case BPF_ALU | BPF_DIV | BPF_K:
		if (!k) {
			snprintf(why, why_len, "division by zero at insn %u",
				 pc);
			return false;
		}
		break;
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
		if (k >= 32) {
			snprintf(why, why_len, "shift by %u at insn %u", k, pc);
			return false;
		}
		break;
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		if (k >= BPF_MEMWORDS) {
			snprintf(why, why_len,
				 "scratch memory index %u out of range at insn %u",
				 k, pc);
			return false;
		}
		break;
	case BPF_JMP | BPF_JA:
		if (k >= len - pc - 1) {
			snprintf(why, why_len, "jump out of range at insn %u",
				 pc);
			return false;
		}
		break;
	default:
		if (speaker_is_cond_jump(f->code) &&
		    (pc + f->jt + 1 >= len || pc + f->jf + 1 >= len)) {
			snprintf(why, why_len, "jump out of range at insn %u",
				 pc);
			return false;
		}
	}
	return true;
}

/*
 * Scratch memory must be written on every path before it is read. Jumps
 * only go forward, so one pass in program order sees every predecessor of
 * an instruction before the instruction itself. @in[pc] holds the cells
 * written on all paths that reach pc; 0xffff means "no path seen yet".
 */
static int speaker_check_scratch(const struct sock_filter *insns,
				 unsigned int len, char *why, size_t why_len)
{
	u16 *in, valid = 0;
	unsigned int pc;
	int ret = 0;

	in = kmalloc_array(len, sizeof(*in), GFP_KERNEL);
	if (!in)
		return -ENOMEM;
	memset(in, 0xff, len * sizeof(*in));
	in[0] = 0;

	for (pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &insns[pc];

		valid = in[pc];
		switch (f->code) {
		case BPF_ST:
		case BPF_STX:
			valid |= BIT(f->k);
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
			if (!(valid & BIT(f->k))) {
				snprintf(why, why_len,
					 "scratch memory %u read before write at insn %u",
					 f->k, pc);
				ret = -EINVAL;
				goto out;
			}
			break;
		case BPF_JMP | BPF_JA:
			in[pc + 1 + f->k] &= valid;
			continue;
		}

		/*
		 * As the classic checker does, a RET passes its state on to
		 * the next instruction too: refuse exactly what it refuses.
		 */
		if (speaker_is_cond_jump(f->code)) {
			in[pc + 1 + f->jt] &= valid;
			in[pc + 1 + f->jf] &= valid;
		} else if (pc + 1 < len) {
			in[pc + 1] &= valid;
		}
	}
out:
	kfree(in);
	return ret;
}

static int speaker_check(const struct sock_filter *insns, unsigned int len,
			 char *why, size_t why_len)
{
	unsigned int pc;
	u16 last;

	for (pc = 0; pc < len; pc++)
		if (!speaker_check_insn(&insns[pc], pc, len, why, why_len))
			return -EINVAL;

	last = insns[len - 1].code;
	if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A)) {
		snprintf(why, why_len, "last instruction is not a return");
		return -EINVAL;
	}
	return speaker_check_scratch(insns, len, why, why_len);
}

/* A register or scratch cell of the partial evaluation. */
struct speaker_val {
	u32 v;
	bool known;
};

struct speaker_regs {
	struct speaker_val a, x, mem[BPF_MEMWORDS];
};

static struct speaker_val speaker_partial_load(u32 off, u32 nr, u32 arch)
{
	if (off == offsetof(struct seccomp_data, nr))
		return (struct speaker_val){ nr, true };
	if (off == offsetof(struct seccomp_data, arch))
		return (struct speaker_val){ arch, true };
	return (struct speaker_val){ 0, false };
}

static u32 speaker_alu(u16 op, u32 a, u32 b)
{
	switch (op) {
	case BPF_ADD:
		return a + b;
	case BPF_SUB:
		return a - b;
	case BPF_MUL:
		return a * b;
	case BPF_DIV:
		return a / b;	/* callers handle b == 0 */
	case BPF_AND:
		return a & b;
	case BPF_OR:
		return a | b;
	case BPF_XOR:
		return a ^ b;
	case BPF_LSH:
		return a << (b & 31);
	case BPF_RSH:
		return a >> (b & 31);
	}
	return -a;	/* BPF_NEG */
}

static bool speaker_jump_taken(u16 op, u32 a, u32 b)
{
	switch (op) {
	case BPF_JEQ:
		return a == b;
	case BPF_JGT:
		return a > b;
	case BPF_JGE:
		return a >= b;
	}
	return a & b;	/* BPF_JSET */
}

/*
 * Run @f for a call whose nr and arch are known and whose other fields are
 * not. Return true and set @ret when the result depends on nr and arch
 * only. The semantics are those of speaker_filter_run(), kept in step.
 */
static bool speaker_partial_run(const struct speaker_filter *f, u32 nr,
				u32 arch, u32 *ret)
{
	struct speaker_regs r = {};
	unsigned int pc;

	r.a.known = true;
	r.x.known = true;
	for (pc = 0; pc < f->len; pc++) {
		const struct sock_filter *insn = &f->insns[pc];
		struct speaker_val src;
		u16 code = insn->code;
		u32 k = insn->k;

		switch (BPF_CLASS(code)) {
		case BPF_LD:
			if (BPF_MODE(code) == BPF_ABS)
				r.a = speaker_partial_load(k, nr, arch);
			else if (BPF_MODE(code) == BPF_LEN)
				r.a = (struct speaker_val){
					sizeof(struct seccomp_data), true };
			else if (BPF_MODE(code) == BPF_IMM)
				r.a = (struct speaker_val){ k, true };
			else
				r.a = r.mem[k];
			continue;
		case BPF_LDX:
			if (BPF_MODE(code) == BPF_LEN)
				r.x = (struct speaker_val){
					sizeof(struct seccomp_data), true };
			else if (BPF_MODE(code) == BPF_IMM)
				r.x = (struct speaker_val){ k, true };
			else
				r.x = r.mem[k];
			continue;
		case BPF_ST:
			r.mem[k] = r.a;
			continue;
		case BPF_STX:
			r.mem[k] = r.x;
			continue;
		case BPF_MISC:
			if (BPF_MISCOP(code) == BPF_TAX)
				r.x = r.a;
			else
				r.a = r.x;
			continue;
		case BPF_RET:
			if (BPF_RVAL(code) == BPF_K) {
				*ret = k;
				return true;
			}
			*ret = r.a.v;
			return r.a.known;
		}

		src = BPF_SRC(code) == BPF_X ? r.x :
			(struct speaker_val){ k, true };

		if (BPF_CLASS(code) == BPF_ALU) {
			/* Division by zero ends the program with 0. */
			if (BPF_OP(code) == BPF_DIV && !(src.known && src.v)) {
				*ret = 0;
				return src.known;
			}
			if (BPF_OP(code) == BPF_NEG)
				src.known = true;
			r.a.known = r.a.known && src.known;
			if (r.a.known)
				r.a.v = speaker_alu(BPF_OP(code), r.a.v, src.v);
			continue;
		}

		/* BPF_JMP */
		if (BPF_OP(code) == BPF_JA) {
			pc += k;
			continue;
		}
		if (!r.a.known || !src.known)
			return false;
		pc += speaker_jump_taken(BPF_OP(code), r.a.v, src.v) ?
			insn->jt : insn->jf;
	}
	return false;	/* not reached: the last insn is a RET */
}

static unsigned int speaker_verdict_index(struct speaker_filter *f, u32 ret)
{
	unsigned int i;

	for (i = 1; i < f->nverdicts; i++)
		if (f->verdicts[i] == ret)
			return i;
	if (f->nverdicts == SPEAKER_MAX_VERDICTS)
		return 0;	/* list full: this call runs the program */
	f->verdicts[f->nverdicts] = ret;
	return f->nverdicts++;
}

/*
 * Table the verdict of every call that its number and arch decide, and
 * mark the allowed ones for the probe's bit test. Calls left at 0 run the
 * program, so a verdict is tabled only where partial evaluation proves it.
 */
static void speaker_filter_tabulate(struct speaker_filter *f)
{
	static const u32 arch_of[SPEAKER_NR_ARCHES] = {
		[SPEAKER_ARCH_X86_64] = AUDIT_ARCH_X86_64,
		[SPEAKER_ARCH_X32] = AUDIT_ARCH_X86_64,
		[SPEAKER_ARCH_I386] = AUDIT_ARCH_I386,
	};
	unsigned int slot, idx, v;
	u32 ret, nr;

	f->nverdicts = 1;
	for (slot = 0; slot < SPEAKER_NR_ARCHES; slot++) {
		for (idx = 0; idx < SPEAKER_NR_MAX; idx++) {
			nr = idx;
			if (slot == SPEAKER_ARCH_X32)
				nr |= SPEAKER_X32_BIT;
			if (!speaker_partial_run(f, nr, arch_of[slot], &ret))
				continue;
			if ((ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW)
				__set_bit(idx, f->allow[slot]);
			v = speaker_verdict_index(f, ret);
			f->table[slot][idx / 2] |= idx & 1 ? v << 4 : v;
		}
		cond_resched();
	}
}

/**
 * speaker_filter_create() - check a program and prepare it for enforcement
 * @buf: array of struct sock_filter as seccomp_export_bpf() writes it
 * @size: size of @buf in bytes
 * @why: set to a human-readable reason when the program is refused
 * @why_len: size of @why
 *
 * Context: process context, may sleep.
 * Return: the new filter, ERR_PTR(-EINVAL) for a program seccomp would
 * refuse, or ERR_PTR(-ENOMEM).
 */
struct speaker_filter *speaker_filter_create(const void *buf, size_t size,
					     char *why, size_t why_len)
{
	unsigned int len = size / sizeof(struct sock_filter);
	struct speaker_filter *f;
	int ret;

	if (!size || size % sizeof(struct sock_filter) || len > BPF_MAXINSNS) {
		snprintf(why, why_len,
			 "size %zu is not 1 to %u instructions of 8 bytes",
			 size, BPF_MAXINSNS);
		return ERR_PTR(-EINVAL);
	}

	ret = speaker_check(buf, len, why, why_len);
	if (ret)
		return ERR_PTR(ret);

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return ERR_PTR(-ENOMEM);
	f->insns = kvmalloc_array(len, sizeof(*f->insns), GFP_KERNEL);
	if (!f->insns) {
		kfree(f);
		return ERR_PTR(-ENOMEM);
	}
	f->len = len;
	memcpy(f->insns, buf, size);
	speaker_filter_tabulate(f);
	return f;
}

/**
 * speaker_filter_free() - free a filter no reader can see any more
 * @f: a filter from speaker_filter_create(), or NULL
 */
void speaker_filter_free(struct speaker_filter *f)
{
	if (!f)
		return;
	kvfree(f->insns);
	kfree(f);
}

static void speaker_filter_free_cb(struct rcu_head *rcu)
{
	speaker_filter_free(container_of(rcu, struct speaker_filter, rcu));
}

/**
 * speaker_filter_free_rcu() - free a filter once its readers are done
 * @f: a filter just unpublished; probes may still run it
 */
void speaker_filter_free_rcu(struct speaker_filter *f)
{
	call_rcu(&f->rcu, speaker_filter_free_cb);
}

/**
 * speaker_filter_run() - evaluate a filter as seccomp would
 * @f: a filter from speaker_filter_create()
 * @sd: the call
 *
 * Context: any; does not sleep and takes no locks.
 * Return: the program's return value (SECCOMP_RET_*).
 */
u32 speaker_filter_run(const struct speaker_filter *f,
		       const struct seccomp_data *sd)
{
	u32 a = 0, x = 0, mem[BPF_MEMWORDS];
	unsigned int pc;

	for (pc = 0; pc < f->len; pc++) {
		const struct sock_filter *insn = &f->insns[pc];
		u16 code = insn->code;
		u32 k = insn->k, src;

		switch (BPF_CLASS(code)) {
		case BPF_LD:
			if (BPF_MODE(code) == BPF_ABS)
				memcpy(&a, (const u8 *)sd + k, sizeof(a));
			else if (BPF_MODE(code) == BPF_LEN)
				a = sizeof(*sd);
			else if (BPF_MODE(code) == BPF_IMM)
				a = k;
			else
				a = mem[k];
			continue;
		case BPF_LDX:
			if (BPF_MODE(code) == BPF_LEN)
				x = sizeof(*sd);
			else if (BPF_MODE(code) == BPF_IMM)
				x = k;
			else
				x = mem[k];
			continue;
		case BPF_ST:
			mem[k] = a;
			continue;
		case BPF_STX:
			mem[k] = x;
			continue;
		case BPF_MISC:
			if (BPF_MISCOP(code) == BPF_TAX)
				x = a;
			else
				a = x;
			continue;
		case BPF_RET:
			return BPF_RVAL(code) == BPF_K ? k : a;
		}

		src = BPF_SRC(code) == BPF_X ? x : k;
		if (BPF_CLASS(code) == BPF_ALU) {
			/* Classic BPF returns 0 on division by zero. */
			if (BPF_OP(code) == BPF_DIV && !src)
				return 0;
			a = speaker_alu(BPF_OP(code), a, src);
			continue;
		}

		if (BPF_OP(code) == BPF_JA)
			pc += k;
		else
			pc += speaker_jump_taken(BPF_OP(code), a, src) ?
				insn->jt : insn->jf;
	}

	/* The checker guarantees a final RET; fail closed all the same. */
	WARN_ON_ONCE(1);
	return SECCOMP_RET_KILL_PROCESS;
}
