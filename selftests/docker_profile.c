// SPDX-License-Identifier: GPL-2.0
/*
 * speaker-compile --export-docker under the real Docker: the exported
 * profile (the union of the three phases) loads with docker run
 * --security-opt seccomp=FILE and bounds the container: what no phase
 * allows fails with EPERM, the rest works. The speaker module plays no
 * part; the VM is where Docker can run.
 *
 * The profile allows every call but uname(); the container is
 * /usr/bin/echo or /usr/bin/uname with the guest's /usr bound in.
 *
 * dockerd takes long to start under TCG: the test runs when
 * SPEAKER_CONTAINER_TESTS=1, as make check-containers sets, and skips in
 * make check.
 */

#include "cmd_util.h"
#include "kselftest_harness.h"

#define IMAGE		"speaker-selftest:latest"
#define RUN		"docker run --rm --network host -v /usr:/usr:ro "
#define NO_UNAME	"{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": " \
			"[{\"names\": [\"uname\"], \"action\": \"SCMP_ACT_ERRNO\"}]}"

static char out[CMD_OUT_MAX];

FIXTURE(docker) {
	char dir[64];
	char json[128];
	bool started;		/* dockerd is ours to stop */
};

/* dockerd as DESIGN.md runs it in the guest; 0 once it answers. */
static int dockerd_start(void)
{
	return cmd_run(out, sizeof(out),
		       "setsid dockerd --iptables=false --bridge=none "
		       "--storage-driver=vfs >/tmp/speaker-dockerd.log 2>&1 & "
		       "for i in $(seq 120); do docker info >/dev/null 2>&1 && "
		       "exit 0; sleep 0.5; done; cat /tmp/speaker-dockerd.log; exit 1");
}

static void dockerd_stop(void)
{
	cmd_run(NULL, 0, "pid=$(cat /var/run/docker.pid) && kill $pid && "
		"for i in $(seq 60); do kill -0 $pid 2>/dev/null || exit 0; "
		"sleep 0.5; done");
}

/* A profile that allows all but uname, exported for Docker. */
static int export_profile(FIXTURE_DATA(docker) *self)
{
	const char *sc = "tools/seccomp-compile/speaker-compile";
	char path[128];

	snprintf(path, sizeof(path), "%s/no-uname.json", self->dir);
	if (cmd_write_file(path, NO_UNAME))
		return -1;
	snprintf(self->json, sizeof(self->json), "%s/export.json", self->dir);
	return cmd_run(out, sizeof(out),
		       "cd '%s' && mkdir %s/p && for ph in booting running shutdown; "
		       "do %s --import-docker %s > %s/p/$ph || exit 1; done && "
		       "%s -q --export-docker %s/p > %s",
		       cmd_root(), self->dir, sc, path, self->dir, sc,
		       self->dir, self->json);
}

FIXTURE_SETUP(docker)
{
	if (!getenv("SPEAKER_CONTAINER_TESTS"))
		SKIP(return, "slow under TCG: make check-containers runs it");
	if (!cmd_have("dockerd"))
		SKIP(return, "needs docker.io");
	snprintf(self->dir, sizeof(self->dir), "/tmp/speaker-docker.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, export_profile(self)) {
		TH_LOG("exporting the profile: %s", out);
	}
	if (cmd_run(NULL, 0, "docker info")) {
		ASSERT_EQ(0, dockerd_start()) {
			TH_LOG("dockerd did not come up: %s", out);
		}
		self->started = true;
	}
	ASSERT_EQ(0, cmd_run(out, sizeof(out),
			     "docker image inspect " IMAGE " >/dev/null 2>&1 || "
			     "{ mkdir -p %s/img/usr %s/img/tmp && cd %s/img && "
			     "ln -s usr/bin bin && ln -s usr/lib lib && "
			     "ln -s usr/lib64 lib64 && tar -cf ../img.tar . && "
			     "docker import ../img.tar " IMAGE "; }",
			     self->dir, self->dir, self->dir)) {
		TH_LOG("docker import: %s", out);
	}
}

FIXTURE_TEARDOWN(docker)
{
	if (self->started)
		dockerd_stop();
	if (self->dir[0])
		cmd_run(NULL, 0, "rm -rf %s", self->dir);
}

TEST_F_TIMEOUT(docker, exported_profile_loads_and_bounds_container, 240)
{
	EXPECT_EQ(0, cmd_run(out, sizeof(out), RUN "--security-opt seccomp=%s "
			     IMAGE " /usr/bin/echo hello", self->json)) {
		TH_LOG("docker run with the exported profile: %s", out);
	}
	EXPECT_NE(NULL, strstr(out, "hello"));

	EXPECT_NE(0, cmd_run(out, sizeof(out), RUN "--security-opt seccomp=%s "
			     IMAGE " /usr/bin/uname -r", self->json));
	EXPECT_NE(NULL, strstr(out, "Operation not permitted")) {
		TH_LOG("uname under the exported profile: %s", out);
	}

	/* Without the profile, uname works: the denial was the profile's. */
	EXPECT_EQ(0, cmd_run(out, sizeof(out), RUN IMAGE " /usr/bin/uname -r")) {
		TH_LOG("docker run without the profile: %s", out);
	}
}

TEST_HARNESS_MAIN
