// SPDX-License-Identifier: GPL-2.0
/*
 * speaker-oci-hook under real container runtimes: runc with an OCI bundle
 * whose config.json carries createRuntime and poststop hooks, and podman
 * with --hooks-dir and the shipped hooks.d files. The container is
 * /usr/bin/echo with the guest's /usr bound in read-only.
 *
 * The claim under test: the hook attaches the item while the container's
 * init is still the runtime's, so the entrypoint runs under the booting
 * filter from its first instruction. Its profile allows every call in
 * booting but access(), which the dynamic loader makes as the
 * entrypoint's third call and the runtime does not make after the hook:
 * exactly one call is denied, in booting, by echo.
 *
 * podman takes long under TCG (import, then several seconds per run): its
 * tests run when SPEAKER_CONTAINER_TESTS=1, as make check-containers sets,
 * and skip in make check. runc covers the same claim there.
 */

#include <json-c/json.h>

#include "cmd_util.h"
#include "kselftest_harness.h"

#define CONFIGFS	"/sys/kernel/config/speaker"
#define IMAGE		"localhost/speaker-selftest:latest"
#define PODMAN		"podman --storage-driver vfs --cgroup-manager cgroupfs " \
			"--events-backend file"

/* Docker profiles imported as phase lists: all calls, all but access. */
#define ALLOW_ALL	"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": []}"
#define ALLOW_NO_ACCESS	"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": " \
			"[{\"names\": [\"access\"], \"action\": \"SCMP_ACT_ERRNO\"}]}"

/* What a Go program's runtime may call at any time (see the trace test). */
#define GO_RUNTIME_CALLS "sched_yield getpid gettid tgkill nanosleep futex " \
			"clone clone3 rt_sigprocmask rt_sigaction sigaltstack " \
			"set_robust_list rseq mmap munmap mprotect madvise"

static char out[CMD_OUT_MAX];

struct env {
	char dir[64];			/* everything of one test */
	char bundle[PATH_MAX];
	char profiles[PATH_MAX];
	char log[PATH_MAX];
	char hook[PATH_MAX];
	char compile[PATH_MAX];
};

/* One annotation of the container. */
struct note {
	const char *key;
	const char *value;
};

static int tool_paths(struct env *e)
{
	snprintf(e->hook, sizeof(e->hook), "%s/tools/oci-hook/speaker-oci-hook",
		 cmd_root());
	snprintf(e->compile, sizeof(e->compile),
		 "%s/tools/seccomp-compile/speaker-compile", cmd_root());
	return access(e->hook, X_OK) || access(e->compile, X_OK) ? -1 : 0;
}

/* DIR/profiles/NAME/{booting,running,shutdown} from Docker profiles. */
static int make_profile(struct env *e, const char *name, const char *booting,
			const char *others)
{
	static const char *const phases[] = { "booting", "running", "shutdown" };
	char path[PATH_MAX + 64];
	int i;

	snprintf(path, sizeof(path), "%s/%s", e->profiles, name);
	if (mkdir(path, 0755))
		return -1;
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s.json", e->dir, phases[i]);
		if (cmd_write_file(path, i ? others : booting))
			return -1;
		if (cmd_run(out, sizeof(out),
			    "'%s' --import-docker %s/%s.json > %s/%s/%s",
			    e->compile, e->dir, phases[i], e->profiles, name,
			    phases[i]))
			return -1;
	}
	return 0;
}

/* The rootfs: directories, merged-/usr links; /usr is bound in later. */
static int make_rootfs(const char *root)
{
	return cmd_run(out, sizeof(out),
		       "mkdir -p %s/usr %s/proc %s/dev %s/sys %s/tmp %s/etc && "
		       "ln -s usr/bin %s/bin && ln -s usr/lib %s/lib && "
		       "ln -s usr/lib64 %s/lib64 && ln -s usr/sbin %s/sbin",
		       root, root, root, root, root, root, root, root, root,
		       root);
}

static int env_setup(struct env *e)
{
	char root[PATH_MAX + 16];

	snprintf(e->dir, sizeof(e->dir), "/tmp/speaker-oci.XXXXXX");
	if (!mkdtemp(e->dir) || tool_paths(e))
		return -1;
	snprintf(e->bundle, sizeof(e->bundle), "%s/bundle", e->dir);
	snprintf(e->profiles, sizeof(e->profiles), "%s/profiles", e->dir);
	snprintf(e->log, sizeof(e->log), "%s/hook.log", e->dir);
	snprintf(root, sizeof(root), "%s/rootfs", e->bundle);
	if (mkdir(e->bundle, 0755) || mkdir(e->profiles, 0755) ||
	    make_rootfs(root))
		return -1;
	if (make_profile(e, "all", ALLOW_ALL, ALLOW_ALL) ||
	    make_profile(e, "no-access", ALLOW_NO_ACCESS, ALLOW_ALL))
		return -1;
	return cmd_write_file(e->log, "");
}

static void env_teardown(struct env *e)
{
	cmd_remove_all_items();
	if (e->dir[0])
		cmd_run(NULL, 0, "rm -rf %s", e->dir);
}

/* An item attribute, its first line only with @first_line. */
static const char *item_attr(const char *item, const char *attr,
			     bool first_line)
{
	static char buf[8192];
	char path[PATH_MAX];

	snprintf(path, sizeof(path), CONFIGFS "/%s/%s", item, attr);
	if (cmd_read_file(path, buf, sizeof(buf)) < 0)
		return "(unreadable)";
	if (first_line)
		buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static bool item_exists(const char *item)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), CONFIGFS "/%s", item);
	return cmd_is_dir(path);
}

/* --- runc --------------------------------------------------------------- */

static struct json_object *strings(const char *const *v)
{
	struct json_object *a = json_object_new_array();

	for (; *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static struct json_object *hook_entry(const struct env *e, const char *stage)
{
	const char *argv[] = { e->hook, "--profiles", e->profiles, "--log",
			       e->log, stage, NULL };
	struct json_object *h = json_object_new_object();
	struct json_object *list = json_object_new_array();

	json_object_object_add(h, "path", json_object_new_string(e->hook));
	json_object_object_add(h, "args", strings(argv));
	json_object_array_add(list, h);
	return list;
}

static struct json_object *usr_mount(void)
{
	static const char *const opts[] = { "rbind", "ro", NULL };
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "destination", json_object_new_string("/usr"));
	json_object_object_add(m, "type", json_object_new_string("bind"));
	json_object_object_add(m, "source", json_object_new_string("/usr"));
	json_object_object_add(m, "options", strings(opts));
	return m;
}

/*
 * config.json from "runc spec", with echo as the entrypoint, /usr bound,
 * the hooks and @notes as annotations.
 */
static int runc_config(const struct env *e, const struct note *notes)
{
	static const char *const args[] = { "/usr/bin/echo", "hello", NULL };
	struct json_object *c, *process, *mounts, *hooks, *ann;
	char path[PATH_MAX + 16];
	int ret;

	if (cmd_run(out, sizeof(out), "cd %s && rm -f config.json && runc spec",
		    e->bundle))
		return -1;
	snprintf(path, sizeof(path), "%s/config.json", e->bundle);
	c = json_object_from_file(path);
	if (!c)
		return -1;
	json_object_object_get_ex(c, "process", &process);
	json_object_object_add(process, "terminal",
			       json_object_new_boolean(false));
	json_object_object_add(process, "args", strings(args));
	json_object_object_get_ex(c, "mounts", &mounts);
	json_object_array_add(mounts, usr_mount());
	hooks = json_object_new_object();
	json_object_object_add(hooks, "createRuntime", hook_entry(e, "create"));
	json_object_object_add(hooks, "poststop", hook_entry(e, "poststop"));
	json_object_object_add(c, "hooks", hooks);
	ann = json_object_new_object();
	for (; notes && notes->key; notes++)
		json_object_object_add(ann, notes->key,
				       json_object_new_string(notes->value));
	json_object_object_add(c, "annotations", ann);
	ret = json_object_to_file_ext(path, c, JSON_C_TO_STRING_PRETTY);
	json_object_put(c);
	return ret;
}

static int runc_run(const struct env *e, const char *id)
{
	return cmd_run(out, sizeof(out), "runc run -b %s %s </dev/null",
		       e->bundle, id);
}

FIXTURE(runc) {
	struct env e;
};

FIXTURE_SETUP(runc)
{
	if (!cmd_have("runc"))
		SKIP(return, "needs runc");
	ASSERT_TRUE(cmd_is_dir(CONFIGFS)) {
		TH_LOG("no %s: is speaker.ko loaded?", CONFIGFS);
	}
	ASSERT_EQ(0, env_setup(&self->e)) {
		TH_LOG("setting up a bundle in %s failed (hook and speaker-compile built?):\n%s",
		       self->e.dir, out);
	}
}

FIXTURE_TEARDOWN(runc)
{
	env_teardown(&self->e);
}

TEST_F(runc, entrypoint_runs_under_booting_filter_from_first_exec)
{
	const struct note notes[] = {
		{ "io.speaker.profile", "no-access" },
		{ "io.speaker.default-action", "errno:EPERM" },
		{ "io.speaker.keep", "true" },
		{ NULL, NULL }
	};
	const char *item = "spk-runc-first";

	ASSERT_EQ(0, runc_config(&self->e, notes));
	EXPECT_EQ(0, runc_run(&self->e, item)) {
		TH_LOG("runc run: %s", out);
	}
	EXPECT_NE(NULL, strstr(out, "hello"));
	ASSERT_TRUE(item_exists(item)) {
		TH_LOG("no item %s; runc said:\n%s", item, out);
	}
	EXPECT_STREQ("booting 1", item_attr(item, "violations", true)) {
		TH_LOG("violations:\n%s", item_attr(item, "violations", false));
	}
	EXPECT_NE(NULL, strstr(item_attr(item, "violations", false),
			       "comm echo phase booting syscall access")) {
		TH_LOG("the denied call is not echo's access() in booting:\n%s",
		       item_attr(item, "violations", false));
	}
	/* Attached while the init was runc's, not yet the entrypoint. */
	EXPECT_NE(NULL, strstr(item_attr(item, "transitions", true),
			       "booting +0.000s pid")) {
		TH_LOG("transitions:\n%s", item_attr(item, "transitions", false));
	}
	EXPECT_NE(NULL, strstr(item_attr(item, "transitions", true), "runc:"));
}

TEST_F(runc, poststop_removes_item_of_clean_run)
{
	const struct note notes[] = {
		{ "io.speaker.profile", "all" },
		{ "io.speaker.name", "spk-runc-clean" },
		{ NULL, NULL }
	};
	char log[4096];

	ASSERT_EQ(0, runc_config(&self->e, notes));
	EXPECT_EQ(0, runc_run(&self->e, "runc-clean")) {
		TH_LOG("runc run: %s", out);
	}
	EXPECT_NE(NULL, strstr(out, "hello"));
	cmd_read_file(self->e.log, log, sizeof(log));
	EXPECT_NE(NULL, strstr(log, "spk-runc-clean: container runc-clean, PID")) {
		TH_LOG("the create hook did not attach; its log:\n%s", log);
	}
	EXPECT_NE(NULL, strstr(log, "violations: booting 0,running 0,shutdown 0")) {
		TH_LOG("hook log:\n%s", log);
	}
	EXPECT_FALSE(item_exists("spk-runc-clean"));
}

TEST_F_TIMEOUT(runc, trace_then_saved_profile_enforces_without_violations, 90)
{
	const char *saved = "/tmp/speaker-oci-saved";
	const struct note trace[] = {
		{ "io.speaker.mode", "trace" },
		{ NULL, NULL }
	};
	const struct note enforce[] = {
		{ "io.speaker.profile", saved },
		{ "io.speaker.default-action", "errno:EPERM" },
		{ "io.speaker.keep", "true" },
		{ NULL, NULL }
	};

	cmd_run(NULL, 0, "rm -rf %s", saved);
	ASSERT_EQ(0, runc_config(&self->e, trace));
	ASSERT_EQ(0, runc_run(&self->e, "spk-runc-trace")) {
		TH_LOG("runc run: %s", out);
	}
	ASSERT_TRUE(item_exists("spk-runc-trace")) {
		TH_LOG("a traced item must be kept at poststop");
	}
	EXPECT_STREQ("exited", item_attr("spk-runc-trace", "phase", true));
	/* Text lines: configfs sizes the read buffer to the length. */
	EXPECT_EQ(0, cmd_run(out, sizeof(out),
			     "[ $(tr -d '\\n[:print:]' < " CONFIGFS
			     "/spk-runc-trace/recorded | wc -c) -eq 0 ]")) {
		TH_LOG("recorded holds bytes that are not text (a NUL for the last newline?)");
	}
	/* access (21) and execve (59) were seen in booting */
	EXPECT_EQ(0, cmd_run(out, sizeof(out),
			     "grep -a '^booting x86_64 ' " CONFIGFS "/spk-runc-trace/recorded | grep -q ' 21 .* 59 '")) {
		TH_LOG("recorded:\n%s", item_attr("spk-runc-trace", "recorded",
						  false));
	}
	ASSERT_EQ(0, cmd_run(out, sizeof(out), "'%s' -q --save %s/spk-runc-trace %s",
			     self->e.compile, CONFIGFS, saved)) {
		TH_LOG("speaker-compile --save: %s", out);
	}
	/*
	 * runc's init is Go, and its runtime makes some calls only when the
	 * timing asks for them: sched_yield when the scheduler spins; getpid,
	 * gettid and tgkill when sysmon preempts a goroutine that ran for
	 * 10 ms; a new thread (glibc's pthread_create, as runc links cgo)
	 * when a goroutine blocks in a call. Under TCG that comes and goes,
	 * so one trace may miss it; the shipped profiles hold these calls
	 * because they are the union of several runs. Added by hand here,
	 * as a profile header would say.
	 */
	ASSERT_EQ(0, cmd_run(NULL, 0, "printf '%%s\\n' %s >> %s/booting",
			     GO_RUNTIME_CALLS, saved));

	ASSERT_EQ(0, runc_config(&self->e, enforce));
	EXPECT_EQ(0, runc_run(&self->e, "spk-runc-enforce")) {
		TH_LOG("runc run: %s", out);
	}
	EXPECT_NE(NULL, strstr(out, "hello"));
	EXPECT_STREQ("booting 0", item_attr("spk-runc-enforce", "violations",
					    true)) {
		TH_LOG("calls outside the traced profile:\n%s",
		       item_attr("spk-runc-enforce", "violations", false));
	}
	cmd_run(NULL, 0, "rm -rf %s", saved);
}

TEST_F(runc, missing_profile_keeps_container_from_starting)
{
	const struct note notes[] = {
		{ "io.speaker.profile", "no-such-profile" },
		{ NULL, NULL }
	};

	ASSERT_EQ(0, runc_config(&self->e, notes));
	EXPECT_NE(0, runc_run(&self->e, "spk-runc-missing"));
	EXPECT_EQ(NULL, strstr(out, "hello")) {
		TH_LOG("the entrypoint ran without its profile");
	}
	EXPECT_NE(NULL, strstr(out, "profile 'no-such-profile' is in none of")) {
		TH_LOG("runc did not pass on why: %s", out);
	}
	EXPECT_FALSE(item_exists("spk-runc-missing"));
}

TEST_F(runc, annotations_set_service_stop_signals_and_settle_time)
{
	const struct note notes[] = {
		{ "io.speaker.profile", "all" },
		{ "io.speaker.name", "spk-runc-attrs" },
		{ "io.speaker.service", "myservice" },
		{ "io.speaker.stop-signals", "SIGQUIT, 15" },
		{ "io.speaker.settle-ms", "1234" },
		{ "io.speaker.mode", "complain" },
		{ "io.speaker.keep", "yes" },
		{ NULL, NULL }
	};
	const char *item = "spk-runc-attrs";

	ASSERT_EQ(0, runc_config(&self->e, notes));
	EXPECT_EQ(0, runc_run(&self->e, "runc-attrs")) {
		TH_LOG("runc run: %s", out);
	}
	ASSERT_TRUE(item_exists(item));
	EXPECT_STREQ("myservice", item_attr(item, "service", true));
	EXPECT_STREQ("3 15", item_attr(item, "stop_signals", true));
	EXPECT_STREQ("1234", item_attr(item, "settle_ms", true));
	EXPECT_STREQ("complain", item_attr(item, "mode", true));
}

TEST_F(runc, entrypoint_name_is_default_service)
{
	const struct note notes[] = {
		{ "io.speaker.profile", "all" },
		{ "io.speaker.keep", "true" },
		{ NULL, NULL }
	};

	ASSERT_EQ(0, runc_config(&self->e, notes));
	EXPECT_EQ(0, runc_run(&self->e, "spk-runc-service"));
	ASSERT_TRUE(item_exists("spk-runc-service"));
	EXPECT_STREQ("echo", item_attr("spk-runc-service", "service", true));
}

TEST_F(runc, container_without_annotations_is_left_alone)
{
	char log[4096] = "";

	ASSERT_EQ(0, runc_config(&self->e, NULL));
	EXPECT_EQ(0, runc_run(&self->e, "spk-runc-plain")) {
		TH_LOG("runc run: %s", out);
	}
	EXPECT_NE(NULL, strstr(out, "hello"));
	EXPECT_FALSE(item_exists("spk-runc-plain"));
	cmd_read_file(self->e.log, log, sizeof(log));
	EXPECT_STREQ("", log);
}

/* --- podman ------------------------------------------------------------- */

/*
 * The shipped hooks.d files (tools/oci-hook/hooks.d/NAME.json.in), made as
 * make install makes them, for the hook in the tree and our profiles.
 */
static int podman_hooks(const struct env *e, char *dir, size_t size)
{
	snprintf(dir, size, "%s/hooks.d", e->dir);
	return cmd_run(out, sizeof(out),
		       "mkdir %s && cd '%s/tools/oci-hook/hooks.d' && "
		       "for f in *.json.in; do sed 's|@BINDIR@|%s/tools/oci-hook|g; "
		       "s|@PROFILES@|%s|g' $f > %s/${f%%.in} || exit 1; done",
		       dir, cmd_root(), cmd_root(), e->profiles, dir);
}

/* A local image: the rootfs above as a tarball, imported once. */
static int podman_image(const struct env *e)
{
	if (!cmd_run(NULL, 0, PODMAN " image exists " IMAGE))
		return 0;
	return cmd_run(out, sizeof(out),
		       "tar -C %s/rootfs -cf %s/rootfs.tar . && "
		       PODMAN " import %s/rootfs.tar " IMAGE,
		       e->bundle, e->dir, e->dir);
}

FIXTURE(podman) {
	struct env e;
	char hooks[PATH_MAX];
};

FIXTURE_SETUP(podman)
{
	if (!getenv("SPEAKER_CONTAINER_TESTS"))
		SKIP(return, "slow under TCG: make check-containers runs it");
	if (!cmd_have("podman"))
		SKIP(return, "needs podman");
	ASSERT_TRUE(cmd_is_dir(CONFIGFS));
	ASSERT_EQ(0, env_setup(&self->e)) {
		TH_LOG("setup in %s failed:\n%s", self->e.dir, out);
	}
	ASSERT_EQ(0, podman_hooks(&self->e, self->hooks, sizeof(self->hooks)));
	ASSERT_EQ(0, podman_image(&self->e)) {
		TH_LOG("podman import: %s", out);
	}
}

FIXTURE_TEARDOWN(podman)
{
	env_teardown(&self->e);
}

/* podman run --rm with @annotations (" --annotation K=V ..."). */
static int podman_run(const char *hooks, const char *annotations)
{
	return cmd_run(out, sizeof(out),
		       PODMAN " --hooks-dir %s run --rm --network host "
		       "-v /usr:/usr:ro %s " IMAGE " /usr/bin/echo hello </dev/null",
		       hooks, annotations);
}

TEST_F_TIMEOUT(podman, hooks_dir_hook_filters_entrypoint_from_first_exec, 120)
{
	const char *item = "spk-podman-first";

	EXPECT_EQ(0, podman_run(self->hooks,
				"--annotation io.speaker.profile=no-access "
				"--annotation io.speaker.default-action=errno:EPERM "
				"--annotation io.speaker.keep=true "
				"--annotation io.speaker.name=spk-podman-first")) {
		TH_LOG("podman run: %s", out);
	}
	EXPECT_NE(NULL, strstr(out, "hello"));
	ASSERT_TRUE(item_exists(item));
	EXPECT_STREQ("booting 1", item_attr(item, "violations", true)) {
		TH_LOG("violations:\n%s", item_attr(item, "violations", false));
	}
	EXPECT_NE(NULL, strstr(item_attr(item, "violations", false),
			       "comm echo phase booting syscall access")) {
		TH_LOG("violations:\n%s", item_attr(item, "violations", false));
	}
	EXPECT_NE(NULL, strstr(item_attr(item, "transitions", true), "runc:"));
}

TEST_F_TIMEOUT(podman, poststop_removes_item, 120)
{
	EXPECT_EQ(0, podman_run(self->hooks,
				"--annotation io.speaker.profile=all "
				"--annotation io.speaker.name=spk-podman-clean")) {
		TH_LOG("podman run: %s", out);
	}
	EXPECT_NE(NULL, strstr(out, "hello"));
	EXPECT_EQ(0, cmd_run(out, sizeof(out),
			     "dmesg | grep -q 'spk-podman-clean: idle -> booting'")) {
		TH_LOG("the create hook did not attach the item");
	}
	EXPECT_FALSE(item_exists("spk-podman-clean"));
}

TEST_F_TIMEOUT(podman, container_without_annotation_runs_no_hook, 120)
{
	EXPECT_EQ(0, podman_run(self->hooks, "--annotation other=1")) {
		TH_LOG("podman run: %s", out);
	}
	EXPECT_NE(NULL, strstr(out, "hello"));
	EXPECT_EQ(1, cmd_run(out, sizeof(out), "ls " CONFIGFS " | grep -q ."));
}

TEST_HARNESS_MAIN
