// SPDX-License-Identifier: GPL-2.0
/*
 * Audit: a violation is also an AUDIT_SECCOMP record (type 1326) with the
 * fields seccomp's own record has, plus speaker_item and speaker_phase.
 *
 * The test reads records as journald does, from the audit netlink
 * socket's read-only multicast group, which kauditd feeds whether or not
 * auditd runs (its printing to the kernel log shares printk's rate limit
 * with everything else, so it cannot be relied on): one record from
 * speaker for a denied call in a container, and, as the reference, one
 * from native seccomp for a process that a filter kills.
 */
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/netlink.h>

#include "speaker_util.h"
#include "kselftest_harness.h"

#define DENIED		123	/* ENOMEDIUM */
#define RECORD_MAX	2048

static const struct sock_filter deny_getppid[] = {
	SPK_X86_64_ONLY, SPK_LD_NR,
	SPK_ON_NR(__NR_getppid, SPK_ERRNO(DENIED)), SPK_ALLOW,
};

static const struct sock_filter kill_getppid[] = {
	SPK_X86_64_ONLY, SPK_LD_NR,
	SPK_ON_NR(__NR_getppid, SECCOMP_RET_KILL_PROCESS), SPK_ALLOW,
};

/* Join the audit multicast group; the socket, or -errno. */
static int audit_listen(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1 << (AUDIT_NLGRP_READLOG - 1),
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * Wait up to 5 s (kauditd sends asynchronously) for a type 1326 record
 * that holds @a and, unless NULL, @b but not @not; copy its text after
 * "): " into @out. 0 or -ENOENT.
 */
static int find_record(int fd, const char *a, const char *b,
		       const char *not, char *out, size_t size)
{
	char buf[8192];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *nh;
	const char *msg;
	size_t n;
	ssize_t len;
	int seen;

	/* Records of other kinds may come too: look at a bounded number. */
	for (seen = 0; seen < 1000 && poll(&pfd, 1, 5000) == 1; seen++) {
		len = recv(fd, buf, sizeof(buf) - 1, 0);
		if (len <= 0)
			break;
		buf[len] = '\0';
		nh = (struct nlmsghdr *)buf;
		if (!NLMSG_OK(nh, (size_t)len) || nh->nlmsg_type != AUDIT_SECCOMP)
			continue;
		msg = NLMSG_DATA(nh);
		if (!strstr(msg, a) || (b && !strstr(msg, b)) ||
		    (not && strstr(msg, not)))
			continue;
		if (strstr(msg, "): "))
			msg = strstr(msg, "): ") + 3;
		n = strcspn(msg, "\n");
		if (n >= size)
			n = size - 1;
		memcpy(out, msg, n);
		out[n] = '\0';
		return 0;
	}
	return -ENOENT;
}

/* Does @rec have the field @key ("key=")? */
static bool has_key(const char *rec, const char *key)
{
	size_t len = strlen(key);
	const char *p;

	for (p = rec; (p = strstr(p, key)); p += len)
		if ((p == rec || p[-1] == ' ') && p[len] == '=')
			return true;
	return false;
}

static int getppid_once(const struct spk_chan *ch, void *arg __maybe_unused)
{
	int err = syscall(__NR_getppid) == -1 ? errno : 0;

	return spk_send(ch->out, &err, sizeof(err)) ? 1 : 0;
}

static int killed_by_seccomp(void)
{
	struct sock_fprog prog = {
		.len = SPK_ARRAY_SIZE(kill_getppid),
		.filter = (struct sock_filter *)kill_getppid,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		return 2;
	syscall(__NR_getppid);
	return 3;
}

FIXTURE(audit) {
	struct spk_item it;
	struct spk_container c;
	int audit;		/* the audit multicast socket */
};

FIXTURE_SETUP(audit)
{
	self->audit = -1;
	memset(&self->it, 0, sizeof(self->it));
	memset(&self->c, 0, sizeof(self->c));
	if (!spk_available())
		SKIP(return, "speaker.ko is not loaded (no %s)", SPK_ROOT);
	self->audit = audit_listen();
	ASSERT_LE(0, self->audit) {
		TH_LOG("audit netlink socket: %s", strerror(-self->audit));
	}
	ASSERT_EQ(0, spk_item_create(&self->it, "audit-%d"));
	ASSERT_EQ(0, spk_attr_printf(&self->it, "settle_ms", "%d",
				     SPK_SETTLE_FOREVER));
	ASSERT_EQ(0, spk_prog_write_all(&self->it, deny_getppid,
					SPK_ARRAY_SIZE(deny_getppid)));
}

FIXTURE_TEARDOWN(audit)
{
	spk_container_kill(&self->c);
	spk_item_remove(&self->it);
	if (self->audit >= 0)
		close(self->audit);
}

/* The value of field @key of @rec into @out ("" when absent). */
static void field(const char *rec, const char *key, char *out, size_t size)
{
	size_t len = strlen(key), n;
	const char *p;

	out[0] = '\0';
	for (p = rec; (p = strstr(p, key)); p += len) {
		if ((p != rec && p[-1] != ' ') || p[len] != '=')
			continue;
		p += len + 1;
		n = strcspn(p, " ");
		if (n >= size)
			n = size - 1;
		memcpy(out, p, n);
		out[n] = '\0';
		return;
	}
}

/* Run getppid once in a container attached to the item; its record. */
static int container_record(struct __test_metadata *_metadata,
			    FIXTURE_DATA(audit) *self, char *rec, size_t size)
{
	char want[64];
	int err, status;

	if (spk_container_start(&self->c, getppid_once, NULL, 0) ||
	    spk_attr_printf(&self->it, "target", "%d", self->c.init) ||
	    spk_container_go(&self->c))
		return -1;
	spk_container_recv(&self->c, &err, sizeof(err));
	if (spk_container_wait(&self->c, &status))
		return -1;
	snprintf(want, sizeof(want), "speaker_item=%s ", self->it.name);
	if (find_record(self->audit, want, NULL, NULL, rec, size)) {
		TH_LOG("no type=1326 record with %s", want);
		return -1;
	}
	return 0;
}

TEST_F(audit, violation_is_a_seccomp_record_with_item_and_phase)
{
	char ours[RECORD_MAX], want[64];

	ASSERT_EQ(0, container_record(_metadata, self, ours, sizeof(ours)));
	snprintf(want, sizeof(want), " pid=%d ", self->c.init);
	EXPECT_NE(NULL, strstr(ours, want)) TH_LOG("%s in: %s", want, ours);
	snprintf(want, sizeof(want), " syscall=%d ", __NR_getppid);
	EXPECT_NE(NULL, strstr(ours, want)) TH_LOG("%s in: %s", want, ours);
	/* seccomp logs the action without its data, and no signal */
	snprintf(want, sizeof(want), " code=0x%x ", SECCOMP_RET_ERRNO);
	EXPECT_NE(NULL, strstr(ours, want)) TH_LOG("%s in: %s", want, ours);
	EXPECT_NE(NULL, strstr(ours, " sig=0 ")) TH_LOG("%s", ours);
	EXPECT_NE(NULL, strstr(ours, " arch=c000003e ")) TH_LOG("%s", ours);
	EXPECT_NE(NULL, strstr(ours, " speaker_phase=booting")) TH_LOG("%s", ours);
}

/*
 * speaker and native seccomp kill a process for the same call: speaker's
 * record has every field of seccomp's, and the same values where they do
 * not depend on the process.
 */
TEST_F(audit, kill_record_matches_native_seccomps)
{
	static const char *const same[] = {
		"sig", "arch", "syscall", "compat", "code", "uid", "auid",
	};
	char ours[RECORD_MAX], theirs[RECORD_MAX], want[64], key[64];
	char a[64], b[64];
	const char *p, *eq;
	unsigned int i;
	int status;
	pid_t pid;

	ASSERT_EQ(0, spk_prog_write_all(&self->it, kill_getppid,
					SPK_ARRAY_SIZE(kill_getppid)));
	ASSERT_EQ(0, container_record(_metadata, self, ours, sizeof(ours)));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(killed_by_seccomp());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
	snprintf(want, sizeof(want), " pid=%d ", pid);
	ASSERT_EQ(0, find_record(self->audit, want, " syscall=", "speaker_item",
				 theirs, sizeof(theirs))) {
		TH_LOG("native seccomp wrote no record: is audit off (audit=0)?");
	}

	for (p = theirs; p && (eq = strchr(p, '=')); p = strchr(eq, ' ')) {
		p += strspn(p, " ");
		snprintf(key, sizeof(key), "%.*s", (int)(eq - p), p);
		EXPECT_TRUE(has_key(ours, key)) {
			TH_LOG("seccomp's field %s is missing:\n  seccomp: %s\n  speaker: %s",
			       key, theirs, ours);
		}
	}
	for (i = 0; i < SPK_ARRAY_SIZE(same); i++) {
		field(ours, same[i], a, sizeof(a));
		field(theirs, same[i], b, sizeof(b));
		EXPECT_STREQ(b, a) {
			TH_LOG("%s differs:\n  seccomp: %s\n  speaker: %s",
			       same[i], theirs, ours);
		}
	}
}

TEST_HARNESS_MAIN
