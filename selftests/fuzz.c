// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile input: random and mutated filter programs, and garbage for every
 * attribute, written the ways a writer can (one write, pieces, pwrite at
 * offsets). Every bad write is refused (an errno, or for the program
 * attributes, whose result configfs drops at close(), "refused" in status
 * and the old program read back), the previous state keeps enforcing,
 * and the kernel log stays clean.
 *
 * Oracles:
 * - program validity: a copy of the kernel's own rules (bpf_check_classic()
 *   and seccomp_check_filter()), itself compared with seccomp on the
 *   running kernel for a sample of the programs;
 * - program meaning: for random valid programs, the verdicts speaker gives
 *   a task in a container equal those native seccomp gives a task that
 *   installed the same program (the table and the interpreter both);
 * - text attributes: a write either fails with an errno and changes
 *   nothing, or succeeds and reads back as written.
 *
 * The loops model configfs (what reaches speaker at close()) and check
 * speaker's answer to that. What they found is pinned by small fixtures
 * after them (program, validity, retarget, item_name), and the loops
 * accept either answer there, so that they keep finding other faults.
 *
 * Environment: SPEAKER_FUZZ_SEED (default: time and PID; always printed,
 * set it to replay a run), SPEAKER_FUZZ_INPUTS (inputs per loop of the
 * short run, default 1000). fuzz.long_run runs only when SPEAKER_FUZZ_LONG
 * is set to the number of inputs (make fuzz: 1000000).
 */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>

#include "speaker_util.h"
#include "kselftest_harness.h"

#ifndef noinline
#define noinline	__attribute__((noinline))
#endif

#define OLD_DENIED	124	/* EMEDIUMTYPE: the barrage item's verdict */
#define PROG_MAX	BPF_MAXINSNS
#define PROG_MAX_BYTES	(PROG_MAX * sizeof(struct sock_filter))
#define SETTLE_MAX	3600000

static const char *const phases[] = { "booting", "running", "shutdown" };

/* ------------------------------------------------------------------ */
/* Seeded PRNG (xorshift64*). */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t x = r->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rng_next(r) % n) : 0;
}

static bool rng_pct(struct rng *r, unsigned int pct)
{
	return rng_below(r, 100) < pct;
}

#define RNG_PICK(r, a)	((a)[rng_below((r), SPK_ARRAY_SIZE(a))])

static uint64_t fuzz_seed(void)
{
	const char *env = getenv("SPEAKER_FUZZ_SEED");

	if (env && *env)
		return strtoull(env, NULL, 0);
	return ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
}

/* Each test gets its own stream from the one seed. */
static void rng_init(struct rng *r, uint64_t seed, const char *test)
{
	uint64_t h = seed ^ 0x9E3779B97F4A7C15ULL;

	while (*test)
		h = (h ^ (unsigned char)*test++) * 0x100000001B3ULL;
	r->s = h ? h : 1;
	rng_next(r);
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

/* ------------------------------------------------------------------ */
/* The kernel's rules for a seccomp program, as a reference. */

/* chk_code_allowed() in net/core/filter.c: classic BPF. */
static bool ref_classic_code(uint16_t code)
{
	switch (code) {
	case BPF_ALU | BPF_ADD | BPF_K: case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_K: case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_K: case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_K: case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_MOD | BPF_K: case BPF_ALU | BPF_MOD | BPF_X:
	case BPF_ALU | BPF_AND | BPF_K: case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_OR | BPF_K: case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_K: case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_X:
	case BPF_ALU | BPF_NEG:
	case BPF_LD | BPF_W | BPF_ABS: case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS: case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LD | BPF_W | BPF_IND: case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND: case BPF_LD | BPF_IMM:
	case BPF_LD | BPF_MEM: case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_B | BPF_MSH: case BPF_LDX | BPF_IMM:
	case BPF_LDX | BPF_MEM: case BPF_ST: case BPF_STX:
	case BPF_MISC | BPF_TAX: case BPF_MISC | BPF_TXA:
	case BPF_RET | BPF_K: case BPF_RET | BPF_A:
	case BPF_JMP | BPF_JA:
	case BPF_JMP | BPF_JEQ | BPF_K: case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_K: case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JGT | BPF_K: case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_K: case BPF_JMP | BPF_JSET | BPF_X:
		return true;
	}
	return false;
}

/* seccomp_check_filter() in kernel/seccomp.c: what seccomp keeps of it. */
static bool ref_seccomp_code(uint16_t code)
{
	if (!ref_classic_code(code))
		return false;
	switch (code) {
	case BPF_ALU | BPF_MOD | BPF_K: case BPF_ALU | BPF_MOD | BPF_X:
	case BPF_LD | BPF_H | BPF_ABS: case BPF_LD | BPF_B | BPF_ABS:
	case BPF_LD | BPF_W | BPF_IND: case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND: case BPF_LDX | BPF_B | BPF_MSH:
		return false;
	}
	return true;
}

static bool ref_cond_jump(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

/*
 * check_load_and_stores() in net/core/filter.c, step for step. With
 * @after_ret false, the cells known at a RET do not carry into the next
 * instruction: speaker's rule, which takes more than seccomp (see the
 * validity fixture); the loops accept either answer where only that
 * differs, so that they keep finding other faults.
 */
static bool ref_scratch_ok(const struct sock_filter *f, unsigned int len,
			   bool after_ret)
{
	uint16_t masks[PROG_MAX], memvalid = 0;
	unsigned int pc;

	memset(masks, 0xff, len * sizeof(masks[0]));
	for (pc = 0; pc < len; pc++) {
		if (!after_ret && pc && BPF_CLASS(f[pc - 1].code) == BPF_RET)
			memvalid = 0xffff;
		memvalid &= masks[pc];
		switch (f[pc].code) {
		case BPF_ST:
		case BPF_STX:
			memvalid |= 1 << f[pc].k;
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
			if (!(memvalid & (1 << f[pc].k)))
				return false;
			break;
		case BPF_JMP | BPF_JA:
			masks[pc + 1 + f[pc].k] &= memvalid;
			memvalid = 0xffff;
			break;
		default:
			if (ref_cond_jump(f[pc].code)) {
				masks[pc + 1 + f[pc].jt] &= memvalid;
				masks[pc + 1 + f[pc].jf] &= memvalid;
				memvalid = 0xffff;
			}
		}
	}
	return true;
}

/* Would seccomp (@after_ret: else speaker) accept these bytes? */
static bool ref_check(const void *buf, size_t bytes, bool after_ret)
{
	const struct sock_filter *f = buf;
	unsigned int len = bytes / sizeof(*f), pc;
	uint16_t last;

	if (!bytes || bytes % sizeof(*f) || len > PROG_MAX)
		return false;
	for (pc = 0; pc < len; pc++) {
		uint16_t code = f[pc].code;
		uint32_t k = f[pc].k;

		if (!ref_seccomp_code(code))
			return false;
		switch (code) {
		case BPF_ALU | BPF_DIV | BPF_K:
			if (!k)
				return false;
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
		case BPF_ALU | BPF_RSH | BPF_K:
			if (k >= 32)
				return false;
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				return false;
			break;
		case BPF_JMP | BPF_JA:
			if (k >= len - pc - 1)
				return false;
			break;
		case BPF_LD | BPF_W | BPF_ABS:
			if (k >= sizeof(struct seccomp_data) || k & 3)
				return false;
			break;
		default:
			if (ref_cond_jump(code) &&
			    (pc + f[pc].jt + 1 >= len || pc + f[pc].jf + 1 >= len))
				return false;
		}
	}
	last = f[len - 1].code;
	if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A))
		return false;
	return ref_scratch_ok(f, len, after_ret);
}

static bool ref_valid(const void *buf, size_t bytes)
{
	return ref_check(buf, bytes, true);
}

/* Valid but for the known difference in the scratch rule after a RET. */
static bool ref_known_difference(const void *buf, size_t bytes)
{
	return !ref_check(buf, bytes, true) && ref_check(buf, bytes, false);
}

/*
 * Does seccomp on this kernel accept the program? Installs it in a child.
 * Once installed, the program judges the child's every call, exit
 * included (a refused exit_group makes glibc's _exit() fault), so the
 * child says so in shared memory and spins until it is killed.
 * Return: 1 accepted, 0 refused, -errno if the check itself failed.
 */
static int seccomp_accepts(const struct sock_filter *f, unsigned int len)
{
	struct sock_fprog prog = { .len = len, .filter = (void *)f };
	static int *installed;
	int status, ret = -ETIMEDOUT, i;
	pid_t pid;

	if (!installed) {
		installed = mmap(NULL, sizeof(*installed), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (installed == MAP_FAILED) {
			installed = NULL;
			return -ENOMEM;
		}
	}
	__atomic_store_n(installed, 0, __ATOMIC_RELEASE);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(3);
		if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
			_exit(errno == EINVAL ? 1 : 2);
		__atomic_store_n(installed, 1, __ATOMIC_RELEASE);
		for (;;)
			asm volatile("pause");
	}
	for (i = 0; i < 100000; i++) {
		if (__atomic_load_n(installed, __ATOMIC_ACQUIRE)) {
			ret = 1;
			break;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
				return 0;
			return -EIO;
		}
		if (i > 100)
			usleep(100);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Programs: random valid ones, and mutants. */

/* Numbers the programs compare with, and the probes use. */
static const uint32_t interesting[] = {
	0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 0xff, 0x100, 0xffff,
	0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
	AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, 0x40000000,
	102, 104, 107, 108, 1000, 1023, 1024, 4242,
	24, 47, 49, 50, 199, 200, 201, 202,
};

static const uint32_t actions[] = {
	SECCOMP_RET_ALLOW, SECCOMP_RET_ALLOW, SECCOMP_RET_ALLOW,
	SECCOMP_RET_LOG,
	SECCOMP_RET_ERRNO | 1, SECCOMP_RET_ERRNO | 13, SECCOMP_RET_ERRNO | 95,
	SECCOMP_RET_ERRNO | 0, SECCOMP_RET_ERRNO | 0xffff,
	SECCOMP_RET_ERRNO | 4095, SECCOMP_RET_ERRNO | 4096,
	SECCOMP_RET_TRAP | 0, SECCOMP_RET_TRAP | 0x1234,
	SECCOMP_RET_TRACE | 7, SECCOMP_RET_USER_NOTIF,
	SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD,
	0x00010000, 0x7ffe0000, 0x80010000, 0xc0000000,
};

static const uint16_t alu_ops[] = {
	BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR,
	BPF_LSH, BPF_RSH, BPF_NEG,
};

static const uint16_t jmp_ops[] = { BPF_JEQ, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET };

/* Every classic opcode, seccomp's or not, and a few that are none. */
static const uint16_t any_codes[] = {
	BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS,
	BPF_LD | BPF_B | BPF_ABS, BPF_LD | BPF_W | BPF_IND,
	BPF_LD | BPF_H | BPF_IND, BPF_LD | BPF_B | BPF_IND,
	BPF_LD | BPF_W | BPF_LEN, BPF_LD | BPF_IMM, BPF_LD | BPF_MEM,
	BPF_LDX | BPF_W | BPF_LEN, BPF_LDX | BPF_B | BPF_MSH,
	BPF_LDX | BPF_IMM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX,
	BPF_ALU | BPF_MOD | BPF_K, BPF_ALU | BPF_MOD | BPF_X,
	BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_LSH | BPF_K,
	BPF_ALU | BPF_NEG, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA,
	BPF_RET | BPF_K, BPF_RET | BPF_A, BPF_RET | BPF_X,
	BPF_JMP | BPF_JA, BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JSET | BPF_X,
	0x0e, 0x3f, 0x8f, 0xa0, 0xf7, 0xffff, 0x1000 | BPF_RET,
};

static uint32_t rand_k(struct rng *r)
{
	return rng_pct(r, 70) ? RNG_PICK(r, interesting) : (uint32_t)rng_next(r);
}

/* A jump offset from @pc that stays inside a program of @len insns. */
static uint8_t rand_off(struct rng *r, unsigned int pc, unsigned int len)
{
	unsigned int room = len - pc - 2;

	return rng_below(r, (room > 255 ? 255 : room) + 1);
}

/*
 * A random program that seccomp accepts, of @len instructions (>= 2).
 * Scratch cells are stored in a prefix that every path runs, and only
 * those are read, so the scratch rule always holds.
 */
static void gen_valid(struct rng *r, struct sock_filter *p, unsigned int len)
{
	static const uint32_t loads[] = { 0, 4, 8, 12, 16, 20, 24, 28, 32, 36,
					  40, 44, 48, 52, 56, 60, 0, 0, 4 };
	unsigned int pc = 0, stored = 0, cell;
	uint16_t op;

	while (pc < len / 4 && rng_pct(r, 40)) {
		cell = rng_below(r, BPF_MEMWORDS);
		p[pc++] = (struct sock_filter)BPF_STMT(rng_pct(r, 50) ? BPF_ST :
						       BPF_STX, cell);
		stored |= 1 << cell;
	}
	for (; pc < len - 1; pc++) {
		unsigned int roll = rng_below(r, 100);

		if (roll < 22) {
			p[pc] = (struct sock_filter)SPK_LD(RNG_PICK(r, loads));
		} else if (roll < 48) {
			op = RNG_PICK(r, jmp_ops);
			p[pc] = (struct sock_filter)BPF_JUMP(BPF_JMP | op |
				(rng_pct(r, 85) ? BPF_K : BPF_X), rand_k(r),
				rand_off(r, pc, len), rand_off(r, pc, len));
		} else if (roll < 52) {
			p[pc] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA,
				rng_below(r, len - pc - 1));
		} else if (roll < 66) {
			uint32_t k = rand_k(r);

			op = RNG_PICK(r, alu_ops);
			if (op == BPF_DIV && !k)
				k = 3;
			if (op == BPF_LSH || op == BPF_RSH)
				k &= 31;
			p[pc] = (struct sock_filter)BPF_STMT(BPF_ALU | op |
				(op != BPF_NEG && rng_pct(r, 25) ? BPF_X : BPF_K), k);
		} else if (roll < 72) {
			p[pc] = (struct sock_filter)BPF_STMT(rng_pct(r, 50) ?
				BPF_LD | BPF_IMM : BPF_LDX | BPF_IMM, rand_k(r));
		} else if (roll < 78) {
			p[pc] = (struct sock_filter)BPF_STMT(BPF_MISC |
				(rng_pct(r, 50) ? BPF_TAX : BPF_TXA), 0);
		} else if (roll < 81) {
			p[pc] = (struct sock_filter)BPF_STMT(rng_pct(r, 50) ?
				BPF_LD | BPF_W | BPF_LEN : BPF_LDX | BPF_W | BPF_LEN, 0);
		} else if (roll < 85 && stored) {
			do
				cell = rng_below(r, BPF_MEMWORDS);
			while (!(stored & (1 << cell)));
			p[pc] = (struct sock_filter)BPF_STMT(rng_pct(r, 50) ?
				BPF_LD | BPF_MEM : BPF_LDX | BPF_MEM, cell);
		} else if (roll < 88) {
			/* Overwriting a stored cell keeps it stored. */
			p[pc] = (struct sock_filter)BPF_STMT(rng_pct(r, 50) ?
				BPF_ST : BPF_STX, rng_below(r, BPF_MEMWORDS));
		} else if (roll < 97) {
			p[pc] = (struct sock_filter)SPK_RET(RNG_PICK(r, actions));
		} else {
			p[pc] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
		}
	}
	p[len - 1] = rng_pct(r, 85) ?
		(struct sock_filter)SPK_RET(RNG_PICK(r, actions)) :
		(struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
}

/* A buffer of bytes to write as a program, and how it was made. */
struct blob {
	unsigned char *buf;
	size_t size;
	const char *kind;
};

/* Change one instruction of @p (@len insns) in a way likely to break it. */
static void mutate_insn(struct rng *r, struct sock_filter *p,
			unsigned int len, const char **kind)
{
	unsigned int pc = rng_below(r, len);
	struct sock_filter *f = &p[pc];

	switch (rng_below(r, 12)) {
	case 0:
		f->code = RNG_PICK(r, any_codes);
		*kind = "opcode";
		break;
	case 1:
		f->code = (uint16_t)rng_next(r);
		*kind = "random opcode";
		break;
	case 2:
		*f = (struct sock_filter)SPK_LD(rng_pct(r, 50) ?
			64 + 4 * rng_below(r, 8) : (uint32_t)rng_next(r));
		*kind = "load out of bounds";
		break;
	case 3:
		*f = (struct sock_filter)SPK_LD(4 * rng_below(r, 16) +
						1 + rng_below(r, 3));
		*kind = "misaligned load";
		break;
	case 4:
		*f = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA,
			len - pc - 1 + rng_below(r, 3));
		*kind = "ja past the end";
		break;
	case 5:
		*f = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0,
			rng_pct(r, 50) ? 255 : len - pc - 1, 0);
		if (rng_pct(r, 50)) {
			f->jf = f->jt;
			f->jt = 0;
		}
		*kind = "jump past the end";
		break;
	case 6:
		p[len - 1] = (struct sock_filter)SPK_LD_NR;
		*kind = "no final ret";
		break;
	case 7:
		*f = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0);
		*kind = "division by zero";
		break;
	case 8:
		*f = (struct sock_filter)BPF_STMT(BPF_ALU |
			(rng_pct(r, 50) ? BPF_LSH : BPF_RSH) | BPF_K,
			32 + rng_below(r, 100));
		*kind = "shift";
		break;
	case 9:
		*f = (struct sock_filter)BPF_STMT(rng_pct(r, 50) ?
			BPF_LD | BPF_MEM : BPF_ST, rng_pct(r, 50) ?
			16 + rng_below(r, 16) : rng_below(r, 16));
		*kind = "scratch";
		break;
	case 10:
		f->k ^= 1u << rng_below(r, 32);
		*kind = "k bit flip";
		break;
	default:
		f->jt ^= 1u << rng_below(r, 8);
		*kind = "jt bit flip";
		break;
	}
}

/*
 * Fill @b with a hostile program of one of the kinds the issue lists, or
 * a valid one now and then. The caller frees b->buf.
 */
static void gen_blob(struct rng *r, struct blob *b, bool allow_huge)
{
	unsigned int len = 2 + rng_below(r, rng_pct(r, 90) ? 40 : 400), i;
	struct sock_filter *p;

	b->buf = calloc(PROG_MAX + 8, sizeof(*p));
	p = (struct sock_filter *)b->buf;
	gen_valid(r, p, len);
	b->size = len * sizeof(*p);
	b->kind = "valid";

	switch (rng_below(r, 20)) {
	case 0:
		b->size = 0;
		b->kind = "empty";
		break;
	case 1:
		b->size -= 1 + rng_below(r, 7);
		b->kind = "size not a multiple of 8";
		break;
	case 2:
		b->size += 1 + rng_below(r, 7);
		b->kind = "size not a multiple of 8";
		break;
	case 3:
		b->size = rng_below(r, 200);
		for (i = 0; i < b->size; i++)
			b->buf[i] = rng_next(r);
		b->kind = "random bytes";
		break;
	case 4:
		for (i = 0; i < 1 + rng_below(r, 16); i++)
			b->buf[rng_below(r, b->size)] ^= 1 << rng_below(r, 8);
		b->kind = "bit flips";
		break;
	case 5:
		if (!allow_huge || rng_pct(r, 80))
			break;
		len = PROG_MAX + 1 + rng_below(r, 8);
		for (i = 0; i < len; i++)
			p[i] = (struct sock_filter)SPK_ALLOW;
		b->size = len * sizeof(*p);
		b->kind = "more than BPF_MAXINSNS";
		break;
	case 6:
		if (!allow_huge || rng_pct(r, 90))
			break;
		/* The longest program: tabulating it is the slowest write. */
		len = PROG_MAX - rng_below(r, 2);
		gen_valid(r, p, 64);
		for (i = 63; i < len - 1; i++)
			p[i] = (struct sock_filter)SPK_LD_NR;
		p[len - 1] = (struct sock_filter)SPK_ALLOW;
		b->size = len * sizeof(*p);
		b->kind = "BPF_MAXINSNS long";
		break;
	case 7:
	case 8:
	case 9:
		break;	/* valid */
	default:
		for (i = 0; i < 1 + rng_below(r, 3); i++)
			mutate_insn(r, p, len, &b->kind);
	}
}

/* ------------------------------------------------------------------ */
/* Writing a program the way a writer may, and what configfs makes of it. */

enum wmode { W_ONE, W_PIECES, W_PWRITE, W_EMPTY_WRITE, W_NR };

/*
 * configfs grows its buffer to the furthest byte written, zero-filling
 * holes, and refuses (EFBIG, nothing copied) a write that would pass its
 * maximum; a write of 0 bytes fails with EFAULT after the growth; at
 * close() it hands speaker what the buffer holds, if any write() was made
 * at all (configfs_bin_write_iter(), configfs_release_bin_file()).
 */
struct cfs_buf {
	unsigned char *buf;
	size_t size;
	bool written;
	int first_err;
};

static void cfs_apply(struct cfs_buf *c, const void *data, size_t len,
		      size_t off, ssize_t ret, int err)
{
	c->written = true;
	if (ret < 0 && !c->first_err)
		c->first_err = err;
	/* EFBIG: nothing done. EFAULT (0 bytes copied): the buffer grew. */
	if (ret < 0 && err != EFAULT)
		return;
	if (off + len > c->size) {
		memset(c->buf + c->size, 0, off + len - c->size);
		c->size = off + len;
	}
	if (ret >= 0)
		memcpy(c->buf + off, data, len);
}

/* Write @b to @attr of @it with mode @m; fill @c with what speaker gets. */
static int write_blob(struct rng *r, const struct spk_item *it,
		      const char *attr, const struct blob *b, enum wmode m,
		      struct cfs_buf *c)
{
	size_t off, n, at;
	char path[192];
	ssize_t ret;
	int fd;

	c->size = 0;
	c->written = false;
	c->first_err = 0;
	snprintf(path, sizeof(path), "%s/%s", it->path, attr);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	switch (m) {
	case W_ONE:
		ret = write(fd, b->buf, b->size);
		cfs_apply(c, b->buf, b->size, 0, ret, errno);
		break;
	case W_PIECES:
		for (off = 0; off < b->size; off += n) {
			n = 1 + rng_below(r, b->size - off);
			if (rng_pct(r, 30))
				n = n > 8 ? 8 : n;
			ret = write(fd, b->buf + off, n);
			cfs_apply(c, b->buf + off, n, off, ret, errno);
			if (ret < 0)
				break;
		}
		if (!b->size) {
			ret = write(fd, b->buf, 0);
			cfs_apply(c, b->buf, 0, 0, ret, errno);
		}
		break;
	case W_PWRITE:
		/* At an offset: the hole before it reads as zeros. */
		at = rng_pct(r, 50) ? 8 * rng_below(r, 4) : rng_below(r, 40);
		ret = pwrite(fd, b->buf, b->size, at);
		cfs_apply(c, b->buf, b->size, at, ret, errno);
		if (rng_pct(r, 50) && b->size) {
			n = rng_below(r, b->size);
			ret = pwrite(fd, b->buf, n, 0);
			cfs_apply(c, b->buf, n, 0, ret, errno);
		}
		break;
	default:
		ret = write(fd, b->buf, 0);
		cfs_apply(c, b->buf, 0, 0, ret, errno);
		break;
	}
	close(fd);
	return 0;
}

/* What an item's program attribute should hold and say. */
struct prog_state {
	unsigned char buf[PROG_MAX_BYTES];
	size_t size;
};

/* Read @phase's program and status; 0 or -errno. */
static int read_prog(const struct spk_item *it, const char *phase,
		     struct prog_state *now, char *status, size_t ssize)
{
	ssize_t n = spk_prog_read(it, phase, now->buf, sizeof(now->buf));

	if (n < 0)
		return n;
	now->size = n;
	return spk_status(it, phase, status, ssize);
}

/* ------------------------------------------------------------------ */
/* Text attributes: garbage, and a model of what speaker accepts. */

/* kstrtoll() with base 10 up to the first NUL: 0, -EINVAL or -ERANGE. */
static int model_kstrtoll(const char *s, long long *res)
{
	unsigned long long v = 0;
	bool neg = false;
	int digits = 0;

	if (*s == '-') {
		neg = true;
		s++;
	} else if (*s == '+') {
		s++;
	}
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (v > (ULLONG_MAX - (*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (*s - '0');
	}
	if (!digits)
		return -EINVAL;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	if (neg ? v > (unsigned long long)LLONG_MAX + 1 : v > LLONG_MAX)
		return -ERANGE;
	*res = neg ? -(long long)v : (long long)v;
	return 0;
}

/* sysfs_streq(): equal, a trailing newline on either side allowed. */
static bool model_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	if (*a == *b)
		return true;
	if (!*a && *b == '\n' && !b[1])
		return true;
	return *a == '\n' && !a[1] && !*b;
}

/* A garbage string, built from pieces that parsers trip on. */
static size_t gen_garbage(struct rng *r, char *out, size_t max)
{
	static const char *const pieces[] = {
		"-", "+", "0", "1", "9", "15", "64", "65", "-1", "2147483647",
		"2147483648", "4294967296", "99999999999999999999", "0x10",
		" ", "\t", "\n", "\n\n", "\r", "\x7f", "\x80", "\xa0", "\xff",
		"\xc3\xa9", "enforce", "complain", "trace", "running",
		"shutdown", "booting", "idle", "armed", "exited", "ENFORCE",
		"clear", "abc", "%s%n", "../", "\\", "$(id)", ";", ",", ".",
		"3600000", "3600001",
	};
	size_t len = 0, n;
	const char *p;
	char c;

	while (len < max - 1 && rng_pct(r, 75)) {
		if (rng_pct(r, 80)) {
			p = RNG_PICK(r, pieces);
			n = strlen(p);
			if (len + n > max - 1)
				break;
			memcpy(out + len, p, n);
			len += n;
		} else {
			/* Any byte, NUL too: the parsers stop there. */
			c = rng_next(r);
			out[len++] = c || rng_pct(r, 20) ? c : 'x';
		}
	}
	if (rng_pct(r, 3)) {	/* over-long */
		n = 300 + rng_below(r, max - 300);
		memset(out, rng_pct(r, 50) ? '7' : 'a', n);
		len = n;
	}
	out[len] = '\0';
	return len;
}

/* The kernel's isspace(): what strim() takes off. */
static bool model_isspace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

/* The kernel's isgraph(), Latin-1 included. */
static bool model_isgraph(unsigned char c)
{
	return (c > ' ' && c < 0x7f) || c > 0xa0;
}

enum { T_TAKEN, T_REFUSED, T_SKIP };

/*
 * What speaker does with @len bytes of @s written to @attr of an item
 * (idle unless @attached): T_TAKEN with the value to read back in
 * @expect (empty: not checked), T_REFUSED, or T_SKIP for writes that
 * would attach or arm. configfs hands over at most one page less a byte.
 */
static int text_model(const char *attr, const char *s, size_t len,
		      bool attached, long pid_max, char *expect, size_t esize)
{
	static const char *const modes[] = { "enforce", "complain", "trace" };
	char buf[4096], *cur, *tok, *end;
	unsigned long long set = 0;
	long long v;
	unsigned int i;
	size_t n;

	*expect = '\0';
	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!len)
		return T_REFUSED;	/* no store at all: nothing changes */

	if (!strcmp(attr, "target")) {
		if (model_kstrtoll(buf, &v) || v < 0 || v > INT_MAX)
			return T_REFUSED;
		if (v == 0) {
			snprintf(expect, esize, "0\n");
			return attached ? T_SKIP : T_TAKEN;
		}
		if (v > pid_max || (kill(v, 0) && errno == ESRCH))
			return T_REFUSED;
		return T_SKIP;
	}
	if (!strcmp(attr, "mode")) {
		for (i = 0; i < SPK_ARRAY_SIZE(modes); i++) {
			if (model_streq(modes[i], buf)) {
				snprintf(expect, esize, "%s\n", modes[i]);
				return T_TAKEN;
			}
		}
		return T_REFUSED;
	}
	if (!strcmp(attr, "unload")) {
		/* A phase's name removes its program, unless enforcing. */
		for (i = 0; i < SPK_ARRAY_SIZE(phases); i++)
			if (model_streq(phases[i], buf))
				return attached ? T_REFUSED : T_TAKEN;
		return T_REFUSED;
	}
	if (!strcmp(attr, "phase")) {
		if (!attached)
			return T_REFUSED;	/* nothing to switch */
		return model_streq("running", buf) || model_streq("shutdown", buf) ?
			T_TAKEN : T_REFUSED;
	}
	if (!strcmp(attr, "service")) {
		n = buf[len - 1] == '\n' ? len - 1 : len;
		if (n >= 16)
			return T_REFUSED;
		for (i = 0; i < n; i++)
			if (!model_isgraph(buf[i]))
				return T_REFUSED;
		snprintf(expect, esize, "%.*s\n", (int)n, buf);
		return T_TAKEN;
	}
	if (!strcmp(attr, "settle_ms")) {
		/* kstrtouint(): an optional '+', no '-'. */
		if (buf[0] == '-' || model_kstrtoll(buf, &v) || v > SETTLE_MAX)
			return T_REFUSED;
		snprintf(expect, esize, "%lld\n", v);
		return T_TAKEN;
	}
	if (!strcmp(attr, "stop_signals")) {
		if (len >= 256)
			return T_REFUSED;
		/* strim(), then tokens between spaces, tabs and newlines. */
		cur = buf;
		while (model_isspace(*cur))
			cur++;
		end = cur + strlen(cur);
		while (end > cur && model_isspace(end[-1]))
			*--end = '\0';
		while ((tok = strsep(&cur, " \t\n")) != NULL) {
			if (!*tok)
				continue;
			if (model_kstrtoll(tok, &v) || v < 1 || v > 64)
				return T_REFUSED;
			set |= 1ULL << (v - 1);
		}
		if (!set)
			return T_REFUSED;
		for (n = 0, i = 1; i <= 64; i++)
			if (set & (1ULL << (i - 1)))
				n += snprintf(expect + n, esize - n, "%s%u",
					      n ? " " : "", i);
		snprintf(expect + n, esize - n, "\n");
		return T_TAKEN;
	}
	return T_SKIP;
}

/* Write @len bytes of @s to @attr: 0, or the -errno of open()/write(). */
static int write_text(struct rng *r, const struct spk_item *it,
		      const char *attr, const char *s, size_t len)
{
	char path[192];
	ssize_t ret;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", it->path, attr);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* configfs ignores the offset of a text attribute: try it anyway. */
	if (rng_pct(r, 20))
		ret = pwrite(fd, s, len, 1 + rng_below(r, 4096));
	else
		ret = write(fd, s, len);
	if (ret < 0)
		err = -errno;
	else if ((size_t)ret != len && !err)
		err = 1;	/* partial: configfs took a first page */
	close(fd);
	return err;
}

/* The text attributes that configuration lives in, read back at once. */
struct text_state {
	char target[32], mode[32], phase[32], service[32], settle[32],
	     signals[256];
};

static void read_text_state(const struct spk_item *it, struct text_state *t)
{
	memset(t, 0, sizeof(*t));
	spk_attr_read(it, "target", t->target, sizeof(t->target) - 1);
	spk_attr_read(it, "mode", t->mode, sizeof(t->mode) - 1);
	spk_attr_read(it, "phase", t->phase, sizeof(t->phase) - 1);
	spk_attr_read(it, "service", t->service, sizeof(t->service) - 1);
	spk_attr_read(it, "settle_ms", t->settle, sizeof(t->settle) - 1);
	spk_attr_read(it, "stop_signals", t->signals, sizeof(t->signals) - 1);
}

static long read_pid_max(void)
{
	char buf[32] = "";
	int fd = open("/proc/sys/kernel/pid_max", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) < 0)
			buf[0] = '\0';
		close(fd);
	}
	return buf[0] ? strtol(buf, NULL, 10) : 4194304;
}

/* ------------------------------------------------------------------ */
/* The fixture: a scratch item, and an attached item with a container. */

static const struct sock_filter old_prog[] = {
	SPK_X86_64_ONLY, SPK_LD_NR,
	SPK_ON_NR(__NR_getppid, SPK_ERRNO(OLD_DENIED)), SPK_ALLOW,
};

/* A container body that reports getppid's errno once per request. */
static int getppid_on_request(const struct spk_chan *ch,
			      void *arg __maybe_unused)
{
	char c;
	int err;

	while (spk_recv(ch->in, &c, 1) == 1) {
		err = syscall(__NR_getppid) == -1 ? errno : 0;
		if (spk_send(ch->out, &err, sizeof(err)))
			return 1;
	}
	return 0;
}

/* Ask the barrage container for a verdict: getppid's errno or -1. */
static int container_verdict(struct spk_container *c)
{
	int err;

	if (spk_container_send(c, "?", 1) ||
	    spk_container_recv(c, &err, sizeof(err)) != sizeof(err))
		return -1;
	return err;
}

struct fuzz_env {
	struct rng rng;
	uint64_t seed;
	long inputs;
	long pid_max;
	int kmsg;
	struct spk_item scratch;	/* idle: takes everything */
	struct spk_item held;		/* attached: takes only bad input */
	struct spk_container c;
};

static void env_setup(struct __test_metadata *_metadata, struct fuzz_env *e,
		       const char *test, long inputs)
{
	memset(e, 0, sizeof(*e));
	e->kmsg = -1;
	if (!spk_available())
		SKIP(return, "speaker.ko is not loaded (no %s)", SPK_ROOT);
	e->seed = fuzz_seed();
	rng_init(&e->rng, e->seed, test);
	e->inputs = inputs;
	e->pid_max = read_pid_max();
	TH_LOG("seed %llu (SPEAKER_FUZZ_SEED=%llu replays it), %ld inputs",
	       (unsigned long long)e->seed, (unsigned long long)e->seed,
	       e->inputs);
	e->kmsg = spk_kmsg_open_end();
	ASSERT_LE(0, e->kmsg);
	ASSERT_EQ(0, spk_item_create(&e->scratch, "fuzz-scratch-%d"));
	ASSERT_EQ(0, spk_item_create(&e->held, "fuzz-held-%d"));
	ASSERT_EQ(0, spk_attr_printf(&e->held, "settle_ms", "%d",
				     SPK_SETTLE_FOREVER));
	ASSERT_EQ(0, spk_prog_write_all(&e->held, old_prog,
					SPK_ARRAY_SIZE(old_prog)));
	ASSERT_EQ(0, spk_container_start(&e->c, getppid_on_request, NULL, 0));
	ASSERT_EQ(0, spk_attr_printf(&e->held, "target", "%d", e->c.init));
	ASSERT_EQ(0, spk_container_go(&e->c));
	ASSERT_EQ(OLD_DENIED, container_verdict(&e->c));
}

static void env_teardown(struct fuzz_env *e)
{
	spk_container_kill(&e->c);
	spk_item_remove(&e->held);
	spk_item_remove(&e->scratch);
	if (e->kmsg >= 0)
		close(e->kmsg);
}

/* The kernel log since setup shows no kernel problem. */
static void expect_clean_log(struct __test_metadata *_metadata,
			     struct fuzz_env *e)
{
	char first[512] = "";

	EXPECT_EQ(0, spk_kmsg_problems(e->kmsg, first, sizeof(first))) {
		TH_LOG("kernel log: %s", first);
	}
}

/* ------------------------------------------------------------------ */
/* Loops; each returns the number of oracle violations it logged. */

#define MAX_REPORTS	8

static void hexdump_prog(struct __test_metadata *_metadata,
			 const unsigned char *buf, size_t size)
{
	const struct sock_filter *f = (const void *)buf;
	size_t i;

	for (i = 0; i < size / sizeof(*f) && i < 24; i++)
		TH_LOG("  insn %zu: code 0x%04x jt %u jf %u k 0x%08x", i,
		       f[i].code, f[i].jt, f[i].jf, f[i].k);
	if (size % sizeof(*f))
		TH_LOG("  and %zu trailing bytes", size % sizeof(*f));
}

/*
 * One program input to @it (attached: only those speaker must refuse).
 * @old and @mode_trace describe the item before the write. Returns 1 for
 * a violation.
 */
static int program_input(struct __test_metadata *_metadata,
			 struct fuzz_env *e, const struct spk_item *it,
			 bool attached, int *reports, long *checked,
			 long *accepted)
{
	static struct prog_state before, after;
	static unsigned char effective[PROG_MAX_BYTES + 64];
	const char *phase = phases[rng_below(&e->rng, 3)];
	struct cfs_buf c = { .buf = effective };
	char status[160], expect[64];
	bool valid, empty, want_ok;
	struct blob b;
	enum wmode m;
	int ret, bad = 0;

	gen_blob(&e->rng, &b, true);
	m = rng_below(&e->rng, W_NR);
	if (b.size > PROG_MAX_BYTES && m == W_PWRITE)
		m = W_ONE;
	if (m == W_EMPTY_WRITE)
		b.size = 0;

	/* What configfs will hand over, predicted before writing. */
	if (attached) {
		size_t sz = b.size;

		if (m == W_PWRITE || m == W_PIECES || sz > PROG_MAX_BYTES)
			m = W_ONE;	/* keep the prediction exact */
		if (sz && sz <= PROG_MAX_BYTES && ref_check(b.buf, sz, false)) {
			free(b.buf);
			return 0;	/* would replace the program */
		}
	}
	ret = read_prog(it, phase, &before, status, sizeof(status));
	if (ret) {
		TH_LOG("read %s/%s: %s", it->name, phase, strerror(-ret));
		free(b.buf);
		return 1;
	}
	ret = write_blob(&e->rng, it, phase, &b, m, &c);
	if (ret) {
		TH_LOG("open %s/%s: %s", it->name, phase, strerror(-ret));
		free(b.buf);
		return 1;
	}
	(*checked)++;
	if (!c.written) {
		free(b.buf);
		return 0;
	}

	empty = c.size == 0;
	valid = !empty && ref_valid(c.buf, c.size);
	if (!empty && ref_known_difference(c.buf, c.size)) {
		/* Either answer, as long as it is a whole one. */
		spk_status(it, phase, status, sizeof(status));
		valid = strstr(status, " ok") != NULL;
	}
	/* An empty program is refused too (configfs sends one after EFBIG). */
	want_ok = valid;

	ret = read_prog(it, phase, &after, status, sizeof(status));
	if (ret) {
		bad = 1;
	} else if (want_ok) {
		snprintf(expect, sizeof(expect), "%zu ok",
			 c.size / sizeof(struct sock_filter));
		if (strcmp(status, expect) || after.size != c.size ||
		    memcmp(after.buf, c.buf, c.size))
			bad = 1;
		else
			(*accepted)++;
	} else {
		snprintf(expect, sizeof(expect), "%zu refused: ",
			 before.size / sizeof(struct sock_filter));
		if (strncmp(status, expect, strlen(expect)) ||
		    after.size != before.size ||
		    memcmp(after.buf, before.buf, before.size))
			bad = 1;
	}
	if (bad && ++*reports <= MAX_REPORTS) {
		TH_LOG("%s/%s: %s program (%s, %zu bytes via write mode %d, write errno %d) %s: status \"%s\", %zu bytes read back",
		       it->name, phase, valid ? "valid" : empty ? "empty" : "invalid",
		       b.kind, c.size, m, c.first_err,
		       want_ok ? "must be taken" : "must be refused", status,
		       after.size);
		hexdump_prog(_metadata, c.buf, c.size);
	}
	free(b.buf);
	return bad;
}

/* @s as printable text, other bytes as \\xNN, cut to fit @out. */
static void escape(const char *s, size_t len, char *out, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 5 < size; i++) {
		unsigned char c = s[i];

		if (c >= ' ' && c < 0x7f && c != '\\')
			out[n++] = c;
		else
			n += snprintf(out + n, size - n, "\\x%02x", c);
	}
	out[n] = '\0';
}

/* One text input to @it; attached items get only what they must refuse. */
static int text_input(struct __test_metadata *_metadata, struct fuzz_env *e,
		      const struct spk_item *it, bool attached, int *reports,
		      long *checked)
{
	static const char *const attrs[] = {
		"target", "mode", "phase", "service", "settle_ms",
		"stop_signals", "unload", "target", "mode", "phase",
	};
	static const char *const ro[] = {
		"status", "violations", "transitions", "detector",
	};
	const char *attr = RNG_PICK(&e->rng, attrs);
	struct text_state before, after;
	char s[4200], expect[300], back[300] = "";
	int ret, model, bad = 0;
	size_t len;

	len = gen_garbage(&e->rng, s, sizeof(s));
	if (rng_pct(&e->rng, 3)) {
		/* Read-only attributes cannot even be opened for writing. */
		attr = RNG_PICK(&e->rng, ro);
		ret = write_text(&e->rng, it, attr, s, len);
		(*checked)++;
		if (ret != -EACCES && ++*reports <= MAX_REPORTS)
			TH_LOG("%s/%s opened for writing: %d", it->name, attr, ret);
		return ret != -EACCES;
	}
	model = text_model(attr, s, len, attached, e->pid_max, expect,
			   sizeof(expect));
	if (model == T_SKIP || (attached && model == T_TAKEN))
		return 0;

	read_text_state(it, &before);
	ret = write_text(&e->rng, it, attr, s, len);
	read_text_state(it, &after);
	if (strcmp(attr, "unload"))	/* write-only */
		spk_attr_read(it, attr, back, sizeof(back) - 1);
	(*checked)++;

	if (model == T_REFUSED) {
		if ((ret >= 0 && len) || memcmp(&before, &after, sizeof(before)))
			bad = 1;
	} else if (ret || (expect[0] && strcmp(expect, back))) {
		bad = 1;
	}
	if (bad && ++*reports <= MAX_REPORTS) {
		char shown[200];

		escape(s, len, shown, sizeof(shown));
		TH_LOG("%s/%s: \"%s\" (%zu bytes) must be %s: write gave %d, reads \"%.60s\" (mode %s -> %s, target %s -> %s)",
		       it->name, attr, shown, len,
		       model == T_REFUSED ? "refused and change nothing" : "taken",
		       ret, back, before.mode, after.mode, before.target,
		       after.target);
	}
	return bad;
}

/* mkdir with a random name: the name rule holds or the VFS refuses. */
static int name_input(struct __test_metadata *_metadata, struct fuzz_env *e,
		      int *reports)
{
	static const char ok_chars[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	char name[300], path[400];
	size_t len = 1 + rng_below(&e->rng, rng_pct(&e->rng, 90) ? 70 : 280);
	bool valid, latin1 = false, other = false;
	size_t i;
	int ret, err;


	for (i = 0; i < len; i++) {
		name[i] = rng_pct(&e->rng, 95) ?
			ok_chars[rng_below(&e->rng, sizeof(ok_chars) - 1)] :
			(char)(1 + rng_below(&e->rng, 255));
		if (name[i] == '/')
			name[i] = '_';
	}
	name[len] = '\0';
	valid = len <= 63 && name[0] != '.';
	for (i = 0; i < len; i++) {
		if (strchr(ok_chars, name[i]))
			continue;
		valid = false;
		if ((unsigned char)name[i] >= 0xc0)
			latin1 = true;	/* see item_name: either answer */
		else
			other = true;
	}
	snprintf(path, sizeof(path), SPK_ROOT "/%s", name);
	ret = mkdir(path, 0700);
	err = ret ? errno : 0;
	if (!ret)
		rmdir(path);
	if (valid == !ret || (latin1 && !other && len <= 63 && name[0] != '.'))
		return 0;
	if (++*reports <= MAX_REPORTS) {
		char shown[200];

		escape(name, len, shown, sizeof(shown));
		TH_LOG("mkdir \"%s\" (%zu chars): %s, the name rule says %s",
		       shown, len, ret ? strerror(err) : "made",
		       valid ? "valid" : "invalid");
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Random valid programs: speaker's verdicts against native seccomp's. */

#define NPROBES		12

struct probe {
	bool int80;
	long nr;
	long a[6];
};

struct probe_result {
	long ret;
	int traps;
	int code, data, nr;	/* the last trap's siginfo */
	unsigned int arch;
};

/* Shared between the test, the container and the native child. */
struct diff_shm {
	struct probe probes[NPROBES];
	struct probe_result res[2][NPROBES];
	int done[2];
};

static struct diff_shm *dshm;
static int dside;
static int dcur;		/* the probe running, for the SIGSYS handler */

static void diff_sigsys(int sig __maybe_unused, siginfo_t *si,
			void *uc __maybe_unused)
{
	struct probe_result *r =
		&dshm->res[dside][__atomic_load_n(&dcur, __ATOMIC_RELAXED)];

	r->traps++;
	r->code = si->si_code;
	r->data = si->si_errno;
	r->nr = si->si_syscall;
	r->arch = si->si_arch;
}

static noinline long probe_syscall(long nr, const long *a)
{
	register long r10 asm("r10") = a[3];
	register long r8 asm("r8") = a[4];
	register long r9 asm("r9") = a[5];
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "0"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10),
		       "r"(r8), "r"(r9)
		     : "rcx", "r11", "memory");
	return ret;
}

/* int $0x80 with all six i386 arguments (ebp included). */
static noinline long probe_int80(long nr, const long *a)
{
	register long r12 asm("r12") = a[5];
	long ret;

	asm volatile("sub $128, %%rsp\n\t"
		     "push %%rbp\n\t"
		     "mov %%r12, %%rbp\n\t"
		     "int $0x80\n\t"
		     "pop %%rbp\n\t"
		     "add $128, %%rsp"
		     : "=a"(ret)
		     : "0"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]),
		       "D"(a[4]), "r"(r12)
		     : "r8", "r9", "r10", "r11", "memory");
	return ret;
}

/* Run the probes, recording into side @side; no other system call. */
static void run_probes(int side)
{
	int i;

	dside = side;
	for (i = 0; i < NPROBES; i++) {
		const struct probe *p = &dshm->probes[i];

		__atomic_store_n(&dcur, i, __ATOMIC_RELAXED);
		dshm->res[side][i].ret = p->int80 ? probe_int80(p->nr, p->a) :
			probe_syscall(p->nr, p->a);
		dshm->done[side] = i + 1;
	}
}

static void probe_child_setup(void)
{
	struct rlimit no_core = { 0, 0 };
	struct sigaction sa = { .sa_sigaction = diff_sigsys,
				.sa_flags = SA_SIGINFO };

	setrlimit(RLIMIT_CORE, &no_core);
	sigaction(SIGSYS, &sa, NULL);
}

/* The container's init: per request, a child runs the probes. */
static int diff_body(const struct spk_chan *ch, void *arg __maybe_unused)
{
	int status;
	pid_t pid;
	char c;

	while (spk_recv(ch->in, &c, 1) == 1) {
		pid = fork();
		if (pid < 0)
			return 1;
		if (!pid) {
			probe_child_setup();
			run_probes(0);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid)
			status = -1;
		if (spk_send(ch->out, &status, sizeof(status)))
			return 1;
	}
	return 0;
}

/* The native side: install @f with seccomp, run the probes. */
static int native_status(const struct sock_filter *f, unsigned int len)
{
	struct sock_fprog prog = { .len = len, .filter = (void *)f };
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		probe_child_setup();
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
			_exit(99);
		run_probes(1);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/*
 * Calls that the guard hands to the random program: harmless whatever the
 * verdict, and answering the same in and out of a container (no PIDs).
 * i386 and x32 calls all go to it; the harness never makes one.
 */
static void gen_probe(struct rng *r, struct probe *p)
{
	static const long x86_64[] = { 102, 104, 107, 108, 1000, 1023, 1024,
				       4242, 0x3fffffff, 0x7fffffff };
	static const long x32[] = { 102, 104, 107, 108, 1000, 1023 };
	static const long i386[] = { 24, 47, 49, 50, 199, 200, 201, 202,
				     1000, 1023, 1024 };
	unsigned int i;

	memset(p, 0, sizeof(*p));
	switch (rng_below(r, 4)) {
	case 0:
	case 1:
		p->nr = RNG_PICK(r, x86_64);
		break;
	case 2:
		p->nr = 0x40000000 | RNG_PICK(r, x32);
		break;
	default:
		p->int80 = true;
		p->nr = RNG_PICK(r, i386);
	}
	for (i = 0; i < 6; i++) {
		p->a[i] = rng_pct(r, 60) ? (long)RNG_PICK(r, interesting) :
			(long)rng_next(r);
		if (p->int80)
			p->a[i] = (uint32_t)p->a[i];
	}
}

/*
 * The guard: the probe calls go to the random program that follows it,
 * every other call is allowed, so that the harness keeps working. It
 * looks at nr and arch only, so speaker's table still answers for it.
 */
#define GUARD_LEN	10
static void write_guard(struct sock_filter *p)
{
	const struct sock_filter guard[GUARD_LEN] = {
		SPK_LD_ARCH,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 8, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 6),
		SPK_LD_NR,
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 1000, 5, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 102, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 104, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 107, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 108, 1, 0),
		SPK_ALLOW,
	};

	memcpy(p, guard, sizeof(guard));
}

static bool same_result(const struct probe_result *a,
			const struct probe_result *b)
{
	return a->ret == b->ret && a->traps == b->traps &&
		(!a->traps || (a->code == b->code && a->data == b->data &&
			       a->nr == b->nr && a->arch == b->arch));
}

static bool same_end(int a, int b)
{
	if (WIFSIGNALED(a) && WIFSIGNALED(b))
		return WTERMSIG(a) == WTERMSIG(b);
	return a == b;
}

/* One random program through speaker and seccomp; 1 if they disagree. */
static int diff_input(struct __test_metadata *_metadata, struct fuzz_env *e,
		      const struct spk_item *it, struct spk_container *c,
		      int *reports)
{
	static struct sock_filter prog[GUARD_LEN + 80];
	unsigned int len = 2 + rng_below(&e->rng, 60), i;
	int spk_st, nat_st, bad = 0;

	write_guard(prog);
	gen_valid(&e->rng, prog + GUARD_LEN, len);
	len += GUARD_LEN;
	for (i = 0; i < NPROBES; i++)
		gen_probe(&e->rng, &dshm->probes[i]);
	memset(dshm->res, 0, sizeof(dshm->res));
	memset(dshm->done, 0, sizeof(dshm->done));

	if (spk_prog_write(it, "booting", prog, len)) {
		if (++*reports <= MAX_REPORTS) {
			TH_LOG("a valid program was refused");
			hexdump_prog(_metadata, (void *)prog, len * sizeof(*prog));
		}
		return 1;
	}
	if (spk_container_send(c, "r", 1) ||
	    spk_container_recv(c, &spk_st, sizeof(spk_st)) != sizeof(spk_st)) {
		TH_LOG("the differential container died");
		return 1;
	}
	nat_st = native_status(prog, len);
	if (WIFEXITED(nat_st) && WEXITSTATUS(nat_st) == 99) {
		if (++*reports <= MAX_REPORTS)
			TH_LOG("seccomp refused a program the reference accepts");
		return 1;
	}
	if (dshm->done[0] != dshm->done[1] || !same_end(spk_st, nat_st))
		bad = 1;
	for (i = 0; i < (unsigned int)dshm->done[0] && !bad; i++)
		if (!same_result(&dshm->res[0][i], &dshm->res[1][i]))
			bad = 1;
	if (bad && ++*reports <= MAX_REPORTS) {
		TH_LOG("speaker and seccomp disagree: %d/%d calls, status 0x%x/0x%x",
		       dshm->done[0], dshm->done[1], spk_st, nat_st);
		for (i = 0; i < NPROBES; i++) {
			const struct probe *p = &dshm->probes[i];
			const struct probe_result *s = &dshm->res[0][i];
			const struct probe_result *n = &dshm->res[1][i];

			TH_LOG("  %s nr 0x%lx args %lx %lx %lx %lx %lx %lx: speaker %ld trap %d/%d, seccomp %ld trap %d/%d",
			       p->int80 ? "int80" : "syscall", p->nr, p->a[0],
			       p->a[1], p->a[2], p->a[3], p->a[4], p->a[5],
			       s->ret, s->traps, s->data, n->ret, n->traps,
			       n->data);
		}
		hexdump_prog(_metadata, (void *)(prog + GUARD_LEN),
			     (len - GUARD_LEN) * sizeof(*prog));
	}
	return bad;
}

/* ------------------------------------------------------------------ */
/* The runs. */

struct counts {
	long programs, accepted, texts, names, diffs, seccomp_checks;
	int reports;
	long bad;
};

/* Compare the reference with seccomp itself for @n random blobs. */
static void cross_check_reference(struct __test_metadata *_metadata,
				  struct fuzz_env *e, long n,
				  struct counts *k)
{
	struct blob b;
	int real;
	long i;

	for (i = 0; i < n; i++) {
		gen_blob(&e->rng, &b, false);
		if (b.size && b.size % sizeof(struct sock_filter) == 0 &&
		    b.size <= PROG_MAX_BYTES) {
			real = seccomp_accepts((void *)b.buf,
					       b.size / sizeof(struct sock_filter));
			k->seccomp_checks++;
			if (real < 0 || real != ref_valid(b.buf, b.size)) {
				k->bad++;
				if (++k->reports <= MAX_REPORTS) {
					TH_LOG("reference says %s, seccomp says %d (%s)",
					       ref_valid(b.buf, b.size) ? "valid" : "invalid",
					       real, b.kind);
					hexdump_prog(_metadata, b.buf, b.size);
				}
			}
		}
		free(b.buf);
	}
}

/* Everything against the held (attached) item, then its state. */
static void barrage_held(struct __test_metadata *_metadata,
			 struct fuzz_env *e, long n, struct counts *k)
{
	struct prog_state *before = calloc(3, sizeof(*before));
	struct prog_state now;
	struct text_state t0, t1;
	char status[160];
	unsigned int p;
	long i;

	ASSERT_NE(NULL, before);
	for (p = 0; p < 3; p++)
		ASSERT_EQ(0, read_prog(&e->held, phases[p], &before[p], status,
				       sizeof(status)));
	read_text_state(&e->held, &t0);
	for (i = 0; i < n; i++) {
		if (rng_pct(&e->rng, 50))
			k->bad += program_input(_metadata, e, &e->held, true,
						&k->reports, &k->programs,
						&k->accepted);
		else
			k->bad += text_input(_metadata, e, &e->held, true,
					     &k->reports, &k->texts);
	}
	read_text_state(&e->held, &t1);
	EXPECT_EQ(0, memcmp(&t0, &t1, sizeof(t0))) {
		TH_LOG("held item changed: mode %s -> %s, phase %s -> %s, target %s -> %s",
		       t0.mode, t1.mode, t0.phase, t1.phase, t0.target,
		       t1.target);
	}
	for (p = 0; p < 3; p++) {
		ASSERT_EQ(0, read_prog(&e->held, phases[p], &now, status,
				       sizeof(status)));
		EXPECT_EQ(before[p].size, now.size);
		EXPECT_EQ(0, memcmp(before[p].buf, now.buf, now.size)) {
			TH_LOG("the %s program of the held item changed",
			       phases[p]);
		}
	}
	free(before);
	EXPECT_EQ(OLD_DENIED, container_verdict(&e->c)) {
		TH_LOG("after the barrage the container no longer gets the old verdict");
	}
}

static void barrage_scratch(struct __test_metadata *_metadata,
			    struct fuzz_env *e, long n, struct counts *k)
{
	long i;

	for (i = 0; i < n; i++) {
		unsigned int roll = rng_below(&e->rng, 100);

		if (roll < 60)
			k->bad += program_input(_metadata, e, &e->scratch, false,
						&k->reports, &k->programs,
						&k->accepted);
		else if (roll < 95)
			k->bad += text_input(_metadata, e, &e->scratch, false,
					     &k->reports, &k->texts);
		else
			k->names++, k->bad += name_input(_metadata, e,
							 &k->reports);
	}
}

static void differential(struct __test_metadata *_metadata,
			 struct fuzz_env *e, long n, struct counts *k)
{
	struct spk_container c;
	struct spk_item it;
	int status;
	long i;

	dshm = mmap(NULL, sizeof(*dshm), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dshm);
	ASSERT_EQ(0, spk_item_create(&it, "fuzz-diff-%d"));
	ASSERT_EQ(0, spk_attr_printf(&it, "settle_ms", "%d",
				     SPK_SETTLE_FOREVER));
	{
		struct sock_filter allow_all[] = { SPK_ALLOW };

		ASSERT_EQ(0, spk_prog_write_all(&it, allow_all, 1));
	}
	ASSERT_EQ(0, spk_container_start(&c, diff_body, NULL, 0));
	ASSERT_EQ(0, spk_attr_printf(&it, "target", "%d", c.init));
	ASSERT_EQ(0, spk_container_go(&c));
	for (i = 0; i < n && k->reports <= MAX_REPORTS; i++) {
		k->diffs++;
		k->bad += diff_input(_metadata, e, &it, &c, &k->reports);
	}
	spk_container_wait(&c, &status);
	spk_item_remove(&it);
	munmap(dshm, sizeof(*dshm));
}

static void summary(struct __test_metadata *_metadata, struct fuzz_env *e,
		    const struct counts *k)
{
	TH_LOG("%ld program writes (%ld taken), %ld text writes, %ld names, %ld differential programs, %ld seccomp cross-checks: %ld violations (seed %llu)",
	       k->programs, k->accepted, k->texts, k->names, k->diffs,
	       k->seccomp_checks, k->bad, (unsigned long long)e->seed);
}

FIXTURE(fuzz) {
	struct fuzz_env e;
};

FIXTURE_SETUP(fuzz)
{
	const char *name = _metadata->name;

	env_setup(_metadata, &self->e, name,
		   strcmp(name, "long_run") ?
		   env_long("SPEAKER_FUZZ_INPUTS", 1000) :
		   env_long("SPEAKER_FUZZ_LONG", 0));
}

FIXTURE_TEARDOWN(fuzz)
{
	env_teardown(&self->e);
}

TEST_F_TIMEOUT(fuzz, reference_checker_agrees_with_seccomp, 120)
{
	struct counts k = { 0 };

	cross_check_reference(_metadata, &self->e, self->e.inputs / 4, &k);
	summary(_metadata, &self->e, &k);
	EXPECT_EQ(0, k.bad);
	expect_clean_log(_metadata, &self->e);
}

TEST_F_TIMEOUT(fuzz, bad_input_to_an_attached_item_is_refused_and_it_enforces, 120)
{
	struct counts k = { 0 };

	barrage_held(_metadata, &self->e, self->e.inputs * 2, &k);
	summary(_metadata, &self->e, &k);
	EXPECT_EQ(0, k.bad);
	expect_clean_log(_metadata, &self->e);
}

TEST_F_TIMEOUT(fuzz, idle_item_takes_exactly_what_seccomp_takes, 120)
{
	struct counts k = { 0 };

	barrage_scratch(_metadata, &self->e, self->e.inputs * 2, &k);
	summary(_metadata, &self->e, &k);
	EXPECT_EQ(0, k.bad);
	expect_clean_log(_metadata, &self->e);
}

TEST_F_TIMEOUT(fuzz, random_programs_give_seccomps_verdicts, 120)
{
	struct counts k = { 0 };

	differential(_metadata, &self->e, self->e.inputs / 8, &k);
	summary(_metadata, &self->e, &k);
	EXPECT_EQ(0, k.bad);
	expect_clean_log(_metadata, &self->e);
}

/* make fuzz: SPEAKER_FUZZ_LONG inputs over all four loops. */
TEST_F_TIMEOUT(fuzz, long_run, 6 * 3600)
{
	long n = env_long("SPEAKER_FUZZ_LONG", 0), done, chunk;
	struct counts k = { 0 };

	if (n <= 0)
		SKIP(return, "set SPEAKER_FUZZ_LONG=N (make fuzz) for a long run");
	for (done = 0; done < n && k.reports <= MAX_REPORTS; done += chunk) {
		chunk = n - done < 10000 ? n - done : 10000;
		barrage_held(_metadata, &self->e, chunk * 4 / 10, &k);
		barrage_scratch(_metadata, &self->e, chunk * 4 / 10, &k);
		cross_check_reference(_metadata, &self->e, chunk / 10, &k);
		differential(_metadata, &self->e, chunk / 10, &k);
		TH_LOG("%ld of %ld inputs, %ld violations", done + chunk, n,
		       k.bad);
	}
	summary(_metadata, &self->e, &k);
	EXPECT_EQ(0, k.bad);
	expect_clean_log(_metadata, &self->e);
}

/* ------------------------------------------------------------------ */
/*
 * Contract pins found with the fuzzer, each a minimal reproducer.
 *
 * configfs commits whatever its buffer holds at close(), even after a
 * write() that failed: the first 4096 instructions of a longer program
 * written in pieces reach speaker, which cannot know that more were
 * meant. The writer saw EFBIG; the program must not change.
 */
FIXTURE(program) {
	struct spk_item it;
};

FIXTURE_SETUP(program)
{
	memset(&self->it, 0, sizeof(self->it));
	if (!spk_available())
		SKIP(return, "speaker.ko is not loaded (no %s)", SPK_ROOT);
	ASSERT_EQ(0, spk_item_create(&self->it, "fuzz-program-%d"));
}

FIXTURE_TEARDOWN(program)
{
	spk_item_remove(&self->it);
}

TEST_F(program, longer_than_4096_insns_in_pieces_is_not_truncated)
{
	size_t n = PROG_MAX + 4, i;
	struct sock_filter *p = calloc(n, sizeof(*p));
	struct prog_state *back = calloc(1, sizeof(*back));
	char path[192], status[160];
	ssize_t w1, w2;
	int fd, err2;

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, back);
	ASSERT_EQ(0, spk_prog_write(&self->it, "booting", old_prog,
				    SPK_ARRAY_SIZE(old_prog)));
	/* 4100 insns; the first 4096 alone are a valid program. */
	for (i = 0; i < n; i++)
		p[i] = (struct sock_filter)SPK_LD_NR;
	p[PROG_MAX - 1] = (struct sock_filter)SPK_ALLOW;
	p[n - 1] = (struct sock_filter)SPK_RET(SECCOMP_RET_KILL_PROCESS);

	/* As a writer with a 32 KiB buffer writes it: 32768 bytes, then 32. */
	snprintf(path, sizeof(path), "%s/booting", self->it.path);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	w1 = write(fd, p, PROG_MAX_BYTES);
	w2 = write(fd, p + PROG_MAX, (n - PROG_MAX) * sizeof(*p));
	err2 = errno;
	close(fd);
	free(p);

	ASSERT_EQ(0, read_prog(&self->it, "booting", back, status,
			       sizeof(status)));
	EXPECT_EQ(sizeof(old_prog), back->size) {
		TH_LOG("writes gave %zd and %zd (%s); status \"booting %s\": the first 4096 insns of a longer program went in",
		       w1, w2, w2 < 0 ? strerror(err2) : "ok", status);
	}
	EXPECT_EQ(0, memcmp(old_prog, back->buf, sizeof(old_prog)));
	free(back);
}

/* speaker takes a program exactly when seccomp would. */
FIXTURE(validity) {
	struct spk_item it;
};

FIXTURE_VARIANT(validity) {
	const struct sock_filter *insns;
	unsigned int len;
};

#define PROG(...) \
	.insns = (const struct sock_filter[]){ __VA_ARGS__ }, \
	.len = SPK_ARRAY_SIZE(((const struct sock_filter[]){ __VA_ARGS__ }))

/*
 * After a RET, seccomp's scratch check carries the cells known at the RET
 * into the next instruction (check_load_and_stores()); here M[0] is
 * written on the only path into insn 5, but not on the path to the RET.
 */
FIXTURE_VARIANT_ADD(validity, scratch_read_after_return_as_seccomp) {
	PROG(SPK_LD_NR,
	     BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0),
	     BPF_STMT(BPF_ST, 0),
	     BPF_STMT(BPF_JMP | BPF_JA, 1),
	     SPK_ALLOW,
	     BPF_STMT(BPF_LD | BPF_MEM, 0),
	     BPF_STMT(BPF_RET | BPF_A, 0)),
};

FIXTURE_VARIANT_ADD(validity, scratch_written_before_the_branch) {
	PROG(BPF_STMT(BPF_ST, 0), SPK_LD_NR,
	     BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), SPK_ALLOW,
	     BPF_STMT(BPF_LD | BPF_MEM, 0), BPF_STMT(BPF_RET | BPF_A, 0)),
};

FIXTURE_VARIANT_ADD(validity, ld_len_and_ldx_len) {
	PROG(BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
	     BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
	     BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0),
	     BPF_STMT(BPF_RET | BPF_A, 0)),
};

FIXTURE_VARIANT_ADD(validity, ja_to_the_last_insn) {
	PROG(BPF_STMT(BPF_JMP | BPF_JA, 1), SPK_LD_NR, SPK_ALLOW),
};

FIXTURE_VARIANT_ADD(validity, load_of_the_last_word) {
	PROG(SPK_LD(60), SPK_ALLOW),
};

FIXTURE_SETUP(validity)
{
	memset(&self->it, 0, sizeof(self->it));
	if (!spk_available())
		SKIP(return, "speaker.ko is not loaded (no %s)", SPK_ROOT);
	ASSERT_EQ(0, spk_item_create(&self->it, "fuzz-validity-%d"));
}

FIXTURE_TEARDOWN(validity)
{
	spk_item_remove(&self->it);
}

TEST_F(validity, speaker_takes_it_exactly_when_seccomp_does)
{
	int real = seccomp_accepts(variant->insns, variant->len);
	int ret = spk_prog_write(&self->it, "booting", variant->insns,
				 variant->len);
	char status[160] = "";

	ASSERT_LE(0, real);
	EXPECT_EQ(real, ref_valid(variant->insns,
				  variant->len * sizeof(struct sock_filter)));
	spk_status(&self->it, "booting", status, sizeof(status));
	EXPECT_EQ(real ? 0 : -EINVAL, ret) {
		TH_LOG("seccomp %s it; speaker's status: booting %s",
		       real ? "takes" : "refuses", status);
	}
}

/*
 * A refused write changes nothing: re-targeting an attached item to a
 * namespace that another item watches fails with EBUSY, and the item
 * still filters the container it had.
 */
FIXTURE(retarget) {
	struct spk_item a, b;
	struct spk_container x, y;
};

FIXTURE_VARIANT(retarget) {
	bool nested;	/* aim at a namespace inside the other container */
};

FIXTURE_VARIANT_ADD(retarget, namespace_of_another_item) { .nested = false };
FIXTURE_VARIANT_ADD(retarget, namespace_inside_another_item) { .nested = true };

/* In the other container: make a nested namespace, report its init. */
static int nested_init_report(const struct spk_chan *ch,
			      void *arg __maybe_unused)
{
	char self[32] = "", c;
	pid_t host;
	int fds[2];
	pid_t pid;

	if (unshare(CLONE_NEWPID) || pipe(fds))
		return 1;
	pid = fork();
	if (!pid) {
		/* /proc is the host's: /proc/self names this process there. */
		if (readlink("/proc/self", self, sizeof(self) - 1) < 0)
			_exit(1);
		host = atoi(self);
		if (spk_send(ch->out, &host, sizeof(host)))
			_exit(1);
		_exit(read(fds[0], &c, 1) < 0);
	}
	while (spk_recv(ch->in, &c, 1) == 1)
		;
	close(fds[1]);
	waitpid(pid, NULL, 0);
	return 0;
}

FIXTURE_SETUP(retarget)
{
	memset(self, 0, sizeof(*self));
	if (!spk_available())
		SKIP(return, "speaker.ko is not loaded (no %s)", SPK_ROOT);
	ASSERT_EQ(0, spk_item_create(&self->a, "fuzz-a-%d"));
	ASSERT_EQ(0, spk_item_create(&self->b, "fuzz-b-%d"));
	ASSERT_EQ(0, spk_attr_printf(&self->a, "settle_ms", "%d",
				     SPK_SETTLE_FOREVER));
	ASSERT_EQ(0, spk_prog_write_all(&self->a, old_prog,
					SPK_ARRAY_SIZE(old_prog)));
	ASSERT_EQ(0, spk_prog_write_all(&self->b, old_prog,
					SPK_ARRAY_SIZE(old_prog)));
	ASSERT_EQ(0, spk_container_start(&self->x, getppid_on_request, NULL, 0));
	ASSERT_EQ(0, spk_container_start(&self->y, variant->nested ?
					 nested_init_report : spk_body_idle,
					 NULL, 0));
	ASSERT_EQ(0, spk_attr_printf(&self->a, "target", "%d", self->x.init));
	ASSERT_EQ(0, spk_attr_printf(&self->b, "target", "%d", self->y.init));
	ASSERT_EQ(0, spk_container_go(&self->x));
	ASSERT_EQ(0, spk_container_go(&self->y));
	ASSERT_EQ(OLD_DENIED, container_verdict(&self->x));
}

FIXTURE_TEARDOWN(retarget)
{
	spk_container_kill(&self->x);
	spk_container_kill(&self->y);
	spk_item_remove(&self->a);
	spk_item_remove(&self->b);
}

TEST_F(retarget, refused_with_ebusy_and_the_old_container_stays_filtered)
{
	pid_t aim = self->y.init;
	char target[32] = "", phase[32] = "";

	if (variant->nested)
		ASSERT_EQ((ssize_t)sizeof(aim),
			  spk_container_recv(&self->y, &aim, sizeof(aim)));
	EXPECT_EQ(-EBUSY, spk_attr_printf(&self->a, "target", "%d", aim));
	spk_attr_read(&self->a, "target", target, sizeof(target) - 1);
	spk_attr_read(&self->a, "phase", phase, sizeof(phase) - 1);
	target[strcspn(target, "\n")] = '\0';
	phase[strcspn(phase, "\n")] = '\0';
	EXPECT_EQ(self->x.init, atoi(target)) {
		TH_LOG("after the refused write, target reads %s and phase %s",
		       target, phase);
	}
	EXPECT_EQ(OLD_DENIED, container_verdict(&self->x)) {
		TH_LOG("the refused re-target lifted the filter of the container the item had");
	}
}

/*
 * Item names appear in log lines: 1 to 63 of A-Z a-z 0-9 _ . - (the DOC
 * block). The kernel's isalnum() also says yes to Latin-1 letters.
 */
FIXTURE(item_name) {
};

FIXTURE_VARIANT(item_name) {
	const char *name;
};

FIXTURE_VARIANT_ADD(item_name, latin1_e_acute) { .name = "caf\xe9" };
FIXTURE_VARIANT_ADD(item_name, latin1_a_grave) { .name = "\xe0-la-carte" };

FIXTURE_SETUP(item_name)
{
	if (!spk_available())
		SKIP(return, "speaker.ko is not loaded (no %s)", SPK_ROOT);
}

FIXTURE_TEARDOWN(item_name)
{
}

TEST_F(item_name, bytes_outside_the_rule_are_refused)
{
	char path[128];
	int ret, err;

	snprintf(path, sizeof(path), SPK_ROOT "/%s", variant->name);
	ret = mkdir(path, 0700);
	err = errno;
	if (!ret)
		rmdir(path);
	EXPECT_EQ(-1, ret) {
		TH_LOG("an item name with a byte >= 0x80 was made");
	}
	if (ret)
		EXPECT_EQ(EINVAL, err);
}

TEST_HARNESS_MAIN
