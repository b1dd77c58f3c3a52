// SPDX-License-Identifier: GPL-2.0
/*
 * speaker-compile - compile speaker profiles into seccomp filters, load
 * them into a speaker configfs item, and save traced calls as profiles
 *
 * See speaker-compile.1 for the command line and the profile format.
 */
#include <errno.h>
#include <getopt.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "docker.h"
#include "filter.h"
#include "item.h"
#include "profile.h"
#include "save.h"

struct options {
	const char *output;
	bool filter_option;	/* --default or --arch given */
	bool pfc;
	bool save;
	bool force;
	bool export_docker;
	bool import_docker;
	bool cap_option;
	bool default_option;
	uint32_t def_action;
	bool extra_arch[NR_ARCHES];
	const char *arg[2];
};

static const char usage_line[] =
	"Usage: " PROG_NAME " [OPTION]... PROFILE_DIR {ITEM_DIR | -o DIR | --pfc}"
	" | --save [-f] ITEM_DIR PROFILE_DIR\n"
	"       " PROG_NAME " --export-docker [-a ARCH] PROFILE_DIR"
	" | --import-docker [--cap CAP]... FILE\n";

static const char help_text[] =
	"Compile the speaker profile PROFILE_DIR/{booting,running,shutdown}\n"
	"(one system call name per line) into seccomp filters with libseccomp\n"
	"and load them into the speaker configfs item ITEM_DIR, all three or\n"
	"none; or save the calls an item recorded in trace mode as a profile.\n"
	"\n"
	"  -o, --output DIR      write the three programs as files into DIR\n"
	"  -p, --pfc             print libseccomp's pseudo filter code instead\n"
	"  -d, --default ACTION  for calls not allowed: kill-process (default),\n"
	"                        kill-thread, trap, log, errno:N or errno:ENAME\n"
	"  -a, --arch ARCH       also allow the profile's calls on ARCH: i386,\n"
	"                        x32 (repeat, or i386,x32); like '@arch ARCH'\n"
	"  -s, --save            read ITEM_DIR/recorded, write PROFILE_DIR\n"
	"  -f, --force           with --save: replace existing phase files\n"
	"      --export-docker   print PROFILE_DIR's three phases together as a\n"
	"                        Docker seccomp profile (JSON)\n"
	"      --import-docker   print the calls that the Docker seccomp profile\n"
	"                        (or OCI config.json) FILE allows, as a phase list\n"
	"      --cap CAP         with --import-docker: the container has CAP too\n"
	"                        (besides Docker's defaults); repeat or CAP,CAP\n"
	"  -q, --quiet           no notices and no summary lines\n"
	"  -h, --help            show this help and exit\n"
	"  -V, --version         show the version and exit\n"
	"\n"
	"Exit status:\n"
	"  0  success\n"
	"  1  internal error (out of memory, libseccomp failed)\n"
	"  2  usage error\n"
	"  3  profile error: unknown system call, bad line, filter too large\n"
	"  4  missing input: a phase file, or the item's recorded attribute\n"
	"  5  an input file exists but cannot be read\n"
	"  6  cannot access or write the item or output; nothing changed\n"
	"  7  the kernel refused a program; the item holds its old programs\n"
	"  8  failed and could not restore the item's old programs\n"
	"  9  recorded calls cannot be made a profile\n"
	" 10  a Docker profile cannot be imported\n";

/* Long options without a short form. */
enum {
	OPT_EXPORT_DOCKER = 256,
	OPT_IMPORT_DOCKER,
	OPT_CAP,
};

static const struct option long_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "pfc", no_argument, NULL, 'p' },
	{ "default", required_argument, NULL, 'd' },
	{ "arch", required_argument, NULL, 'a' },
	{ "save", no_argument, NULL, 's' },
	{ "force", no_argument, NULL, 'f' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "export-docker", no_argument, NULL, OPT_EXPORT_DOCKER },
	{ "import-docker", no_argument, NULL, OPT_IMPORT_DOCKER },
	{ "cap", required_argument, NULL, OPT_CAP },
	{ NULL, 0, NULL, 0 }
};

static void usage_error(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* A message if @fmt is given, then the one-line usage; exit status 2. */
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s: ", PROG_NAME);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fputs(usage_line, stderr);
	exit(EXIT_USAGE);
}

static void print_version(void)
{
	const struct scmp_version *v = seccomp_version();

	printf("%s %s (libseccomp %u.%u.%u)\n", PROG_NAME, PROG_VERSION,
	       v->major, v->minor, v->micro);
}

/* "i386", "x32", "i386,x32"; x86_64 is always on. */
static void parse_arch_list(char *list, struct options *o)
{
	char *save, *name;
	int arch;

	for (name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		arch = speaker_arch_lookup(name, strlen(name));
		if (arch < 0)
			usage_error("unknown arch '%s' (i386 or x32)", name);
		o->extra_arch[arch] = true;
	}
}

/* "SYS_ADMIN", "CAP_NET_ADMIN,SYS_PTRACE" */
static void parse_cap_list(char *list)
{
	char *save, *name;

	for (name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save))
		if (docker_cap_add(name))
			usage_error("unknown capability '%s'", name);
}

/* --export-docker PROFILE_DIR, --import-docker FILE: one argument each. */
static void check_docker_args(struct options *o, int nargs)
{
	if (o->export_docker && o->import_docker)
		usage_error("--export-docker and --import-docker exclude each other");
	if (o->save || o->output || o->pfc || o->force)
		usage_error("--%s-docker takes no --save, --output, --pfc or --force",
			    o->export_docker ? "export" : "import");
	if (o->export_docker && (o->cap_option || o->default_option))
		usage_error("--export-docker takes no --cap or --default");
	if (o->import_docker && o->filter_option)
		usage_error("--import-docker takes no --default or --arch");
	if (nargs != 1)
		usage_error("expected %s", o->export_docker ? "PROFILE_DIR only" :
			    "FILE only");
}

static void check_args(struct options *o, int nargs)
{
	int want = (o->output || o->pfc) ? 1 : 2;

	if (o->export_docker || o->import_docker) {
		check_docker_args(o, nargs);
		return;
	}
	if (o->cap_option)
		usage_error("--cap goes with --import-docker only");
	if (o->save && (o->output || o->pfc || o->filter_option))
		usage_error("--save takes no --output, --pfc, --default or --arch");
	if (o->output && o->pfc)
		usage_error("--output and --pfc exclude each other");
	if (o->force && !o->save)
		usage_error("--force goes with --save only");
	if (nargs != want)
		usage_error("expected %s", want == 1 ? "PROFILE_DIR only" :
			    o->save ? "ITEM_DIR PROFILE_DIR" :
				      "PROFILE_DIR ITEM_DIR");
}

static void parse_options(int argc, char **argv, struct options *o)
{
	int c, nargs;

	o->def_action = SCMP_ACT_KILL_PROCESS;
	opterr = 0;	/* our own messages, with our name */
	while ((c = getopt_long(argc, argv, ":o:pd:a:sfqhV", long_options,
				NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 'p':
			o->pfc = true;
			break;
		case 'd':
			o->filter_option = true;
			o->default_option = true;
			if (parse_action(optarg, &o->def_action))
				usage_error("unknown default action '%s'",
					    optarg);
			break;
		case 'a':
			o->filter_option = true;
			parse_arch_list(optarg, o);
			break;
		case 's':
			o->save = true;
			break;
		case 'f':
			o->force = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(usage_line, stdout);
			fputs(help_text, stdout);
			exit(EXIT_OK);
		case 'V':
			print_version();
			exit(EXIT_OK);
		case OPT_EXPORT_DOCKER:
			o->export_docker = true;
			break;
		case OPT_IMPORT_DOCKER:
			o->import_docker = true;
			break;
		case OPT_CAP:
			o->cap_option = true;
			parse_cap_list(optarg);
			break;
		case ':':
			usage_error("option '%s' needs an argument",
				    argv[optind - 1]);
		default:
			if (optopt)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	nargs = argc - optind;
	check_args(o, nargs);
	o->arg[0] = argv[optind];
	o->arg[1] = nargs > 1 ? argv[optind + 1] : NULL;
}

/* "booting: 37 calls, 52 insns", arches spelled out when there are more. */
static char *summary(int phase, const struct profile *p, unsigned int insns)
{
	char archs[96] = "", *line;
	unsigned int total = 0;
	size_t len = 0;
	int arch, used = 0;

	for (arch = 0; arch < NR_ARCHES; arch++) {
		if (!p->arch_used[arch])
			continue;
		total += p->count[arch];
		len += snprintf(archs + len, sizeof(archs) - len, "%s%s %u",
				used++ ? ", " : " (", speaker_arch_names[arch],
				p->count[arch]);
	}
	if (used > 1)
		snprintf(archs + len, sizeof(archs) - len, ")");
	else
		archs[0] = '\0';
	if (asprintf(&line, "%s: %u calls%s, %u insns",
		     speaker_phase_names[phase], total, archs, insns) < 0)
		line = NULL;
	return line;
}

static int compile_phase(const struct options *o, int phase,
			 struct compiled *out, char **line)
{
	char *path = path_join(o->arg[0], speaker_phase_names[phase]);
	struct profile p;
	int ret;

	ret = profile_load(path, o->extra_arch, &p);
	if (!ret) {
		profile_add_always(&p);
		ret = filter_compile(&p, o->def_action, o->pfc, out);
	}
	if (!ret)
		*line = summary(phase, &p, out->insns);
	profile_free(&p);
	free(path);
	return ret;
}

/* Compile every phase, even after an error, to report all problems. */
static int compile_all(const struct options *o, struct compiled out[],
		       char *lines[])
{
	int phase, ret, first = EXIT_OK;
	struct stat st;

	if (stat(o->arg[0], &st) || !S_ISDIR(st.st_mode)) {
		error("%s: not a directory", o->arg[0]);
		return EXIT_MISSING;
	}
	for (phase = 0; phase < NR_PHASES; phase++) {
		ret = compile_phase(o, phase, &out[phase], &lines[phase]);
		if (ret && !first)
			first = ret;
	}
	return first;
}

static int deliver(const struct options *o, struct compiled out[])
{
	struct buf prog[NR_PHASES];
	int phase;

	for (phase = 0; phase < NR_PHASES; phase++)
		prog[phase] = out[phase].bpf;
	if (o->output)
		return output_write(o->output, prog);
	if (!o->pfc)
		return item_load(o->arg[1], prog);
	for (phase = 0; phase < NR_PHASES; phase++) {
		printf("#\n# speaker phase: %s\n", speaker_phase_names[phase]);
		fwrite(out[phase].pfc.data, 1, out[phase].pfc.len, stdout);
	}
	return fflush(stdout) ? EXIT_WRITE : EXIT_OK;
}

static int compile_and_deliver(const struct options *o)
{
	struct compiled out[NR_PHASES] = { 0 };
	char *lines[NR_PHASES] = { NULL };
	int phase, ret;

	ret = compile_all(o, out, lines);
	if (!ret)
		ret = deliver(o, out);
	for (phase = 0; phase < NR_PHASES; phase++) {
		if (!ret && lines[phase])
			info("%s", lines[phase]);
		free(lines[phase]);
		compiled_free(&out[phase]);
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };

	parse_options(argc, argv, &o);
	if (seccomp_arch_native() != SCMP_ARCH_X86_64) {
		error("speaker filters x86_64 machines; this libseccomp is for another arch");
		return EXIT_INTERNAL;
	}
	if (systab_init()) {
		error("libseccomp names no system calls");
		return EXIT_INTERNAL;
	}
	if (o.save)
		return save_profile(o.arg[0], o.arg[1], o.force);
	if (o.export_docker)
		return docker_export(o.arg[0], o.extra_arch);
	if (o.import_docker)
		return docker_import(o.arg[0]);
	return compile_and_deliver(&o);
}
