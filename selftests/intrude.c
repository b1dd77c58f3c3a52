// SPDX-License-Identifier: GPL-2.0
/*
 * intrude: play an attacker who has code execution inside a container.
 *
 *   intrude PID ATTACK...
 *
 * Joins the PID and mount namespaces of PID (the container's init as the
 * host sees it), then, for each ATTACK, forks a child that is born inside
 * the container and whose very first system call is the attack:
 *
 *   exec      execve("/bin/sh", ...)                  a shell
 *   rawsock   socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)  a raw socket
 *   ptrace    ptrace(PTRACE_ATTACH, 1)                 the container's init
 *   mount     mount("none", "/tmp", "tmpfs")           a new file system
 *   unshare   unshare(CLONE_NEWUSER)                   a user namespace
 *
 * The child is forked with a raw clone() so that no libc code runs a
 * system call between its birth and the attack. It stores the attack's
 * result in shared memory (no system call) before it exits. One line per
 * attack: "intrude: ATTACK: stopped: killed by signal 31 (SIGSYS)",
 * "... stopped: failed with errno N (...)" or "... NOT STOPPED: ...".
 * Exit status: 0 if every attack was killed by a signal, 1 if one was only
 * refused with an errno (the kernel, not a filter, may have refused it),
 * 2 if one succeeded, 3 on a usage or setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct result {
	volatile long done;
	volatile long ret;
};

static long attack(const char *what)
{
	static char *const argv[] = { "sh", "-c", "echo pwned", NULL };
	static char *const envp[] = { NULL };

	if (!strcmp(what, "exec"))
		return syscall(SYS_execve, "/bin/sh", argv, envp);
	if (!strcmp(what, "rawsock"))
		return syscall(SYS_socket, AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (!strcmp(what, "ptrace"))
		return syscall(SYS_ptrace, PTRACE_ATTACH, 1, 0, 0);
	if (!strcmp(what, "mount"))
		return syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, 0);
	if (!strcmp(what, "unshare"))
		return syscall(SYS_unshare, CLONE_NEWUSER);
	return -2;
}

static int join(const char *pid, const char *ns)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, 0)) {
		fprintf(stderr, "intrude: cannot join %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int run(const char *what, struct result *r)
{
	int status;
	long pid;

	memset((void *)r, 0, sizeof(*r));
	pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid < 0) {
		perror("intrude: clone");
		return 3;
	}
	if (pid == 0) {
		/* Inside: the attack is this task's first system call. */
		r->ret = attack(what);
		r->done = 1;
		syscall(SYS_exit_group, 0);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("intrude: waitpid");
		return 3;
	}
	if (WIFSIGNALED(status)) {
		printf("intrude: %s: stopped: killed by signal %d (%s)\n", what,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
		return 0;
	}
	if (r->done && r->ret == -1) {
		printf("intrude: %s: stopped: failed with errno (%s) but not killed\n",
		       what, "see the kernel log");
		return 1;
	}
	printf("intrude: %s: NOT STOPPED: returned %ld, exit status %d\n",
	       what, r->done ? r->ret : -1, WEXITSTATUS(status));
	return 2;
}

int main(int argc, char **argv)
{
	static const char *const known[] = {
		"exec", "rawsock", "ptrace", "mount", "unshare",
	};
	struct rlimit nocore = { 0, 0 };
	struct result *r;
	int i, k, worst = 0, ret;

	if (argc < 3) {
		fprintf(stderr, "usage: intrude PID ATTACK...\n"
			"attacks: exec rawsock ptrace mount unshare\n");
		return 3;
	}
	for (i = 2; i < argc; i++) {
		for (k = 0; k < (int)(sizeof(known) / sizeof(known[0])); k++)
			if (!strcmp(argv[i], known[k]))
				break;
		if (k == (int)(sizeof(known) / sizeof(known[0]))) {
			fprintf(stderr, "intrude: unknown attack '%s'\n", argv[i]);
			return 3;
		}
	}
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		perror("intrude: mmap");
		return 3;
	}
	/* A child killed by SIGSYS would dump core into the container. */
	setrlimit(RLIMIT_CORE, &nocore);
	if (join(argv[1], "pid") || join(argv[1], "mnt"))
		return 3;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 2; i < argc; i++) {
		ret = run(argv[i], r);
		if (ret > worst)
			worst = ret;
	}
	return worst;
}
