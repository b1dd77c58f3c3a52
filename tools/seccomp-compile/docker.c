// SPDX-License-Identifier: GPL-2.0
/*
 * docker.c - exchange profiles with Docker and OCI runtimes, through json-c
 *
 * Export: the union of a speaker profile's three phases as a Docker seccomp
 * profile (defaultAction SCMP_ACT_ERRNO, one SCMP_ACT_ALLOW rule), for
 * "docker run --security-opt seccomp=FILE" as an outer bound around
 * speaker, or on hosts without speaker.
 *
 * Import: the calls a Docker seccomp profile allows on x86_64, as one
 * speaker phase list. Docker evaluates a rule's "includes" and "excludes"
 * against the host (its arch, the container's capabilities, the kernel);
 * so does the import, with Docker's default capabilities plus --cap.
 * A phase list has no argument conditions: a call that the profile allows
 * for some arguments only is allowed whole, and a comment says so.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "docker.h"
#include "profile.h"

#define MAX_JSON_SIZE	(4 * 1024 * 1024)

/* Capability names, without "CAP_", by number. */
static const char *const cap_names[] = {
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
	"KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE",
	"NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT",
	"SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
	"SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE",
	"AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE",
	"MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ",
	"PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

#define NR_CAPS		(sizeof(cap_names) / sizeof(cap_names[0]))

/* What "docker run" grants without --cap-add (moby's default set). */
static bool cap_granted[NR_CAPS] = {
	[0] = true,	/* CHOWN */
	[1] = true,	/* DAC_OVERRIDE */
	[3] = true,	/* FOWNER */
	[4] = true,	/* FSETID */
	[5] = true,	/* KILL */
	[6] = true,	/* SETGID */
	[7] = true,	/* SETUID */
	[8] = true,	/* SETPCAP */
	[10] = true,	/* NET_BIND_SERVICE */
	[13] = true,	/* NET_RAW */
	[18] = true,	/* SYS_CHROOT */
	[27] = true,	/* MKNOD */
	[29] = true,	/* AUDIT_WRITE */
	[31] = true,	/* SETFCAP */
};

/* The seccomp arch names of the arches speaker filters. */
static const char *const scmp_arch_names[NR_ARCHES] = {
	[ARCH_X86_64] = "SCMP_ARCH_X86_64",
	[ARCH_I386] = "SCMP_ARCH_X86",
	[ARCH_X32] = "SCMP_ARCH_X32",
};

/* A growing set of strings, sorted and made unique by names_sort(). */
struct names {
	char **v;
	size_t count;
};

static void names_add(struct names *n, const char *s)
{
	char **grown;

	if ((n->count & (n->count + 1)) == 0) {
		grown = realloc(n->v, (n->count + 1) * 2 * sizeof(*grown));
		if (!grown)
			goto oom;
		n->v = grown;
	}
	n->v[n->count] = strdup(s);
	if (!n->v[n->count])
		goto oom;
	n->count++;
	return;
oom:
	error("out of memory");
	exit(EXIT_INTERNAL);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_sort(struct names *n)
{
	size_t i, out = 0;

	if (!n->count)
		return;
	qsort(n->v, n->count, sizeof(*n->v), cmp_str);
	for (i = 1; i < n->count; i++) {
		if (strcmp(n->v[i], n->v[out]))
			n->v[++out] = n->v[i];
		else
			free(n->v[i]);
	}
	n->count = out + 1;
}

/* After names_sort() only. */
static bool names_has(const struct names *n, const char *s)
{
	return n->count &&
	       bsearch(&s, n->v, n->count, sizeof(*n->v), cmp_str);
}

static void names_free(struct names *n)
{
	size_t i;

	for (i = 0; i < n->count; i++)
		free(n->v[i]);
	free(n->v);
	n->v = NULL;
	n->count = 0;
}

/* --- export ----------------------------------------------------------- */

/* Add the calls that phase file @path allows to @n; note its arches. */
static int export_phase(const char *path, const bool extra_arch[NR_ARCHES],
			struct names *n, bool arch_used[NR_ARCHES])
{
	uint32_t base, i;
	struct profile p;
	const char *name;
	int arch, ret;

	ret = profile_load(path, extra_arch, &p);
	if (ret)
		goto out;
	profile_add_always(&p);
	for (arch = 0; arch < NR_ARCHES; arch++) {
		if (!p.arch_used[arch])
			continue;
		arch_used[arch] = true;
		base = systab_base(arch);
		for (i = base; i < base + NR_SPAN; i++) {
			if (!profile_allows(&p, arch, i))
				continue;
			name = systab_name(arch, i);
			if (name)
				names_add(n, name);
			else
				warning("%s: x86_64 call %u has no name in libseccomp, and Docker profiles name calls: the exported profile denies it",
					path, i);
		}
	}
out:
	profile_free(&p);
	return ret;
}

static struct json_object *json_strings(const struct names *n)
{
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; a && i < n->count; i++)
		json_object_array_add(a, json_object_new_string(n->v[i]));
	return a;
}

static struct json_object *export_json(const char *profile_dir,
				       const struct names *n,
				       const bool arch_used[NR_ARCHES])
{
	struct json_object *root, *arches, *rule, *rules;
	char comment[512];
	int arch;

	root = json_object_new_object();
	arches = json_object_new_array();
	rule = json_object_new_object();
	rules = json_object_new_array();
	if (!root || !arches || !rule || !rules) {
		json_object_put(root);
		json_object_put(arches);
		json_object_put(rule);
		json_object_put(rules);
		return NULL;
	}
	for (arch = 0; arch < NR_ARCHES; arch++)
		if (arch_used[arch])
			json_object_array_add(arches,
				json_object_new_string(scmp_arch_names[arch]));
	snprintf(comment, sizeof(comment),
		 "speaker profile %s: booting, running and shutdown together (%s %s)",
		 profile_dir, PROG_NAME, PROG_VERSION);
	json_object_object_add(rule, "comment",
			       json_object_new_string(comment));
	json_object_object_add(rule, "names", json_strings(n));
	json_object_object_add(rule, "action",
			       json_object_new_string("SCMP_ACT_ALLOW"));
	json_object_array_add(rules, rule);
	json_object_object_add(root, "defaultAction",
			       json_object_new_string("SCMP_ACT_ERRNO"));
	json_object_object_add(root, "architectures", arches);
	json_object_object_add(root, "syscalls", rules);
	return root;
}

int docker_export(const char *profile_dir, const bool extra_arch[NR_ARCHES])
{
	bool arch_used[NR_ARCHES] = { [ARCH_X86_64] = true };
	struct names n = { 0 };
	struct json_object *root;
	int phase, ret, first = EXIT_OK;
	char *path;

	for (phase = 0; phase < NR_PHASES; phase++) {
		path = path_join(profile_dir, speaker_phase_names[phase]);
		ret = export_phase(path, extra_arch, &n, arch_used);
		free(path);
		if (ret && !first)
			first = ret;
	}
	if (first) {
		names_free(&n);
		return first;
	}
	names_sort(&n);
	root = export_json(profile_dir, &n, arch_used);
	if (!root) {
		names_free(&n);
		error("out of memory");
		return EXIT_INTERNAL;
	}
	printf("%s\n", json_object_to_json_string_ext(root,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	info("exported %zu calls of %s", n.count, profile_dir);
	names_free(&n);
	return fflush(stdout) || ferror(stdout) ? EXIT_WRITE : EXIT_OK;
}

/* --- import ----------------------------------------------------------- */

struct import {
	const char *path;
	bool arch[NR_ARCHES];
	bool default_allows;
	const char *default_action;
	unsigned int kernel[2];		/* running kernel, major and minor */
	struct names allow;		/* allowed by a rule */
	struct names deny;		/* denied by a rule, whatever the args */
	struct names partial;		/* allowed or denied for some args */
	struct names ignored_arches;
	unsigned int bad_names;
};

int docker_cap_add(const char *name)
{
	size_t i;

	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (i = 0; i < NR_CAPS; i++) {
		if (!strcasecmp(name, cap_names[i])) {
			cap_granted[i] = true;
			return 0;
		}
	}
	return -EINVAL;
}

static bool cap_has(const char *name)
{
	size_t i;

	if (!strncasecmp(name, "CAP_", 4))
		name += 4;
	for (i = 0; i < NR_CAPS; i++)
		if (!strcasecmp(name, cap_names[i]))
			return cap_granted[i];
	return false;
}

static void import_error(const struct import *im, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void import_error(const struct import *im, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error("%s: %s", im->path, msg);
}

/* The member @key of object @o, NULL when missing or null. */
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

/* Does the JSON array @a hold the string @s? */
static bool array_has(struct json_object *a, const char *s)
{
	size_t i, n = json_object_is_type(a, json_type_array) ?
		      json_object_array_length(a) : 0;
	struct json_object *e;

	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		if (json_object_is_type(e, json_type_string) &&
		    !strcmp(json_object_get_string(e), s))
			return true;
	}
	return false;
}

static size_t array_len(struct json_object *a)
{
	return json_object_is_type(a, json_type_array) ?
	       json_object_array_length(a) : 0;
}

/* 1 allow, 0 deny, -1 unknown: what an action means for a call. */
static int action_allows(const char *action)
{
	static const char *const deny[] = {
		"SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD",
		"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE",
		"SCMP_ACT_NOTIFY", NULL
	};
	int i;

	if (!action)
		return -1;
	if (!strcmp(action, "SCMP_ACT_ALLOW") || !strcmp(action, "SCMP_ACT_LOG"))
		return 1;
	for (i = 0; deny[i]; i++)
		if (!strcmp(action, deny[i]))
			return 0;
	return -1;
}

static int arch_of(const char *scmp_name)
{
	int arch;

	for (arch = 0; arch < NR_ARCHES; arch++)
		if (!strcmp(scmp_name, scmp_arch_names[arch]))
			return arch;
	return -1;
}

static int import_arch_list(struct import *im, struct json_object *a,
			    const char *what)
{
	struct json_object *e;
	const char *s;
	size_t i;
	int arch;

	for (i = 0; i < array_len(a); i++) {
		e = json_object_array_get_idx(a, i);
		s = json_object_is_type(e, json_type_string) ?
		    json_object_get_string(e) : NULL;
		if (!s) {
			import_error(im, "%s[%zu]: not a string", what, i);
			return EXIT_IMPORT;
		}
		arch = arch_of(s);
		if (arch >= 0)
			im->arch[arch] = true;
		else
			names_add(&im->ignored_arches, s);
	}
	return EXIT_OK;
}

/*
 * "architectures": [...], or Docker's "archMap": [{"architecture",
 * "subArchitectures"}], whose x86_64 entry counts on an x86_64 host.
 */
static int import_arches(struct import *im, struct json_object *sc)
{
	struct json_object *list = member(sc, "architectures");
	struct json_object *map = member(sc, "archMap"), *e;
	const char *main_arch;
	size_t i;
	int ret = EXIT_OK;

	if (array_len(list) && array_len(map)) {
		import_error(im, "gives both architectures and archMap");
		return EXIT_IMPORT;
	}
	if (array_len(list))
		ret = import_arch_list(im, list, "architectures");
	for (i = 0; !ret && i < array_len(map); i++) {
		e = json_object_array_get_idx(map, i);
		main_arch = member_string(e, "architecture");
		if (!main_arch) {
			import_error(im, "archMap[%zu]: no architecture", i);
			return EXIT_IMPORT;
		}
		if (strcmp(main_arch, scmp_arch_names[ARCH_X86_64]))
			continue;
		im->arch[ARCH_X86_64] = true;
		ret = import_arch_list(im, member(e, "subArchitectures"),
				       "archMap subArchitectures");
	}
	if (ret)
		return ret;
	if (!array_len(list) && !array_len(map))
		im->arch[ARCH_X86_64] = true;	/* libseccomp's native arch */
	if (!im->arch[ARCH_X86_64]) {
		import_error(im, "has no rules for SCMP_ARCH_X86_64, which speaker filters");
		return EXIT_IMPORT;
	}
	return EXIT_OK;
}

/* Is kernel version text @v ("4.8", "5.10.0") at most the running one? */
static bool kernel_at_least(const struct import *im, const char *v)
{
	unsigned int major = 0, minor = 0;

	if (sscanf(v, "%u.%u", &major, &minor) < 1)
		return false;
	if (im->kernel[0] != major)
		return im->kernel[0] > major;
	return im->kernel[1] >= minor;
}

static bool all_caps_granted(struct json_object *caps)
{
	struct json_object *e;
	size_t i;

	for (i = 0; i < array_len(caps); i++) {
		e = json_object_array_get_idx(caps, i);
		if (!json_object_is_type(e, json_type_string) ||
		    !cap_has(json_object_get_string(e)))
			return false;
	}
	return true;
}

static bool any_cap_granted(struct json_object *caps)
{
	struct json_object *e;
	size_t i;

	for (i = 0; i < array_len(caps); i++) {
		e = json_object_array_get_idx(caps, i);
		if (json_object_is_type(e, json_type_string) &&
		    cap_has(json_object_get_string(e)))
			return true;
	}
	return false;
}

/* Does a rule apply on this host? Docker's rules, for GOARCH amd64. */
static bool rule_applies(const struct import *im, struct json_object *rule)
{
	struct json_object *inc = member(rule, "includes");
	struct json_object *exc = member(rule, "excludes");
	const char *min;

	if (array_len(member(inc, "arches")) &&
	    !array_has(member(inc, "arches"), "amd64"))
		return false;
	if (!all_caps_granted(member(inc, "caps")))
		return false;
	min = member_string(inc, "minKernel");
	if (min && !kernel_at_least(im, min))
		return false;
	if (array_has(member(exc, "arches"), "amd64"))
		return false;
	if (any_cap_granted(member(exc, "caps")))
		return false;
	min = member_string(exc, "minKernel");
	return !(min && kernel_at_least(im, min));
}

/* The names of a rule: "names": [...], or the older "name". */
static int rule_names(struct import *im, struct json_object *rule, size_t idx,
		      struct names *out)
{
	struct json_object *names = member(rule, "names"), *e;
	const char *name = member_string(rule, "name");
	size_t i;

	if (name)
		names_add(out, name);
	for (i = 0; i < array_len(names); i++) {
		e = json_object_array_get_idx(names, i);
		if (!json_object_is_type(e, json_type_string)) {
			import_error(im, "syscalls[%zu].names[%zu]: not a string",
				     idx, i);
			return EXIT_IMPORT;
		}
		names_add(out, json_object_get_string(e));
	}
	if (!name && !member(rule, "names")) {
		import_error(im, "syscalls[%zu]: no names", idx);
		return EXIT_IMPORT;
	}
	return EXIT_OK;
}

static void names_move(struct names *to, struct names *from)
{
	size_t i;

	for (i = 0; i < from->count; i++)
		names_add(to, from->v[i]);
	names_free(from);
}

static int import_rule(struct import *im, struct json_object *rule,
		       size_t idx)
{
	const char *action = member_string(rule, "action");
	struct names n = { 0 };
	int allows = action_allows(action), ret;

	if (allows < 0) {
		import_error(im, "syscalls[%zu]: unknown action '%s'", idx,
			     action ? action : "(none)");
		return EXIT_IMPORT;
	}
	ret = rule_names(im, rule, idx, &n);
	if (ret || !rule_applies(im, rule)) {
		names_free(&n);
		return ret;
	}
	/* A rule on arguments allows (or denies) a call only in part. */
	if (array_len(member(rule, "args"))) {
		if (allows != im->default_allows) {
			names_move(&im->partial, &n);
			return EXIT_OK;
		}
	}
	names_move(allows ? &im->allow : &im->deny, &n);
	return EXIT_OK;
}

static int import_seccomp(struct import *im, struct json_object *sc)
{
	struct json_object *rules = member(sc, "syscalls");
	size_t i;
	int ret, allows;

	im->default_action = member_string(sc, "defaultAction");
	allows = action_allows(im->default_action);
	if (allows < 0) {
		import_error(im, im->default_action ?
			     "unknown defaultAction '%s'" : "no defaultAction%s",
			     im->default_action ? im->default_action : "");
		return EXIT_IMPORT;
	}
	im->default_allows = allows;
	if (member(sc, "syscalls") && !json_object_is_type(rules, json_type_array)) {
		import_error(im, "syscalls is not an array");
		return EXIT_IMPORT;
	}
	ret = import_arches(im, sc);
	for (i = 0; !ret && i < array_len(rules); i++)
		ret = import_rule(im, json_object_array_get_idx(rules, i), i);
	return ret;
}

static bool known_on(const struct import *im, const char *name)
{
	int arch;

	for (arch = 0; arch < NR_ARCHES; arch++)
		if (im->arch[arch] && systab_number(arch, name) >= 0)
			return true;
	return false;
}

static bool plain_name(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
		     strlen(s);
}

/* The calls the profile allows, as names known on its arches. */
static void import_result(struct import *im, struct names *out,
			  struct names *unknown)
{
	const char *name;
	uint32_t base, i;
	size_t k;
	int arch;

	names_sort(&im->allow);
	names_sort(&im->deny);
	names_sort(&im->partial);
	if (im->default_allows) {
		for (arch = 0; arch < NR_ARCHES; arch++) {
			base = systab_base(arch);
			for (i = base; im->arch[arch] && i < base + NR_SPAN; i++) {
				name = systab_name(arch, i);
				if (name && !names_has(&im->deny, name))
					names_add(out, name);
			}
		}
	} else {
		for (k = 0; k < im->allow.count; k++)
			names_add(out, im->allow.v[k]);
		for (k = 0; k < im->partial.count; k++)
			names_add(out, im->partial.v[k]);
	}
	names_sort(out);
	/* Only what the profile does not allow whole elsewhere is partial. */
	for (k = 0; !im->default_allows && k < im->partial.count; k++) {
		if (!names_has(&im->allow, im->partial.v[k]))
			continue;
		free(im->partial.v[k]);
		im->partial.v[k] = NULL;
	}
	for (k = 0; k < out->count; k++) {
		if (known_on(im, out->v[k]))
			continue;
		if (plain_name(out->v[k]))
			names_add(unknown, out->v[k]);
		else
			im->bad_names++;
		free(out->v[k]);
		out->v[k] = NULL;
	}
}

static void print_comment_list(const char *title, const struct names *n)
{
	size_t i;

	for (i = 0; i < n->count && !n->v[i]; i++)
		;
	if (i == n->count)
		return;
	printf("\n# %s\n", title);
	for (; i < n->count; i++)
		if (n->v[i])
			printf("#\t%s\n", n->v[i]);
}

static void import_print(const struct import *im, const struct names *out,
			 const struct names *unknown)
{
	size_t i, count = 0;
	int arch;

	for (i = 0; i < out->count; i++)
		count += out->v[i] != NULL;
	printf("# speaker phase list: the calls that %s allows\n", im->path);
	printf("# (defaultAction %s; %zu calls), imported by %s %s\n",
	       im->default_action, count, PROG_NAME, PROG_VERSION);
	for (arch = ARCH_X86_64 + 1; arch < NR_ARCHES; arch++)
		if (im->arch[arch])
			printf("@arch %s\n", speaker_arch_names[arch]);
	for (i = 0; i < out->count; i++)
		if (out->v[i])
			printf("%s\n", out->v[i]);
	print_comment_list(im->default_allows ?
		"denied only for some arguments there, allowed whole here:" :
		"allowed only for some arguments there, allowed whole here:",
		&im->partial);
	print_comment_list("not system calls of x86_64, i386 or x32 (left out):",
			   unknown);
	print_comment_list("architectures speaker does not filter (ignored):",
			   &im->ignored_arches);
	if (im->bad_names)
		printf("\n# %u names that are no system call names (left out)\n",
		       im->bad_names);
}

/* Parse @path as JSON; errors name the line. */
static int read_json(struct import *im, struct json_object **out)
{
	struct json_tokener *tok;
	struct buf b;
	size_t end, i;
	unsigned int line = 1;
	int ret;

	ret = read_file(im->path, MAX_JSON_SIZE, &b);
	if (ret == -ENOENT) {
		error("%s: no such file", im->path);
		return EXIT_MISSING;
	}
	if (ret) {
		error("cannot read %s: %s", im->path,
		      ret == -EFBIG ? "too large" : strerror(-ret));
		return EXIT_UNREADABLE;
	}
	tok = json_tokener_new();
	if (!tok) {
		buf_free(&b);
		return EXIT_INTERNAL;
	}
	*out = json_tokener_parse_ex(tok, (const char *)b.data, (int)b.len);
	end = json_tokener_get_parse_end(tok);
	while (end < b.len && strchr(" \t\r\n", b.data[end]))
		end++;
	if (!*out || end < b.len) {
		for (i = 0; i < end && i < b.len; i++)
			line += b.data[i] == '\n';
		error("%s:%u: not JSON: %s", im->path, line, *out ?
		      "text after the end" : json_tokener_error_desc(
				json_tokener_get_error(tok)));
		json_object_put(*out);
		*out = NULL;
		ret = EXIT_IMPORT;
	}
	json_tokener_free(tok);
	buf_free(&b);
	return ret;
}

static void running_kernel(struct import *im)
{
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &im->kernel[0],
				&im->kernel[1]) != 2)
		im->kernel[0] = im->kernel[1] = 0;
}

int docker_import(const char *path)
{
	struct import im = { .path = path };
	struct names out = { 0 }, unknown = { 0 };
	struct json_object *root, *sc;
	int ret;

	running_kernel(&im);
	ret = read_json(&im, &root);
	if (ret)
		return ret;
	/* An OCI config.json carries the profile as linux.seccomp. */
	sc = member(member(root, "linux"), "seccomp");
	if (!sc && member(root, "linux")) {
		import_error(&im, "an OCI config without linux.seccomp");
		ret = EXIT_IMPORT;
	}
	if (!ret && !json_object_is_type(sc ? sc : root, json_type_object)) {
		import_error(&im, "not a seccomp profile (no JSON object)");
		ret = EXIT_IMPORT;
	}
	if (!ret)
		ret = import_seccomp(&im, sc ? sc : root);
	if (!ret) {
		import_result(&im, &out, &unknown);
		import_print(&im, &out, &unknown);
		if (fflush(stdout) || ferror(stdout))
			ret = EXIT_WRITE;
	}
	json_object_put(root);
	names_free(&im.allow);
	names_free(&im.deny);
	names_free(&im.partial);
	names_free(&im.ignored_arches);
	names_free(&out);
	names_free(&unknown);
	return ret;
}
