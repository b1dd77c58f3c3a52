// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading speaker.ko: its configfs subsystem, item
 * directories and their name rule, and the pin an item holds on the
 * module. Runs as root in a test VM with the module loaded and
 * SPEAKER_KO naming its file, so the unload tests can load it again.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define MODULE_NAME	"speaker"
#define SYSFS_DIR	"/sys/module/speaker"
#define CONFIG_DIR	"/sys/kernel/config/speaker"

/* 63 characters: the longest valid item name. */
#define NAME_63 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int delete_module(const char *name, unsigned int flags)
{
	return syscall(__NR_delete_module, name, flags);
}

/* finit_module() the file at @path; -1 with errno set on failure. */
static int load_module(const char *path)
{
	int fd, ret, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(__NR_finit_module, fd, "", 0);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

/* /dev/kmsg, positioned so that reads return only records logged later. */
static int kmsg_open_at_end(void)
{
	int fd;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether a record read from @fd holds both @a and @b in its message. */
static bool kmsg_has(int fd, const char *a, const char *b)
{
	char rec[8192];
	const char *msg;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten: read on */
		if (n <= 0)
			return false;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (msg && strstr(msg, a) && strstr(msg, b))
			return true;
	}
}

/* The module as loaded by vm-run --module. */
FIXTURE(module) {
};

FIXTURE_SETUP(module)
{
}

FIXTURE_TEARDOWN(module)
{
}

TEST_F(module, appears_in_sysfs)
{
	EXPECT_TRUE(is_dir(SYSFS_DIR)) {
		TH_LOG("speaker.ko is not loaded: did vm-run --module load it?");
	}
}

TEST_F(module, registers_configfs_subsystem)
{
	ASSERT_TRUE(is_dir("/sys/kernel/config")) {
		TH_LOG("configfs is not mounted at /sys/kernel/config");
	}
	EXPECT_TRUE(is_dir(CONFIG_DIR));
}

/* An item made by mkdir in setup. */
FIXTURE(item) {
	char path[PATH_MAX];
};

FIXTURE_SETUP(item)
{
	ASSERT_TRUE(is_dir(CONFIG_DIR)) {
		TH_LOG("no %s: is speaker.ko loaded?", CONFIG_DIR);
	}
	snprintf(self->path, sizeof(self->path), "%s/selftest-%d",
		 CONFIG_DIR, getpid());
	ASSERT_EQ(0, mkdir(self->path, 0755)) {
		TH_LOG("mkdir %s: %s", self->path, strerror(errno));
	}
}

FIXTURE_TEARDOWN(item)
{
	rmdir(self->path);	/* the test may have removed it */
}

TEST_F(item, mkdir_creates_target_mode_phase_attributes)
{
	static const char *const attrs[] = { "target", "mode", "phase" };
	char path[PATH_MAX + 16];
	size_t i;

	EXPECT_TRUE(is_dir(self->path));
	for (i = 0; i < ARRAY_SIZE(attrs); i++) {
		snprintf(path, sizeof(path), "%s/%s", self->path, attrs[i]);
		EXPECT_TRUE(is_file(path)) {
			TH_LOG("attribute %s missing", path);
		}
	}
}

TEST_F(item, rmdir_removes_item)
{
	EXPECT_EQ(0, rmdir(self->path)) {
		TH_LOG("rmdir %s: %s", self->path, strerror(errno));
	}
	EXPECT_FALSE(is_dir(self->path));
}

/* Item names: 1 to 63 of [A-Za-z0-9_.-], not starting with '.'. */
FIXTURE(item_name) {
};

FIXTURE_VARIANT(item_name) {
	const char *name;
	int err;		/* what mkdir must fail with, 0 for success */
};

FIXTURE_VARIANT_ADD(item_name, accepts_63_chars) {
	.name = NAME_63,
	.err = 0,
};

FIXTURE_VARIANT_ADD(item_name, accepts_dash_dot_underscore) {
	.name = "redis-1.test_x",
	.err = 0,
};

FIXTURE_VARIANT_ADD(item_name, rejects_64_chars) {
	.name = NAME_63 "x",
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(item_name, rejects_leading_dot) {
	.name = ".hidden",
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(item_name, rejects_space) {
	.name = "redis 1",
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(item_name, rejects_colon) {
	.name = "redis:1",
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(item_name, rejects_star) {
	.name = "redis*",
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(item_name, rejects_non_ascii) {
	.name = "caf\xc3\xa9",
	.err = EINVAL,
};

FIXTURE_SETUP(item_name)
{
	ASSERT_TRUE(is_dir(CONFIG_DIR)) {
		TH_LOG("no %s: is speaker.ko loaded?", CONFIG_DIR);
	}
}

FIXTURE_TEARDOWN(item_name)
{
}

TEST_F(item_name, mkdir_enforces_rule)
{
	char path[PATH_MAX];
	int ret, err;

	snprintf(path, sizeof(path), "%s/%s", CONFIG_DIR, variant->name);
	ret = mkdir(path, 0755);
	err = ret ? errno : 0;
	if (ret == 0)
		rmdir(path);
	EXPECT_EQ(variant->err, err) {
		TH_LOG("mkdir \"%s\": %s", variant->name,
		       ret ? strerror(err) : "created");
	}
}

/*
 * Unloading. Every test leaves the module loaded again (teardown reloads
 * it from SPEAKER_KO) so that later tests and programs still have it.
 */
FIXTURE(unload) {
	const char *ko;
};

FIXTURE_SETUP(unload)
{
	self->ko = getenv("SPEAKER_KO");
	ASSERT_NE(NULL, self->ko) {
		TH_LOG("SPEAKER_KO must name speaker.ko (vm-run --module sets it)");
	}
	ASSERT_TRUE(is_dir(SYSFS_DIR)) {
		TH_LOG("speaker.ko is not loaded");
	}
}

FIXTURE_TEARDOWN(unload)
{
	if (!is_dir(SYSFS_DIR) && load_module(self->ko))
		TH_LOG("cannot load %s again: %s", self->ko, strerror(errno));
}

/*
 * A configfs item holds a reference on its subsystem's owner, and
 * delete_module() refuses a module in use with EWOULDBLOCK (try_stop_module()
 * in kernel/module/main.c; EBUSY is only for a module still initialising or
 * already going away).
 */
TEST_F(unload, refused_with_ewouldblock_while_item_exists)
{
	char path[PATH_MAX];
	int ret, err;

	snprintf(path, sizeof(path), "%s/pin-%d", CONFIG_DIR, getpid());
	ASSERT_EQ(0, mkdir(path, 0755)) {
		TH_LOG("mkdir %s: %s", path, strerror(errno));
	}
	ret = delete_module(MODULE_NAME, O_NONBLOCK);
	err = errno;
	rmdir(path);
	EXPECT_EQ(-1, ret) {
		TH_LOG("the module unloaded under a live configfs item");
	}
	EXPECT_EQ(EWOULDBLOCK, err) {
		TH_LOG("delete_module: %s", strerror(err));
	}
}

TEST_F(unload, removes_sysfs_and_configfs_entries)
{
	ASSERT_EQ(0, delete_module(MODULE_NAME, O_NONBLOCK)) {
		TH_LOG("delete_module: %s", strerror(errno));
	}
	EXPECT_FALSE(is_dir(SYSFS_DIR));
	EXPECT_FALSE(is_dir(CONFIG_DIR));
}

TEST_F(unload, reload_logs_version_and_restores_configfs)
{
	char path[PATH_MAX];
	int kmsg;

	ASSERT_EQ(0, delete_module(MODULE_NAME, O_NONBLOCK)) {
		TH_LOG("delete_module: %s", strerror(errno));
	}
	kmsg = kmsg_open_at_end();
	ASSERT_LE(0, kmsg) {
		TH_LOG("open /dev/kmsg: %s", strerror(errno));
	}
	ASSERT_EQ(0, load_module(self->ko)) {
		TH_LOG("finit_module %s: %s", self->ko, strerror(errno));
	}
	EXPECT_TRUE(kmsg_has(kmsg, "speaker: version ", " loaded")) {
		TH_LOG("no \"speaker: version X loaded\" line after loading");
	}
	close(kmsg);
	EXPECT_TRUE(is_dir(CONFIG_DIR));
	snprintf(path, sizeof(path), "%s/again-%d", CONFIG_DIR, getpid());
	EXPECT_EQ(0, mkdir(path, 0755));
	EXPECT_EQ(0, rmdir(path));
}

TEST_HARNESS_MAIN
