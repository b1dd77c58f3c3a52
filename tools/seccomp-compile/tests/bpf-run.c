// SPDX-License-Identifier: GPL-2.0
/*
 * bpf-run - load a program that speaker-compile wrote as a real seccomp
 * filter in a forked child, make one system call there, and say what
 * happened. For the host tests: no speaker module is involved.
 *
 *	bpf-run BLOB CALL	CALL is N (x86_64), x32:N or i386:N (int 0x80)
 *	bpf-run --probe CALL	the same call without a filter
 *	bpf-run --unnamed	"MAX GAP...": the highest x86_64 number
 *				libseccomp names, then those below it that
 *				it does not name
 *
 * Prints one line: "returned", "errno N", "signal N", or "setup failed".
 * The child makes no other system call between loading the filter and
 * the call under test, then leaves with exit_group().
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_RETURNED	0
#define EXIT_SETUP	250

enum kind { NATIVE, X32, I386 };

static long call64(long nr)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "a"(nr)
		     : "rcx", "r11", "memory");
	return ret;
}

static long call_int80(long nr)
{
	int ret;

	asm volatile("int $0x80" : "=a"(ret) : "a"((int)nr), "b"(0), "c"(0),
		     "d"(0) : "r8", "r9", "r10", "r11", "memory");
	return ret;
}

static void parse_call(const char *s, enum kind *kind, long *nr)
{
	*kind = NATIVE;
	if (!strncmp(s, "x32:", 4)) {
		*kind = X32;
		s += 4;
	} else if (!strncmp(s, "i386:", 5)) {
		*kind = I386;
		s += 5;
	}
	*nr = strtol(s, NULL, 0);
	if (*kind == X32)
		*nr |= 0x40000000L;
}

static int read_blob(const char *path, struct sock_fprog *prog)
{
	static struct sock_filter insns[BPF_MAXINSNS + 1];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, insns, sizeof(insns));
	close(fd);
	if (n <= 0 || n % sizeof(insns[0]) || n == sizeof(insns))
		return -1;
	prog->len = n / sizeof(insns[0]);
	prog->filter = insns;
	return 0;
}

static void __attribute__((noreturn)) child(struct sock_fprog *prog,
					    enum kind kind, long nr)
{
	long ret;

	if (prog) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog))
			_exit(EXIT_SETUP);
	}
	ret = kind == I386 ? call_int80(nr) : call64(nr);
	if (ret < 0 && ret > -EXIT_SETUP)
		_exit((int)-ret);
	_exit(EXIT_RETURNED);
}

static int run(struct sock_fprog *prog, const char *call)
{
	enum kind kind;
	int status;
	pid_t pid;
	long nr;

	parse_call(call, &kind, &nr);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0)
		child(prog, kind, nr);
	if (waitpid(pid, &status, 0) != pid)
		return 2;
	if (WIFSIGNALED(status))
		printf("signal %d\n", WTERMSIG(status));
	else if (WEXITSTATUS(status) == EXIT_SETUP)
		printf("setup failed\n");
	else if (WEXITSTATUS(status) == EXIT_RETURNED)
		printf("returned\n");
	else
		printf("errno %d\n", WEXITSTATUS(status));
	return 0;
}

static int unnamed(void)
{
	int nr, max = 0;
	char *name;

	for (nr = 0; nr < 1024; nr++) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
		if (name)
			max = nr;
		free(name);
	}
	printf("%d", max);
	for (nr = 0; nr < max; nr++) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
		if (!name)
			printf(" %d", nr);
		free(name);
	}
	putchar('\n');
	return 0;
}

int main(int argc, char **argv)
{
	struct sock_fprog prog;

	if (argc == 2 && !strcmp(argv[1], "--unnamed"))
		return unnamed();
	if (argc != 3) {
		fprintf(stderr, "usage: bpf-run {BLOB | --probe} CALL | --unnamed\n");
		return 2;
	}
	if (!strcmp(argv[1], "--probe"))
		return run(NULL, argv[2]);
	if (read_blob(argv[1], &prog)) {
		fprintf(stderr, "bpf-run: %s: not a program\n", argv[1]);
		return 2;
	}
	return run(&prog, argv[2]);
}
