// SPDX-License-Identifier: GPL-2.0
/*
 * speaker-oci-hook - put an OCI container under speaker from its runtime's
 * hooks (podman, runc, crun)
 *
 *	createRuntime/prestart:	speaker-oci-hook create  < state.json
 *	poststop:		speaker-oci-hook poststop < state.json
 *
 * The runtime passes the container's state on standard input: its id, the
 * host PID of its init and its bundle. At createRuntime the init exists in
 * the container's new PID namespace but has not exec'd the entrypoint yet,
 * so writing that PID to the item's target attaches speaker before the
 * entrypoint's first instruction. What to do comes from annotations
 * (io.speaker.*); see speaker-oci-hook.1.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROG_NAME	"speaker-oci-hook"
#define PROG_VERSION	"0.1"

#ifndef PREFIX
#define PREFIX		"/usr/local"
#endif

#define CONFIGFS	"/sys/kernel/config/speaker"
#define MAX_STATE_SIZE	(1024 * 1024)
#define MAX_CONFIG_SIZE	(16 * 1024 * 1024)
#define NAME_MAX_LEN	63	/* the module's limit on item names */
#define SHORT_ID_LEN	12	/* as docker ps and podman ps show ids */
#define COMM_LEN	15	/* TASK_COMM_LEN - 1 */
#define MAX_PROFILE_DIRS 8

enum exit_status {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* the container must not start */
	EXIT_USAGE = 2,
};

enum stage { STAGE_NONE, STAGE_CREATE, STAGE_POSTSTOP };

static const char usage_line[] =
	"Usage: " PROG_NAME " [OPTION]... [create|poststop] < STATE_JSON\n";

static const char help_text[] =
	"Put an OCI container under speaker from its runtime's hooks: at\n"
	"createRuntime (or prestart) create a speaker item, compile the profile\n"
	"that the annotation io.speaker.profile names into it and attach it to\n"
	"the container's init before the entrypoint runs; at poststop remove it.\n"
	"The stage defaults to what the state's status says.\n"
	"\n"
	"  -p, --profiles DIR    look profile names up in DIR (repeatable; default\n"
	"                        /etc/speaker/profiles, " PREFIX "/share/speaker/profiles)\n"
	"  -c, --compile PATH    the speaker-compile to run (default: the one\n"
	"                        next to this program)\n"
	"      --configfs DIR    speaker's configfs directory (" CONFIGFS ")\n"
	"  -l, --log FILE        also append what the hook does to FILE\n"
	"  -h, --help            show this help and exit\n"
	"  -V, --version         show the version and exit\n"
	"\n"
	"Annotations: io.speaker.profile (NAME or /DIR), io.speaker.mode\n"
	"(enforce, complain, trace), io.speaker.name, io.speaker.service,\n"
	"io.speaker.stop-signals, io.speaker.settle-ms, io.speaker.default-action,\n"
	"io.speaker.keep.\n"
	"\n"
	"Exit status: 0 done (or nothing to do), 1 failed (at create: the\n"
	"container must not start), 2 usage error or unreadable state.\n";

struct options {
	const char *profile_dirs[MAX_PROFILE_DIRS];
	int nr_profile_dirs;
	const char *compile;
	const char *configfs;
	const char *log;
	enum stage stage;
};

/* What the hook works on, from the state and the bundle's config.json. */
struct container {
	struct json_object *state;
	struct json_object *config;	/* NULL if the bundle has none */
	struct json_object *annotations;
	const char *id;
	const char *bundle;
	const char *status;
	long pid;
	char name[NAME_MAX_LEN + 1];
	char item[PATH_MAX];
};

static struct options opt = { .configfs = CONFIGFS };
static const char *msg_name = "-";

static void vlog_line(const char *kind, const char *fmt, va_list ap)
{
	char text[1024], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;

	vsnprintf(text, sizeof(text), fmt, ap);
	fprintf(stderr, "%s: %s: %s%s\n", PROG_NAME, msg_name, kind, text);
	if (!opt.log)
		return;
	f = fopen(opt.log, "ae");
	if (!f)
		return;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S",
		 localtime_r(&now, &tm));
	fprintf(f, "%s %s[%d]: %s: %s%s\n", stamp, PROG_NAME, (int)getpid(),
		msg_name, kind, text);
	fclose(f);
}

static void __attribute__((format(printf, 1, 2))) error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line("error: ", fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line("", fmt, ap);
	va_end(ap);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROG_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage_line, stderr);
	exit(EXIT_USAGE);
}

/* --- input ------------------------------------------------------------ */

/* Read all of @fd, at most @max bytes, NUL-terminated; NULL on error. */
static char *read_all(int fd, size_t max, size_t *len)
{
	size_t size = 4096, n = 0;
	char *buf = malloc(size + 1), *grown;
	ssize_t got;

	while (buf) {
		got = read(fd, buf + n, size - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += got;
		if (n < size)
			continue;
		if (size >= max) {
			errno = EFBIG;
			got = -1;
			break;
		}
		size *= 2;
		grown = realloc(buf, size + 1);
		if (!grown)
			break;
		buf = grown;
	}
	if (!buf || got < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static struct json_object *parse_json(const char *text, size_t len,
				      const char *what)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	if (!tok)
		return NULL;
	o = json_tokener_parse_ex(tok, text, (int)len);
	if (!o)
		error("%s is not JSON: %s", what,
		      json_tokener_error_desc(json_tokener_get_error(tok)));
	else if (!json_object_is_type(o, json_type_object)) {
		error("%s is not a JSON object", what);
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *member_string(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);

	return json_object_is_type(v, json_type_string) ?
	       json_object_get_string(v) : NULL;
}

/* The bundle's config.json: annotations and the entrypoint, if needed. */
static void read_config(struct container *c)
{
	char path[PATH_MAX], *text;
	size_t len;
	int fd;

	if (!c->bundle || snprintf(path, sizeof(path), "%s/config.json",
				   c->bundle) >= (int)sizeof(path))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	text = read_all(fd, MAX_CONFIG_SIZE, &len);
	close(fd);
	if (text)
		c->config = parse_json(text, len, path);
	free(text);
}

static const char *annotation(const struct container *c, const char *key)
{
	return member_string(c->annotations, key);
}

/* The OCI state on standard input; annotations from the bundle if absent. */
static int read_state(struct container *c)
{
	struct json_object *pid;
	size_t len;
	char *text;

	text = read_all(STDIN_FILENO, MAX_STATE_SIZE, &len);
	if (!text) {
		error("cannot read the state from standard input: %s",
		      strerror(errno));
		return EXIT_USAGE;
	}
	c->state = parse_json(text, len, "the state on standard input");
	free(text);
	if (!c->state)
		return EXIT_USAGE;
	c->id = member_string(c->state, "id");
	c->status = member_string(c->state, "status");
	c->bundle = member_string(c->state, "bundle");
	pid = member(c->state, "pid");
	c->pid = json_object_is_type(pid, json_type_int) ?
		 (long)json_object_get_int64(pid) : 0;
	if (!c->id || !*c->id) {
		error("the state has no container id");
		return EXIT_USAGE;
	}
	read_config(c);
	c->annotations = member(c->state, "annotations");
	if (!json_object_is_type(c->annotations, json_type_object))
		c->annotations = member(c->config, "annotations");
	return EXIT_OK;
}

/* --- names and values ------------------------------------------------- */

static bool valid_name(const char *s)
{
	size_t len = strlen(s);

	return len && len <= NAME_MAX_LEN && s[0] != '.' &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_.-") == len;
}

/* io.speaker.name, else the id (its first 12 characters when too long). */
static int item_name(struct container *c)
{
	const char *name = annotation(c, "io.speaker.name");

	if (name) {
		if (!valid_name(name)) {
			error("io.speaker.name '%s': want 1 to %d of A-Z a-z 0-9 _ . -, not starting with '.'",
			      name, NAME_MAX_LEN);
			return EXIT_FAILED;
		}
		snprintf(c->name, sizeof(c->name), "%s", name);
	} else {
		snprintf(c->name, sizeof(c->name), "%.*s",
			 strlen(c->id) > NAME_MAX_LEN ? SHORT_ID_LEN :
			 NAME_MAX_LEN, c->id);
		if (!valid_name(c->name)) {
			error("container id '%s' makes no item name; set io.speaker.name",
			      c->id);
			return EXIT_FAILED;
		}
	}
	snprintf(c->item, sizeof(c->item), "%s/%s", opt.configfs, c->name);
	msg_name = c->name;
	return EXIT_OK;
}

static const char *mode_of(const struct container *c)
{
	const char *mode = annotation(c, "io.speaker.mode");

	return mode ? mode : "enforce";
}

static bool is_true(const char *s)
{
	return !strcasecmp(s, "true") || !strcasecmp(s, "yes") ||
	       !strcmp(s, "1") || !strcasecmp(s, "on");
}

static bool is_false(const char *s)
{
	return !strcasecmp(s, "false") || !strcasecmp(s, "no") ||
	       !strcmp(s, "0") || !strcasecmp(s, "off");
}

/* "SIGTERM SIGQUIT", "TERM,3": signal numbers separated by spaces. */
static int signal_numbers(const char *list, char *out, size_t size)
{
	char copy[256], *save, *tok, *end;
	size_t len = 0;
	int sig;

	if (snprintf(copy, sizeof(copy), "%s", list) >= (int)sizeof(copy))
		return -EINVAL;
	*out = '\0';
	for (tok = strtok_r(copy, " ,", &save); tok;
	     tok = strtok_r(NULL, " ,", &save)) {
		long nr;

		errno = 0;
		nr = strtol(tok, &end, 10);
		if (*end || errno) {
			if (!strncasecmp(tok, "SIG", 3))
				tok += 3;
			for (nr = 0, sig = 1; sig < NSIG && !nr; sig++)
				if (sigabbrev_np(sig) &&
				    !strcasecmp(tok, sigabbrev_np(sig)))
					nr = sig;
		}
		if (nr < 1 || nr >= NSIG)
			return -EINVAL;
		len += snprintf(out + len, size - len, "%s%ld",
				len ? " " : "", nr);
		if (len >= size)
			return -EINVAL;
	}
	return *out ? 0 : -EINVAL;
}

/*
 * The service: io.speaker.service, else the command name the entrypoint
 * will have (the base name of process.args[0], cut as the kernel cuts
 * comm). speaker attaches to an init that has not exec'd yet, so naming
 * the entrypoint keeps booting going until it has run.
 */
static void service_of(const struct container *c, char *out, size_t size)
{
	const char *service = annotation(c, "io.speaker.service"), *arg0;
	struct json_object *args;
	char copy[PATH_MAX];

	*out = '\0';
	if (service) {
		snprintf(out, size, "%s", service);
		return;
	}
	args = member(member(c->config, "process"), "args");
	if (!json_object_is_type(args, json_type_array) ||
	    !json_object_array_length(args))
		return;
	arg0 = json_object_get_string(json_object_array_get_idx(args, 0));
	if (!arg0 || !*arg0)
		return;
	snprintf(copy, sizeof(copy), "%s", arg0);
	snprintf(out, size, "%.*s", COMM_LEN, basename(copy));
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* io.speaker.profile: an absolute directory, or a name in the search path. */
static int profile_dir(const char *value, char *out, size_t size)
{
	static const char *const defaults[] = {
		"/etc/speaker/profiles", PREFIX "/share/speaker/profiles",
	};
	const char *const *dirs = opt.nr_profile_dirs ? opt.profile_dirs :
				  defaults;
	int i, n = opt.nr_profile_dirs ? opt.nr_profile_dirs : 2;

	if (value[0] == '/') {
		snprintf(out, size, "%s", value);
		if (is_dir(out))
			return EXIT_OK;
		error("profile %s: no such directory", value);
		return EXIT_FAILED;
	}
	if (!valid_name(value)) {
		error("profile name '%s': want A-Z a-z 0-9 _ . -, or an absolute directory",
		      value);
		return EXIT_FAILED;
	}
	for (i = 0; i < n; i++) {
		snprintf(out, size, "%s/%s", dirs[i], value);
		if (is_dir(out))
			return EXIT_OK;
	}
	error("profile '%s' is in none of %s%s%s", value, dirs[0],
	      n > 1 ? " ..." : "", n > 1 ? dirs[n - 1] : "");
	return EXIT_FAILED;
}

/* --- the item --------------------------------------------------------- */

/* The path of attribute @attr of the item; -ENAMETOOLONG if it is not. */
static int attr_path(const struct container *c, const char *attr,
		     char *out, size_t size)
{
	int n = snprintf(out, size, "%s/%s", c->item, attr);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Write @value and a newline to attribute @attr of the item. */
static int attr_write(const struct container *c, const char *attr,
		      const char *value)
{
	char path[PATH_MAX], line[512];
	int fd, len, err = 0;

	len = snprintf(line, sizeof(line), "%s\n", value);
	fd = attr_path(c, attr, path, sizeof(path)) ? -1 :
	     open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, line, len) != len)
		err = errno;
	if (fd >= 0 && close(fd) && !err)
		err = errno;
	if (err)
		error("cannot set %s to '%s': %s", attr, value, strerror(err));
	return err ? EXIT_FAILED : EXIT_OK;
}

/* Read attribute @attr: its first @lines lines, joined by commas. */
static int attr_read(const struct container *c, const char *attr,
		     int lines, char *out, size_t size)
{
	char path[PATH_MAX], *p;
	ssize_t n = -1;
	int fd;

	fd = attr_path(c, attr, path, sizeof(path)) ? -1 :
	     open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, out, size - 1);
		close(fd);
	}
	if (n < 0)
		return -1;
	out[n] = '\0';
	for (p = strchr(out, '\n'); p; p = strchr(p, '\n')) {
		if (--lines == 0 || !p[1]) {
			*p = '\0';
			break;
		}
		*p = ',';
	}
	return 0;
}

/* The speaker-compile to run: --compile, else beside us, else in the tree. */
static int find_compile(char *out, size_t size)
{
	static const char *const rel[] = {
		"speaker-compile", "../seccomp-compile/speaker-compile",
	};
	char self[PATH_MAX], *dir;
	ssize_t n;
	size_t i;

	if (opt.compile) {
		snprintf(out, size, "%s", opt.compile);
		return access(out, X_OK) ? -errno : 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	self[n] = '\0';
	dir = dirname(self);
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(out, size, "%s/%s", dir, rel[i]);
		if (!access(out, X_OK))
			return 0;
	}
	return -ENOENT;
}

/* speaker-compile -q [-d ACTION] PROFILE ITEM; its messages on our stderr. */
static int compile_into(const struct container *c, const char *profile)
{
	const char *action = annotation(c, "io.speaker.default-action");
	char compile[PATH_MAX];
	const char *argv[8];
	int argc = 0, status;
	pid_t child;

	if (find_compile(compile, sizeof(compile))) {
		error("cannot find speaker-compile (give --compile PATH)");
		return EXIT_FAILED;
	}
	argv[argc++] = compile;
	argv[argc++] = "-q";
	if (action) {
		argv[argc++] = "-d";
		argv[argc++] = action;
	}
	argv[argc++] = profile;
	argv[argc++] = c->item;
	argv[argc] = NULL;
	fflush(NULL);
	child = fork();
	if (child < 0) {
		error("fork: %s", strerror(errno));
		return EXIT_FAILED;
	}
	if (child == 0) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execv(compile, (char *const *)argv);
		_exit(127);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_FAILED;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return EXIT_OK;
	error("%s %s %s failed (%s %d)", compile, profile, c->item,
	      WIFEXITED(status) ? "exit status" : "signal",
	      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return EXIT_FAILED;
}

/* Mode, service, settle time, stop signals: everything but the target. */
static int configure(const struct container *c, const char *mode)
{
	const char *settle = annotation(c, "io.speaker.settle-ms");
	const char *signals = annotation(c, "io.speaker.stop-signals");
	char service[256];
	int ret;

	ret = attr_write(c, "mode", mode);
	service_of(c, service, sizeof(service));
	if (!ret && *service)
		ret = attr_write(c, "service", service);
	if (!ret && settle)
		ret = attr_write(c, "settle_ms", settle);
	if (!ret && signals) {
		char numbers[256];

		if (signal_numbers(signals, numbers, sizeof(numbers))) {
			error("io.speaker.stop-signals '%s': want signal names or numbers",
			      signals);
			return EXIT_FAILED;
		}
		ret = attr_write(c, "stop_signals", numbers);
	}
	return ret;
}

static int check_create_input(const struct container *c, const char *mode,
			      const char *profile)
{
	if (strcmp(mode, "enforce") && strcmp(mode, "complain") &&
	    strcmp(mode, "trace")) {
		error("io.speaker.mode '%s': want enforce, complain or trace",
		      mode);
		return EXIT_FAILED;
	}
	if (!profile && strcmp(mode, "trace")) {
		error("mode %s needs a profile: set io.speaker.profile", mode);
		return EXIT_FAILED;
	}
	if (c->pid <= 0) {
		error("the state has no pid: run this hook at createRuntime or prestart");
		return EXIT_FAILED;
	}
	if (!is_dir(opt.configfs)) {
		error("%s missing: is the speaker module loaded?", opt.configfs);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

/*
 * Is the item watching nothing: detached (target 0), or its container
 * gone (exited; the module detaches a moment later)?
 */
static bool item_idle(const struct container *c, char *phase, size_t size)
{
	char target[32];

	if (!attr_read(c, "target", 1, target, sizeof(target)) &&
	    !strcmp(target, "0"))
		return true;
	if (attr_read(c, "phase", 1, phase, size))
		snprintf(phase, size, "(unreadable)");
	return !strcmp(phase, "idle") || !strcmp(phase, "exited");
}

/*
 * Make the item, or take over an idle one of the same name. One that
 * watches something is another container's: never detach it.
 */
static int make_item(const struct container *c, bool *created)
{
	char phase[32];

	*created = !mkdir(c->item, 0755);
	if (*created)
		return EXIT_OK;
	if (errno != EEXIST) {
		error("cannot create %s: %s", c->item, strerror(errno));
		return EXIT_FAILED;
	}
	if (!item_idle(c, phase, sizeof(phase))) {
		error("%s is in use (phase %s): give this container another io.speaker.name",
		      c->item, phase);
		return EXIT_FAILED;
	}
	return attr_write(c, "target", "0");
}

static int stage_create(struct container *c)
{
	const char *profile = annotation(c, "io.speaker.profile");
	const char *mode = mode_of(c);
	char dir[PATH_MAX], pid[32], phase[32] = "";
	bool created = false;
	int ret;

	if (!profile && !annotation(c, "io.speaker.mode"))
		return EXIT_OK;		/* not a speaker container */
	ret = check_create_input(c, mode, profile);
	if (!ret && profile)
		ret = profile_dir(profile, dir, sizeof(dir));
	if (!ret)
		ret = make_item(c, &created);
	if (ret)
		return ret;
	/* A reused item keeps its old calls; a new trace starts empty. */
	if (!strcmp(mode, "trace"))
		ret = attr_write(c, "recorded", "clear");
	if (!ret && profile)
		ret = compile_into(c, dir);
	if (!ret)
		ret = configure(c, mode);
	snprintf(pid, sizeof(pid), "%ld", c->pid);
	if (!ret)
		ret = attr_write(c, "target", pid);
	if (!ret && (attr_read(c, "phase", 1, phase, sizeof(phase)) ||
		     strcmp(phase, "booting"))) {
		error("attached to PID %s, but the item's phase is '%s', not booting",
		      pid, phase);
		ret = EXIT_FAILED;
	}
	if (ret) {
		attr_write(c, "target", "0");
		if (created && rmdir(c->item))
			error("cannot remove %s: %s", c->item, strerror(errno));
		return ret;
	}
	note("container %.12s, PID %s: %s%s%s, booting", c->id, pid, mode,
	     profile ? " " : "", profile ? dir : "");
	return EXIT_OK;
}

/* io.speaker.keep, else keep what a trace recorded. */
static bool keep_item(const struct container *c)
{
	const char *keep = annotation(c, "io.speaker.keep");

	if (keep && is_true(keep))
		return true;
	if (keep && is_false(keep))
		return false;
	if (keep)
		note("io.speaker.keep '%s' is neither true nor false", keep);
	return !strcmp(mode_of(c), "trace");
}

static int stage_poststop(struct container *c)
{
	char violations[256] = "", phase[32];

	if (!annotation(c, "io.speaker.profile") &&
	    !annotation(c, "io.speaker.mode"))
		return EXIT_OK;
	if (!is_dir(c->item))
		return EXIT_OK;
	if (!attr_read(c, "violations", 3, violations,
		       sizeof(violations)))
		note("container %.12s stopped; violations: %s", c->id,
		     violations);
	if (keep_item(c)) {
		note("kept %s", c->item);
		return EXIT_OK;
	}
	/* Still attached: the name was reused by a container that runs. */
	if (!item_idle(c, phase, sizeof(phase))) {
		note("%s is attached (phase %s): left in place", c->item, phase);
		return EXIT_OK;
	}
	/*
	 * An exited item may still be finishing its detach, and the module
	 * refuses rmdir (EBUSY) until it is done: detach it first.
	 */
	attr_write(c, "target", "0");
	if (rmdir(c->item)) {
		error("cannot remove %s: %s", c->item, strerror(errno));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

/* --- main ------------------------------------------------------------- */

static enum stage stage_named(const char *s)
{
	if (!strcmp(s, "create") || !strcmp(s, "createRuntime") ||
	    !strcmp(s, "prestart"))
		return STAGE_CREATE;
	if (!strcmp(s, "poststop"))
		return STAGE_POSTSTOP;
	return STAGE_NONE;
}

static enum stage stage_of_status(const char *status)
{
	if (!status)
		return STAGE_NONE;
	if (!strcmp(status, "creating") || !strcmp(status, "created"))
		return STAGE_CREATE;
	if (!strcmp(status, "stopped"))
		return STAGE_POSTSTOP;
	return STAGE_NONE;
}

static void parse_options(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "profiles", required_argument, NULL, 'p' },
		{ "compile", required_argument, NULL, 'c' },
		{ "configfs", required_argument, NULL, 'F' },
		{ "log", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":p:c:l:hV", longs, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (opt.nr_profile_dirs == MAX_PROFILE_DIRS)
				usage_error("at most %d --profiles",
					    MAX_PROFILE_DIRS);
			opt.profile_dirs[opt.nr_profile_dirs++] = optarg;
			break;
		case 'c':
			opt.compile = optarg;
			break;
		case 'F':
			opt.configfs = optarg;
			break;
		case 'l':
			opt.log = optarg;
			break;
		case 'h':
			fputs(usage_line, stdout);
			fputs(help_text, stdout);
			exit(EXIT_OK);
		case 'V':
			printf("%s %s\n", PROG_NAME, PROG_VERSION);
			exit(EXIT_OK);
		case ':':
			usage_error("option '%s' needs an argument",
				    argv[optind - 1]);
		default:
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		usage_error("one stage at most");
	if (argc - optind == 1) {
		opt.stage = stage_named(argv[optind]);
		if (opt.stage == STAGE_NONE)
			usage_error("unknown stage '%s' (create or poststop)",
				    argv[optind]);
	}
}

int main(int argc, char **argv)
{
	struct container c = { 0 };
	enum stage stage;
	int ret;

	parse_options(argc, argv);
	ret = read_state(&c);
	if (!ret)
		ret = item_name(&c);
	stage = opt.stage ? opt.stage : stage_of_status(c.status);
	if (!ret && stage == STAGE_NONE) {
		error("status '%s' names no stage: give create or poststop",
		      c.status ? c.status : "(none)");
		ret = EXIT_USAGE;
	}
	if (!ret)
		ret = stage == STAGE_CREATE ? stage_create(&c) :
		      stage_poststop(&c);
	json_object_put(c.config);
	json_object_put(c.state);
	return ret;
}
