// SPDX-License-Identifier: GPL-2.0
/*
 * Permissions: every attribute is root-only (0600, 0400 for read-only,
 * 0200 for write-only), and every store, like making an item, needs
 * CAP_SYS_ADMIN in the initial user namespace; module parameters are set
 * at load only. A process that dropped CAP_SYS_ADMIN, and root inside a
 * user namespace (uid 0 mapped to 0: it passes the owner check of the
 * files), cannot reconfigure anything: open() or write() fails, or for
 * the program attributes, whose result configfs drops at close(), the
 * program read back is unchanged. The item under attack is attached to a
 * container, so that a store that went through would loosen or lift its
 * filter; the container is checked to be enforced after each attempt.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "speaker_util.h"
#include "kselftest_harness.h"

#define DENIED		123	/* ENOMEDIUM */

static const struct sock_filter deny_getppid[] = {
	SPK_X86_64_ONLY, SPK_LD_NR,
	SPK_ON_NR(__NR_getppid, SPK_ERRNO(DENIED)), SPK_ALLOW,
};

static const struct sock_filter allow_all[] = { SPK_ALLOW };

/* ------------------------------------------------------------------ */
/* Who tries. */

enum who {
	NO_CAP_SYS_ADMIN,	/* root that dropped CAP_SYS_ADMIN (capset) */
	USERNS_ROOT,		/* root of a new user namespace, 0 mapped to 0 */
	NOBODY,			/* uid 65534 */
};

static const char *const who_names[] = {
	[NO_CAP_SYS_ADMIN] = "root without CAP_SYS_ADMIN",
	[USERNS_ROOT] = "root in a user namespace",
	[NOBODY] = "nobody",
};

static int drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(__NR_capget, &hdr, data))
		return -errno;
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].permitted &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].inheritable &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	if (syscall(__NR_capset, &hdr, data))
		return -errno;
	return 0;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Run @fn as @who in a child; it reports @len bytes to @res. For a user
 * namespace the parent writes the child's maps, as a runtime would.
 */
static ssize_t run_as(enum who who, spk_fn fn, void *arg, void *res,
		      size_t len)
{
	int sync[2], go[2], out[2], status;
	struct spk_chan ch;
	char path[64], c;
	ssize_t got;
	pid_t pid;

	if (pipe2(sync, O_CLOEXEC) || pipe2(go, O_CLOEXEC) ||
	    pipe2(out, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		int ret = 0;

		close(out[0]);
		ch.in = -1;
		ch.out = out[1];
		if (who == NO_CAP_SYS_ADMIN)
			ret = drop_cap_sys_admin();
		else if (who == NOBODY)
			ret = setresgid(65534, 65534, 65534) ||
			      setresuid(65534, 65534, 65534) ? -errno : 0;
		else if (unshare(CLONE_NEWUSER))
			ret = -errno;
		if (who == USERNS_ROOT && !ret) {
			/* Wait for the maps, then be uid 0 inside. */
			if (spk_send(sync[1], "u", 1) || spk_recv(go[0], &c, 1) != 1)
				_exit(125);
			if (setresgid(0, 0, 0) || setresuid(0, 0, 0))
				ret = -errno;
		}
		if (ret)
			_exit(126);
		_exit(fn(&ch, arg));
	}
	close(out[1]);
	close(sync[1]);
	close(go[0]);
	if (who == USERNS_ROOT) {
		if (spk_recv(sync[0], &c, 1) == 1) {
			snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
			write_file(path, "0 0 1");
			snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
			write_file(path, "deny");
			snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
			write_file(path, "0 0 1");
		}
		spk_send(go[1], "g", 1);
	}
	close(sync[0]);
	close(go[1]);
	got = spk_recv(out[0], res, len);
	close(out[0]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) >= 125)
		return -ECHILD;
	return got;
}

/* ------------------------------------------------------------------ */
/* Attributes, their modes, and a store that would change something. */

struct attr {
	const char *name;
	mode_t mode;
	bool bin;
	const char *value;	/* text attributes: a valid store */
};

static const struct attr attrs[] = {
	{ "booting", 0600, true, NULL },
	{ "running", 0600, true, NULL },
	{ "shutdown", 0600, true, NULL },
	{ "recorded", 0600, true, NULL },
	{ "target", 0600, false, "0" },
	{ "mode", 0600, false, "complain" },
	{ "phase", 0600, false, "running" },
	{ "service", 0600, false, "evil" },
	{ "settle_ms", 0600, false, "1" },
	{ "stop_signals", 0600, false, "10" },
	{ "unload", 0200, false, "booting" },
	{ "status", 0400, false, NULL },
	{ "violations", 0400, false, NULL },
	{ "transitions", 0400, false, NULL },
	{ "detector", 0400, false, NULL },
};

/* An item attached to a container that reports getppid per request. */
struct env {
	struct spk_item it;
	struct spk_container c;
	char state[2048];	/* every readable attribute, concatenated */
};

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

static int verdict(struct spk_container *c)
{
	int err;

	if (spk_container_send(c, "?", 1) ||
	    spk_container_recv(c, &err, sizeof(err)) != sizeof(err))
		return -1;
	return err;
}

/* The configuration as text: what a store that went through would change. */
static void snapshot(const struct spk_item *it, char *out, size_t size)
{
	static const char *const keep[] = {
		"booting", "running", "shutdown", "target", "mode", "phase",
		"service", "settle_ms", "stop_signals", "status",
	};
	char buf[512];
	size_t n = 0, i, j;
	ssize_t got;

	out[0] = '\0';
	for (i = 0; i < SPK_ARRAY_SIZE(keep); i++) {
		got = spk_attr_read(it, keep[i], buf, sizeof(buf) - 1);
		n += snprintf(out + n, size - n, "%s=", keep[i]);
		for (j = 0; got > 0 && j < (size_t)got && n + 3 < size; j++)
			n += snprintf(out + n, size - n, "%02x",
				      (unsigned char)buf[j]);
		n += snprintf(out + n, size - n, ";");
	}
}

static void env_setup(struct __test_metadata *_metadata, struct env *e)
{
	memset(e, 0, sizeof(*e));
	if (!spk_available())
		SKIP(return, "speaker.ko is not loaded (no %s)", SPK_ROOT);
	ASSERT_EQ(0, spk_item_create(&e->it, "perm-%d"));
	ASSERT_EQ(0, spk_attr_printf(&e->it, "settle_ms", "%d",
				     SPK_SETTLE_FOREVER));
	ASSERT_EQ(0, spk_prog_write_all(&e->it, deny_getppid,
					SPK_ARRAY_SIZE(deny_getppid)));
	ASSERT_EQ(0, spk_container_start(&e->c, getppid_on_request, NULL, 0));
	ASSERT_EQ(0, spk_attr_printf(&e->it, "target", "%d", e->c.init));
	ASSERT_EQ(0, spk_container_go(&e->c));
	ASSERT_EQ(DENIED, verdict(&e->c));
	snapshot(&e->it, e->state, sizeof(e->state));
}

static void env_teardown(struct env *e)
{
	spk_container_kill(&e->c);
	spk_item_remove(&e->it);
}

/* The item is configured and enforcing exactly as set up. */
static void expect_untouched(struct __test_metadata *_metadata,
			     struct env *e, const char *what)
{
	char now[sizeof(e->state)];

	snapshot(&e->it, now, sizeof(now));
	EXPECT_STREQ(e->state, now) {
		TH_LOG("%s changed the item", what);
	}
	EXPECT_EQ(DENIED, verdict(&e->c)) {
		TH_LOG("after %s the container is no longer enforced", what);
	}
}

/* ------------------------------------------------------------------ */

FIXTURE(mode) {
	struct spk_item it;
};

FIXTURE_VARIANT(mode) {
	const struct attr *a;
};

FIXTURE_VARIANT_ADD(mode, booting) { .a = &attrs[0] };
FIXTURE_VARIANT_ADD(mode, running) { .a = &attrs[1] };
FIXTURE_VARIANT_ADD(mode, shutdown) { .a = &attrs[2] };
FIXTURE_VARIANT_ADD(mode, recorded) { .a = &attrs[3] };
FIXTURE_VARIANT_ADD(mode, target) { .a = &attrs[4] };
FIXTURE_VARIANT_ADD(mode, mode) { .a = &attrs[5] };
FIXTURE_VARIANT_ADD(mode, phase) { .a = &attrs[6] };
FIXTURE_VARIANT_ADD(mode, service) { .a = &attrs[7] };
FIXTURE_VARIANT_ADD(mode, settle_ms) { .a = &attrs[8] };
FIXTURE_VARIANT_ADD(mode, stop_signals) { .a = &attrs[9] };
FIXTURE_VARIANT_ADD(mode, unload) { .a = &attrs[10] };
FIXTURE_VARIANT_ADD(mode, status) { .a = &attrs[11] };
FIXTURE_VARIANT_ADD(mode, violations) { .a = &attrs[12] };
FIXTURE_VARIANT_ADD(mode, transitions) { .a = &attrs[13] };
FIXTURE_VARIANT_ADD(mode, detector) { .a = &attrs[14] };

FIXTURE_SETUP(mode)
{
	memset(&self->it, 0, sizeof(self->it));
	if (!spk_available())
		SKIP(return, "speaker.ko is not loaded (no %s)", SPK_ROOT);
	ASSERT_EQ(0, spk_item_create(&self->it, "perm-mode-%d"));
}

FIXTURE_TEARDOWN(mode)
{
	spk_item_remove(&self->it);
}

TEST_F(mode, bits_are_root_only)
{
	char path[192];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", self->it.path, variant->a->name);
	ASSERT_EQ(0, stat(path, &st)) {
		TH_LOG("%s: %s", path, strerror(errno));
	}
	EXPECT_EQ(variant->a->mode, st.st_mode & 07777) {
		TH_LOG("%s has mode %04o", variant->a->name, st.st_mode & 07777);
	}
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
}

/* nobody opens nothing, for reading or for writing. */
static int nobody_opens(const struct spk_chan *ch, void *arg)
{
	const char *path = arg;
	int res[2], fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	res[0] = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	res[1] = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	return spk_send(ch->out, res, sizeof(res)) ? 1 : 0;
}

TEST_F(mode, nobody_cannot_open_it)
{
	char path[192];
	int res[2];

	snprintf(path, sizeof(path), "%s/%s", self->it.path, variant->a->name);
	ASSERT_EQ((ssize_t)sizeof(res),
		  run_as(NOBODY, nobody_opens, path, res, sizeof(res)));
	EXPECT_EQ(EACCES, res[0]);
	EXPECT_EQ(EACCES, res[1]);
}

/* ------------------------------------------------------------------ */
/* Stores without CAP_SYS_ADMIN in the initial user namespace. */

struct attempt {
	const struct attr *a;
	const char *path;
};

/* Report: open's errno, write's errno (0: it returned success). */
static int try_store(const struct spk_chan *ch, void *arg)
{
	const struct attempt *t = arg;
	int res[2] = { 0, 0 }, fd;
	ssize_t n;

	fd = open(t->path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		res[0] = errno;
	} else {
		if (t->a->bin)
			n = write(fd, allow_all, sizeof(allow_all));
		else
			n = write(fd, t->a->value, strlen(t->a->value));
		res[1] = n < 0 ? errno : 0;
		close(fd);	/* a program is handed over here */
	}
	return spk_send(ch->out, res, sizeof(res)) ? 1 : 0;
}

FIXTURE(store) {
	struct env e;
};

FIXTURE_VARIANT(store) {
	enum who who;
};

FIXTURE_VARIANT_ADD(store, without_cap_sys_admin) { .who = NO_CAP_SYS_ADMIN };
FIXTURE_VARIANT_ADD(store, root_in_a_user_namespace) { .who = USERNS_ROOT };

FIXTURE_SETUP(store)
{
	env_setup(_metadata, &self->e);
}

FIXTURE_TEARDOWN(store)
{
	env_teardown(&self->e);
}

TEST_F(store, every_writable_attribute_refuses)
{
	char path[192], what[128];
	unsigned int i;
	int res[2];

	for (i = 0; i < SPK_ARRAY_SIZE(attrs); i++) {
		const struct attr *a = &attrs[i];
		struct attempt t = { a, path };

		if (!(a->mode & 0200))
			continue;
		snprintf(path, sizeof(path), "%s/%s", self->e.it.path, a->name);
		ASSERT_EQ((ssize_t)sizeof(res),
			  run_as(variant->who, try_store, &t, res, sizeof(res)));
		snprintf(what, sizeof(what), "a store to %s by %s", a->name,
			 who_names[variant->who]);
		if (!a->bin && !res[0]) {
			EXPECT_EQ(EPERM, res[1]) {
				TH_LOG("%s: write gave %s", what,
				       res[1] ? strerror(res[1]) : "success");
			}
		}
		if (res[0]) {
			EXPECT_EQ(EACCES, res[0]) {
				TH_LOG("%s: open gave %s", what, strerror(res[0]));
			}
		}
		expect_untouched(_metadata, &self->e, what);
	}
}

/* rmdir of the item: configfs asks nobody, speaker's drop_item detaches. */
static int try_rmdir(const struct spk_chan *ch, void *arg)
{
	int err = rmdir(arg) ? errno : 0;

	return spk_send(ch->out, &err, sizeof(err)) ? 1 : 0;
}

TEST_F(store, rmdir_does_not_lift_the_filter)
{
	int err = -1;

	ASSERT_EQ((ssize_t)sizeof(err),
		  run_as(variant->who, try_rmdir, self->e.it.path, &err,
			 sizeof(err)));
	if (!err)
		self->e.it.path[0] = '\0';	/* gone */
	EXPECT_NE(0, err) {
		TH_LOG("%s removed an attached item", who_names[variant->who]);
	}
	EXPECT_EQ(DENIED, verdict(&self->e.c)) {
		TH_LOG("after an rmdir by %s the container is no longer enforced",
		       who_names[variant->who]);
	}
}

/*
 * configfs hands a program over when the file is closed, and speaker
 * checks the capability of whoever closes it then. A program written
 * through a file that a process without CAP_SYS_ADMIN opened and wrote
 * must not take effect because a privileged process closed it last (an
 * fd passed over a socket, or inherited).
 */
static int open_write_and_pass(const struct spk_chan *ch, void *arg)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	const char *path = arg;
	int fd, sock = ch->out;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return 2;
	if (write(fd, allow_all, sizeof(allow_all)) != sizeof(allow_all))
		return 3;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) != 1)
		return 4;
	close(fd);	/* not the last reference: the parent holds one */
	return 0;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

TEST_F(store, program_written_without_the_capability_is_not_committed_by_another_closer)
{
	char path[192], status[128];
	struct sock_filter back[16];
	int sv[2], fd, st;
	pid_t pid;

	/*
	 * Known limit: configfs gives a binary attribute's handler neither
	 * the file nor its opener's credentials, only the buffer at the last
	 * close(), so speaker checks the closer. A privileged process that
	 * closes a descriptor an unprivileged one filled commits it.
	 */
	if (!getenv("SPEAKER_KNOWN_LIMITS"))
		SKIP(return, "known limit: the capability is the closer's (configfs binary attributes)");

	snprintf(path, sizeof(path), "%s/booting", self->e.it.path);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct spk_chan ch = { .in = -1, .out = sv[1] };

		close(sv[0]);
		if (variant->who == USERNS_ROOT ? unshare(CLONE_NEWUSER) :
		    drop_cap_sys_admin())
			_exit(1);
		_exit(open_write_and_pass(&ch, path));
	}
	close(sv[1]);
	fd = recv_fd(sv[0]);
	close(sv[0]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	if (fd < 0 && WIFEXITED(st) && WEXITSTATUS(st) == 2)
		SKIP(return, "%s cannot open the file at all", who_names[variant->who]);
	ASSERT_LE(0, fd) {
		TH_LOG("the child failed (status 0x%x)", st);
	}
	/* The privileged test process closes it last. */
	close(fd);

	ASSERT_EQ(0, spk_status(&self->e.it, "booting", status, sizeof(status)));
	EXPECT_EQ((ssize_t)sizeof(deny_getppid),
		  spk_prog_read(&self->e.it, "booting", back, sizeof(back))) {
		TH_LOG("status: booting %s: the program written by %s took effect",
		       status, who_names[variant->who]);
	}
	EXPECT_EQ(DENIED, verdict(&self->e.c)) {
		TH_LOG("the container's filter was loosened by %s",
		       who_names[variant->who]);
	}
}

/* ------------------------------------------------------------------ */
/* Making items and setting module parameters. */

FIXTURE(create) {
	char path[128];
};

FIXTURE_VARIANT(create) {
	enum who who;
	int err;	/* mkdir's errno */
};

FIXTURE_VARIANT_ADD(create, without_cap_sys_admin) {
	.who = NO_CAP_SYS_ADMIN, .err = EPERM,
};
FIXTURE_VARIANT_ADD(create, root_in_a_user_namespace) {
	.who = USERNS_ROOT, .err = EPERM,
};
FIXTURE_VARIANT_ADD(create, nobody) { .who = NOBODY, .err = EACCES };

FIXTURE_SETUP(create)
{
	if (!spk_available())
		SKIP(return, "speaker.ko is not loaded (no %s)", SPK_ROOT);
	snprintf(self->path, sizeof(self->path), SPK_ROOT "/perm-new-%d",
		 getpid());
}

FIXTURE_TEARDOWN(create)
{
	rmdir(self->path);
}

static int try_mkdir(const struct spk_chan *ch, void *path)
{
	int err = mkdir(path, 0700) ? errno : 0;

	return spk_send(ch->out, &err, sizeof(err)) ? 1 : 0;
}

TEST_F(create, mkdir_of_an_item_is_refused)
{
	struct stat st;
	int err;

	ASSERT_EQ((ssize_t)sizeof(err),
		  run_as(variant->who, try_mkdir, self->path, &err,
			 sizeof(err)));
	EXPECT_EQ(variant->err, err) {
		TH_LOG("mkdir by %s gave %s", who_names[variant->who],
		       err ? strerror(err) : "success");
	}
	EXPECT_NE(0, stat(self->path, &st));
}

TEST(module_parameters_are_read_only)
{
	const char *path = "/sys/module/speaker/parameters/default_settle_ms";
	struct stat st;

	if (!spk_available())
		SKIP(return, "speaker.ko is not loaded (no %s)", SPK_ROOT);
	ASSERT_EQ(0, stat(path, &st)) {
		TH_LOG("%s: %s", path, strerror(errno));
	}
	/* sysfs checks only the mode: 0644 would let root without the cap in */
	EXPECT_EQ(0444, st.st_mode & 07777);
}

TEST_HARNESS_MAIN
