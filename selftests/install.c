// SPDX-License-Identifier: GPL-2.0
/*
 * make install and make uninstall inside the test VM, for the guest's
 * kernel, with the module under test ($SPEAKER_KO): the module lands in
 * /lib/modules/$(uname -r)/updates/ where depmod and modprobe find it, the
 * tools, man pages, hooks.d files and profiles under /usr/local.
 *
 * DESTDIR is $SPEAKER_INSTALL_ROOT. Given as /, the install goes into the
 * guest's own root (its tmpfs overlay) and make runs depmod there: that
 * takes minutes under TCG (depmod reads every module of the kernel), so
 * make check-install does it. By default (make check) the install goes
 * into a staging root that holds only what make install puts there, the
 * test runs depmod -b on it and modprobe -d from it: the same lookup in
 * seconds. Either way the module is then loaded from its installed place
 * and stays loaded for the tests after this one.
 *
 * The tests build on each other and run in this order.
 */

#include <json-c/json.h>
#include <sys/utsname.h>

#include "cmd_util.h"
#include "kselftest_harness.h"

#define PREFIX		"/usr/local"
#define MODULE_VERSION	"0.1.0"
#define STAGING_ROOT	"/tmp/speaker-install-root"
/* depmod of a whole kernel under TCG, twice (install, uninstall) */
#define MAKE_TIMEOUT	600

static char out[CMD_OUT_MAX];

FIXTURE(install) {
	char root[PATH_MAX];	/* DESTDIR: "" for / */
	char kver[65];
	char ko[PATH_MAX * 2];	/* the installed module */
	char kmod_opts[PATH_MAX + 8];	/* -d ROOT for a staging root */
	bool real;
};

FIXTURE_SETUP(install)
{
	const char *root = getenv("SPEAKER_INSTALL_ROOT");
	struct utsname u;

	ASSERT_EQ(0, uname(&u));
	snprintf(self->kver, sizeof(self->kver), "%s", u.release);
	self->real = root && !strcmp(root, "/");
	snprintf(self->root, sizeof(self->root), "%s",
		 self->real ? "" : root && *root ? root : STAGING_ROOT);
	snprintf(self->ko, sizeof(self->ko),
		 "%s/lib/modules/%s/updates/speaker.ko", self->root,
		 self->kver);
	snprintf(self->kmod_opts, sizeof(self->kmod_opts), "%s%s",
		 self->real ? "" : "-d ", self->root);
}

FIXTURE_TEARDOWN(install)
{
}

/* make TARGET with DESTDIR and KVER; in a staging root, depmod -b too. */
static int make_target(const FIXTURE_DATA(install) *self, const char *target)
{
	const char *ko = getenv("SPEAKER_KO");
	int ret;

	ret = cmd_run(out, sizeof(out),
		      "make -C '%s' --no-print-directory %s DESTDIR=%s KVER=%s KO='%s'",
		      cmd_root(), target, self->real ? "/" : self->root,
		      self->kver, ko ? ko : "");
	if (ret || self->real)
		return ret;
	return cmd_run(out + strlen(out), sizeof(out) - strlen(out),
		       "depmod -b %s %s", self->root, self->kver);
}

static const char *modinfo(const FIXTURE_DATA(install) *self,
			   const char *field)
{
	static char buf[512];

	if (cmd_run(buf, sizeof(buf), "modinfo %s%s -k %s -F %s speaker",
		    self->real ? "" : "-b ", self->root, self->kver, field))
		return "";
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

TEST_F_TIMEOUT(install, make_install_puts_module_in_updates_and_depmod_finds_it,
	       MAKE_TIMEOUT)
{
	if (!getenv("SPEAKER_KO"))
		SKIP(return, "needs SPEAKER_KO (vm-run --module)");
	if (!self->real)
		cmd_run(NULL, 0, "rm -rf %s", self->root);
	ASSERT_EQ(0, make_target(self, "install")) {
		TH_LOG("make install failed:\n%s", out);
	}
	EXPECT_TRUE(cmd_is_file(self->ko));
	EXPECT_EQ(0, cmd_run(out, sizeof(out), "cmp '%s' '%s'", self->ko,
			     getenv("SPEAKER_KO"))) {
		TH_LOG("the installed module is not the one under test: %s", out);
	}
	EXPECT_STREQ(self->ko, modinfo(self, "filename")) {
		TH_LOG("depmod does not find the installed module");
	}
}

TEST_F(install, modprobe_loads_the_installed_module)
{
	ASSERT_TRUE(cmd_is_file(self->ko)) {
		TH_LOG("%s not installed (see the test before)", self->ko);
	}
	cmd_remove_all_items();
	ASSERT_EQ(0, cmd_run(out, sizeof(out),
			     "! [ -d /sys/module/speaker ] || rmmod speaker")) {
		TH_LOG("rmmod speaker: %s", out);
	}
	EXPECT_EQ(0, cmd_run(out, sizeof(out), "modprobe -v %s speaker",
			     self->kmod_opts)) {
		TH_LOG("modprobe speaker: %s", out);
	}
	EXPECT_NE(NULL, strstr(out, self->ko)) {
		TH_LOG("modprobe loaded another file: %s", out);
	}
	EXPECT_TRUE(cmd_is_dir("/sys/module/speaker"));
	EXPECT_TRUE(cmd_is_dir("/sys/kernel/config/speaker"));
}

TEST_F(install, modinfo_shows_description_version_license_and_parameters)
{
	EXPECT_STRNE("", modinfo(self, "description"));
	EXPECT_STRNE("", modinfo(self, "license"));
	EXPECT_STREQ(MODULE_VERSION, modinfo(self, "version"));
	EXPECT_NE(NULL, strstr(modinfo(self, "parm"), "default_settle_ms:")) {
		TH_LOG("modinfo -F parm: %s", modinfo(self, "parm"));
	}
}

/* "ROOT/usr/local/PATH" */
static const char *at(const FIXTURE_DATA(install) *self, const char *path)
{
	static char buf[4][PATH_MAX * 2];
	static int next;

	next = (next + 1) % 4;
	if (snprintf(buf[next], sizeof(buf[next]), "%s" PREFIX "/%s",
		     self->root, path) >= (int)sizeof(buf[next]))
		return "/nonexistent";
	return buf[next];
}

TEST_F(install, installed_tools_and_man_pages)
{
	static const char *const runs[] = {
		"bin/speaker-compile --version",
		"bin/speaker-oci-hook --version",
		"bin/speaker-run --help",
	};
	static const char *const files[] = {
		"share/man/man1/speaker-compile.1",
		"share/man/man1/speaker-oci-hook.1",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(runs); i++) {
		EXPECT_EQ(0, cmd_run(out, sizeof(out), "%s", at(self, runs[i]))) {
			TH_LOG("%s: %s", runs[i], out);
		}
	}
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		EXPECT_TRUE(cmd_is_file(at(self, files[i]))) {
			TH_LOG("%s missing", at(self, files[i]));
		}
	}
	/* Installed, speaker-run uses the speaker-compile beside it. */
	EXPECT_EQ(0, cmd_run(out, sizeof(out),
			     "grep -q 'COMPILE=.*\\$here/speaker-compile}' %s",
			     at(self, "bin/speaker-run")));
}

TEST_F(install, installed_profiles_match_the_source_tree)
{
	EXPECT_EQ(0, cmd_run(out, sizeof(out),
			     "cd '%s' && for p in profiles/*/booting; do "
			     "[ -e \"$p\" ] || continue; d=${p%%/booting}; "
			     "for f in booting running shutdown; do "
			     "cmp \"$d/$f\" %s/$d/$f || exit 1; "
			     "done; done", cmd_root(), at(self, "share/speaker"))) {
		TH_LOG("%s", out);
	}
}

TEST_F(install, installed_hooks_d_files_run_the_installed_hook)
{
	static const char *const stages[] = { "createRuntime", "poststop" };
	static const char *const names[] = { "create", "poststop" };
	struct json_object *o, *hook, *v;
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "share/speaker/hooks.d/speaker-%s.json",
			 names[i]);
		o = json_object_from_file(at(self, path));
		ASSERT_NE(NULL, o) {
			TH_LOG("%s: %s", path, json_util_get_last_err());
		}
		json_object_object_get_ex(o, "hook", &hook);
		json_object_object_get_ex(hook, "path", &v);
		/* the path the hook will have, without DESTDIR */
		EXPECT_STREQ(PREFIX "/bin/speaker-oci-hook",
			     json_object_get_string(v));
		json_object_object_get_ex(o, "stages", &v);
		EXPECT_STREQ(stages[i], json_object_get_string(
				json_object_array_get_idx(v, 0)));
		json_object_object_get_ex(o, "version", &v);
		EXPECT_STREQ("1.0.0", json_object_get_string(v));
		json_object_put(o);
	}
}

TEST_F_TIMEOUT(install, uninstall_removes_what_install_added, MAKE_TIMEOUT)
{
	ASSERT_EQ(0, make_target(self, "uninstall")) {
		TH_LOG("make uninstall failed:\n%s", out);
	}
	EXPECT_FALSE(cmd_is_file(self->ko));
	EXPECT_FALSE(cmd_is_file(at(self, "bin/speaker-compile")));
	EXPECT_FALSE(cmd_is_file(at(self, "bin/speaker-oci-hook")));
	EXPECT_FALSE(cmd_is_file(at(self, "bin/speaker-run")));
	EXPECT_FALSE(cmd_is_file(at(self, "share/man/man1/speaker-compile.1")));
	EXPECT_FALSE(cmd_is_dir(at(self, "share/speaker")));
	EXPECT_STREQ("", modinfo(self, "filename")) {
		TH_LOG("depmod still finds speaker");
	}
	/* The loaded module stays: the tests after this one use it. */
	EXPECT_TRUE(cmd_is_dir("/sys/module/speaker"));
	if (!self->real)
		cmd_run(NULL, 0, "rm -rf %s", self->root);
}

TEST_HARNESS_MAIN
