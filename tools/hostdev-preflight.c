/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostdev-preflight: check a libvirt domain's PCI host devices before it
 * starts. The command line only: it parses options, calls the library's
 * checker (src/check) and prints; every check lives in the library.
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include <glib.h>

#include "config.h"
#include "hp-checker.h"
#include "hp-cli.h"
#include "hp-cmd-apply.h"
#include "hp-cmd-capture.h"
#include "hp-cmd.h"
#include "hp-diff.h"
#include "hp-error.h"
#include "hp-exit.h"
#include "hp-file.h"
#include "hp-fix.h"
#include "hp-normalize.h"
#include "hp-output.h"
#include "hp-plan-output.h"
#include "hp-plan.h"


static void
hp_options_clear(HpOptions *opts)
{
	g_free(opts->root);
	g_free(opts->kernel_release);
	g_free(opts->libvirt_schemas);
	g_free(opts->format);
	g_free(opts->output);
	g_free(opts->jobs);
	g_free(opts->state_dir);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HpOptions, hp_options_clear)


gint
hp_usage_error(const HpVerb *verb, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);

gint
hp_usage_error(const HpVerb *verb, const gchar *fmt, ...)
{
	va_list args;
	g_autofree gchar *msg = NULL;
	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_printerr("hostdev-preflight: %s\n", msg);
	g_printerr("Try 'hostdev-preflight %s%s--help' for more information.\n", verb != NULL ? verb->name : "",
		   verb != NULL ? " " : "");
	return HP_EXIT_USAGE;
}

/*
 * libvirt's grammar: the directory given, or the default when it is there;
 * not at all with --no-libvirt-schemas. Returns FALSE on a usage error.
 */
static gboolean
hp_options_libvirt_dir(const HpOptions *opts, const HpVerb *verb, gchar **ret_dir, gint *ret_exit)
{
	g_autofree gchar *default_rng = g_build_filename(HP_LIBVIRT_SCHEMADIR, "domain.rng", NULL);

	*ret_dir = NULL;
	if (opts->no_libvirt_schemas && opts->libvirt_schemas != NULL) {
		*ret_exit = hp_usage_error(verb, "--libvirt-schemas and --no-libvirt-schemas exclude each other");
		return FALSE;
	}
	if (opts->no_libvirt_schemas)
		return TRUE;
	if (opts->libvirt_schemas != NULL) {
		g_autofree gchar *rng = g_build_filename(opts->libvirt_schemas, "domain.rng", NULL);
		if (!g_file_test(rng, G_FILE_TEST_IS_REGULAR)) {
			*ret_exit = hp_usage_error(verb, "--libvirt-schemas: %s does not exist", rng);
			return FALSE;
		}
		*ret_dir = g_strdup(opts->libvirt_schemas);
	} else if (g_file_test(default_rng, G_FILE_TEST_IS_REGULAR)) {
		*ret_dir = g_strdup(HP_LIBVIRT_SCHEMADIR);
	}
	return TRUE;
}

/* The pci.ids to name devices with: $HOSTDEV_PREFLIGHT_PCI_IDS, or the first
 * of the configured paths that exists. */
static const gchar *
hp_pci_ids_path(void)
{
	static gchar *found = NULL;
	const gchar *env = g_getenv("HOSTDEV_PREFLIGHT_PCI_IDS");
	g_auto(GStrv) paths = NULL;

	if (env != NULL)
		return env[0] != '\0' ? env : NULL;
	if (found != NULL)
		return found;
	paths = g_strsplit(HP_PCI_IDS_PATHS, ":", -1);
	for (guint i = 0; paths[i] != NULL; i++) {
		if (g_file_test(paths[i], G_FILE_TEST_IS_REGULAR)) {
			found = g_strdup(paths[i]);
			break;
		}
	}
	return found;
}

/*
 * Gives @checker its host, as the options say: none (a command without
 * host options, or --no-host), the --root, or this machine, whose lack of
 * a PCI sysfs (a container, a CI runner) skips the host rules with a note.
 * Returns FALSE with *@ret_exit on a usage error.
 */
static gboolean
hp_cli_setup_host(HpChecker *checker, const HpOptions *opts, const HpVerb *verb, gint *ret_exit)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *why = NULL;
	const gchar *default_root;
	gboolean is_snapshot;
	HpHost *host;

	if (!(verb->options & HP_OPT_ROOT))
		return TRUE; /* the checker starts with the host rules off */
	if (opts->no_host) {
		if (opts->root != NULL || opts->kernel_release != NULL) {
			*ret_exit = hp_usage_error(verb, "--no-host excludes --root and --kernel-release");
			return FALSE;
		}
		return TRUE;
	}
	/* HOSTDEV_PREFLIGHT_DEFAULT_ROOT stands in for / when no --root is
	 * given (tests; a container with the host's tree mounted elsewhere) */
	default_root = g_getenv("HOSTDEV_PREFLIGHT_DEFAULT_ROOT");
	if (default_root == NULL || default_root[0] == '\0')
		default_root = "/";
	/* --root DIR|SNAPSHOT: the release is --kernel-release, else the
	 * snapshot's, else the running kernel's */
	host = hp_host_new(opts->root != NULL ? opts->root : default_root, opts->kernel_release, &error);
	if (host == NULL) {
		g_printerr("hostdev-preflight: %s\n", error->message);
		*ret_exit = HP_EXIT_USAGE;
		return FALSE;
	}
	if (hp_host_get_kernel_release(host) == NULL) {
		struct utsname u;
		if (uname(&u) == 0)
			hp_host_set_kernel_release(host, u.release);
	}
	hp_host_set_pci_ids(host, hp_pci_ids_path());
	is_snapshot = hp_host_is_snapshot(host);
	if (hp_checker_set_host(checker, host, &error))
		return TRUE;
	if (opts->root != NULL) {
		/* one line: the option is right, the directory or file is not */
		g_printerr("hostdev-preflight: --root: %s; %s\n", error->message,
			   is_snapshot ? "this snapshot holds no PCI devices: capture the target host again"
				       : "give the directory that holds a copy of a host's sys/, or a snapshot file "
					 "written by capture on the host");
		*ret_exit = HP_EXIT_USAGE;
		return FALSE;
	}
	/* the advice names only what this command takes */
	why = g_strdup_printf("this machine has no PCI sysfs (/sys/bus/pci/devices), as in a container or a CI runner; "
			      "run on the target host%s give a copy of its tree with --root%s",
			      verb->options & HP_OPT_NO_HOST ? "," : ", or",
			      verb->options & HP_OPT_NO_HOST ? ", or pass --no-host" : "");
	hp_checker_skip_host(checker, why);
	return TRUE;
}

/* Where the flattened copy of libvirt's grammar is kept: the directory
 * $HOSTDEV_PREFLIGHT_GRAMMAR_CACHE names, "user" for the user's cache
 * directory; unset, empty or "off": nowhere, since validate, plan and
 * normalize write nothing but their output unless asked (SPEC section 3;
 * docs/grammar-cache.md). */
static gchar *
hp_grammar_cache_dir(void)
{
	const gchar *env = g_getenv("HOSTDEV_PREFLIGHT_GRAMMAR_CACHE");

	if (env == NULL || env[0] == '\0' || g_strcmp0(env, "off") == 0)
		return NULL;
	if (g_strcmp0(env, "user") == 0)
		return g_build_filename(g_get_user_cache_dir(), "hostdev-preflight", NULL);
	return g_strdup(env);
}

/* The checker the options ask for, or NULL with *@ret_exit. */
HpChecker *
hp_cli_checker(const HpOptions *opts, const HpVerb *verb, gint *ret_exit)
{
	g_autofree gchar *dir = NULL;
	g_autofree gchar *cache = hp_grammar_cache_dir();
	g_autoptr(GError) error = NULL;
	g_autoptr(HpChecker) checker = NULL;

	if (!hp_options_libvirt_dir(opts, verb, &dir, ret_exit))
		return NULL;
	checker = hp_checker_new_cached(dir, cache, &error);
	if (checker == NULL) {
		g_printerr("hostdev-preflight: %s\n", error->message);
		*ret_exit = HP_EXIT_USAGE;
		return NULL;
	}
	if (!hp_cli_setup_host(checker, opts, verb, ret_exit))
		return NULL;
	return g_steal_pointer(&checker);
}

const gchar *
hp_display_name(const gchar *path)
{
	return g_strcmp0(path, "-") == 0 ? "<stdin>" : path;
}

gint
hp_print_stdout(const gchar *text)
{
	fputs(text, stdout);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		g_printerr("hostdev-preflight: cannot write to standard output: %s\n", g_strerror(errno));
		return HP_EXIT_USAGE;
	}
	return HP_EXIT_OK;
}

/*
 * For the commands whose stdout is not a report (normalize, plan): checks
 * @file, prints the findings on stderr and refuses, saying "@file: @refusal",
 * a document with errors (or warnings, with --werror). Returns -1 and the
 * result when the document may go on; else the exit status.
 */
static gint
hp_cli_check_quietly(HpChecker *checker, const gchar *file, gboolean werror, const gchar *refusal,
		     HpCheckResult **ret_result, HpReport **ret_report)
{
	g_autoptr(HpReport) report = hp_report_new(werror);
	g_autoptr(HpCheckResult) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *shown = hp_escape(hp_display_name(file));

	result = hp_checker_check_file(checker, file, hp_display_name(file), &error);
	if (result == NULL) {
		g_autofree gchar *why = hp_escape(error->message);
		g_printerr("hostdev-preflight: cannot read %s: %s\n", shown, why);
		return HP_EXIT_USAGE;
	}
	hp_report_take_file(report, result->name, g_steal_pointer(&result->diags));
	text = hp_report_to_string(report, HP_OUTPUT_TEXT);
	g_printerr("%s", text);
	if (!hp_report_valid(report)) {
		g_printerr("hostdev-preflight: %s: %s\n", shown, refusal);
		return HP_EXIT_FINDINGS;
	}
	*ret_result = g_steal_pointer(&result);
	if (ret_report != NULL)
		*ret_report = g_steal_pointer(&report);
	return -1;
}

/* What --libvirt-compat had to leave out: never dropped silently. */
void
hp_cli_print_warnings(const gchar *file, GPtrArray *warnings)
{
	g_autofree gchar *shown = hp_escape(hp_display_name(file));
	for (guint i = 0; warnings != NULL && i < warnings->len; i++) {
		const HpNormalizeWarning *w = g_ptr_array_index(warnings, i);
		g_autofree gchar *msg = hp_escape(w->message);
		g_printerr("%s:%u: warning: %s\n", shown, w->line, msg);
	}
}

/*
 * Where a command that writes a document writes it (-o OUT, --in-place, or
 * standard output as NULL), refusing, before anything else is said, a file
 * that will not be written. FALSE with *@ret_exit on a usage error.
 */
gboolean
hp_cli_output_dest(const HpVerb *verb, const HpOptions *opts, const gchar *file, const gchar **ret_dest,
		   gint *ret_exit)
{
	g_autoptr(GError) error = NULL;
	const gchar *dest;

	if (opts->in_place && opts->output != NULL) {
		*ret_exit = hp_usage_error(verb, "-o and --in-place exclude each other");
		return FALSE;
	}
	if (opts->in_place && g_strcmp0(file, "-") == 0) {
		*ret_exit = hp_usage_error(verb, "--in-place needs a file, not standard input");
		return FALSE;
	}
	/* -o - is standard output, as no option at all */
	dest = opts->in_place ? file : (g_strcmp0(opts->output, "-") == 0 ? NULL : opts->output);
	if (dest != NULL && !hp_file_check_writable(dest, &error)) {
		g_autofree gchar *why = hp_escape(error->message);
		g_printerr("hostdev-preflight: %s\n", why);
		*ret_exit = HP_EXIT_USAGE;
		return FALSE;
	}
	*ret_dest = dest;
	return TRUE;
}

static gint
hp_cmd_normalize(const HpVerb *verb, HpOptions *opts, gchar **files)
{
	g_autoptr(HpChecker) checker = NULL;
	g_autoptr(HpNormalizer) norm = NULL;
	g_autoptr(HpCheckResult) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	g_autofree gchar *out = NULL;
	gint exit_code = HP_EXIT_OK;
	const gchar *file;
	const gchar *dest;

	if (files[0] == NULL || files[1] != NULL)
		return hp_usage_error(verb, "normalize takes exactly one FILE (- for standard input)");
	file = files[0];
	if (!hp_cli_output_dest(verb, opts, file, &dest, &exit_code))
		return exit_code;
	checker = hp_cli_checker(opts, verb, &exit_code);
	if (checker == NULL)
		return exit_code;
	norm = hp_normalizer_new(&error);
	if (norm == NULL) {
		g_printerr("hostdev-preflight: %s\n", error->message);
		return HP_EXIT_USAGE;
	}

	exit_code = hp_cli_check_quietly(checker, file, opts->werror, "not normalized, fix the errors above first",
					 &result, NULL);
	if (exit_code >= 0)
		return exit_code;
	out = hp_normalizer_apply(norm, result->document->doc, opts->libvirt_compat, hp_checker_get_libvirt(checker),
				  &warnings, &error);
	if (out == NULL) {
		g_printerr("hostdev-preflight: %s\n", error->message);
		return HP_EXIT_FINDINGS;
	}
	hp_cli_print_warnings(file, warnings);
	if (dest == NULL)
		return hp_print_stdout(out);
	if (!hp_file_replace(dest, out, strlen(out), &error)) {
		g_autofree gchar *why = hp_escape(error->message);
		g_printerr("hostdev-preflight: %s\n", why);
		return HP_EXIT_USAGE;
	}
	return HP_EXIT_OK;
}

static gint
hp_cmd_plan(const HpVerb *verb, HpOptions *opts, gchar **files)
{
	g_autoptr(HpChecker) checker = NULL;
	g_autoptr(HpCheckResult) result = NULL;
	g_autoptr(HpReport) report = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(HpPlan) plan = NULL;
	g_autofree gchar *out = NULL;
	HpPlanFormat format = HP_PLAN_FORMAT_TEXT;
	gint exit_code = HP_EXIT_OK;

	if (opts->format != NULL && !hp_plan_format_parse(opts->format, &format))
		return hp_usage_error(verb, "unknown --format '%s': use text, json or sh", opts->format);
	if (files[0] == NULL || files[1] != NULL)
		return hp_usage_error(verb, "plan takes exactly one FILE (- for standard input)");
	checker = hp_cli_checker(opts, verb, &exit_code);
	if (checker == NULL)
		return exit_code;
	exit_code = hp_cli_check_quietly(checker, files[0], opts->werror,
					 "no plan, the domain does not validate against this host", &result, &report);
	if (exit_code >= 0)
		return exit_code;
	if (!result->host_checked) {
		/* the note above said why */
		g_printerr("hostdev-preflight: no plan: a plan is for a host, and there is none to check against here\n");
		return HP_EXIT_USAGE;
	}
	/* the library refuses a domain with errors too, not only the line above */
	plan = hp_plan_build(hp_checker_get_host_view(checker), result->domain,
			     ((HpFileReport *)g_ptr_array_index(report->files, 0))->diags, &error);
	if (plan == NULL) {
		g_autofree gchar *why = hp_escape(error->message);
		g_printerr("hostdev-preflight: %s\n", why);
		return HP_EXIT_FINDINGS;
	}
	out = hp_plan_to_string(plan, format);
	return hp_print_stdout(out);
}


/* The pci.ids the language server names devices with. */
gchar *
hp_cmd_pci_ids_path(void)
{
	return g_strdup(hp_pci_ids_path());
}

/* Sorted by name: --help lists them in this order. */
static const HpVerb hp_verbs[] = {
    {"apply", "[OPTIONS] FILE", "Carry the plan out on this host: journalled, each binding checked, rolled back on failure",
     NULL, 0, NULL, hp_cmd_apply},
    {"capture", "[--root DIR|SNAPSHOT] [-o FILE]", "Write a snapshot of the host, for --root anywhere (no root needed)",
     NULL, 0, NULL, hp_cmd_capture},
    {"fix", "[OPTIONS] FILE", "Repair what the rules can repair, and write the domain normalized (or --diff)",
     hp_cmd_fix, HP_OPT_ROOT | HP_OPT_NO_HOST | HP_OPT_SCHEMA | HP_OPT_WRITE | HP_OPT_WERROR | HP_OPT_DIFF, NULL, NULL},
    {"hook", "qemu NAME OP SUBOP EXTRA", "Run as libvirt's hook: check and prepare a domain's devices at start, give them back at release",
     NULL, 0, NULL, hp_cmd_hook},
    {"lsp", "[OPTIONS]", "Serve the Language Server Protocol on stdio: findings as you type, quick fixes, hover",
     NULL, 0, NULL, hp_cmd_lsp},
    {"normalize", "[OPTIONS] FILE", "Write the domain in normalized form (to stdout, -o OUT or --in-place)",
     hp_cmd_normalize, HP_OPT_SCHEMA | HP_OPT_WRITE | HP_OPT_WERROR, NULL, NULL},
    {"plan", "[OPTIONS] FILE", "The drivers each device goes to, and the sysfs writes to prepare and release the host",
     hp_cmd_plan, HP_OPT_ROOT | HP_OPT_SCHEMA | HP_OPT_FORMAT | HP_OPT_WERROR, "Output format: text (default), json or sh", NULL},
    {"release", "[OPTIONS] FILE|NAME", "Give a domain's devices back to the drivers its apply journal recorded",
     NULL, 0, NULL, hp_cmd_release},
    {"validate", "[OPTIONS] FILE...", "Check domains against the grammars, the rules and the host ('-' reads stdin)",
     hp_cmd_validate, HP_OPT_ROOT | HP_OPT_NO_HOST | HP_OPT_SCHEMA | HP_OPT_FORMAT | HP_OPT_WERROR | HP_OPT_JOBS,
     "Output format: text (default), json or sarif", NULL},
};

static GOptionContext *
hp_verb_context(const HpVerb *verb, HpOptions *opts)
{
	g_autofree gchar *param = g_strdup_printf("%s %s", verb->name, verb->synopsis);
	g_autofree gchar *description = NULL;
	GOptionContext *ctx = g_option_context_new(param);
	const GOptionEntry root[] = {
	    {"root", 0, 0, G_OPTION_ARG_FILENAME, &opts->root, "The host: a directory (sysfs at DIR/sys, modules at DIR/lib/modules) or a snapshot file written by capture (default /)", "DIR|SNAPSHOT"},
	    {"kernel-release", 0, 0, G_OPTION_ARG_STRING, &opts->kernel_release, "Kernel release for modules.alias (default: the snapshot's, else uname -r)", "REL"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	const GOptionEntry no_host[] = {
	    {"no-host", 0, 0, G_OPTION_ARG_NONE, &opts->no_host, "Skip every host rule", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	const GOptionEntry schema[] = {
	    {"libvirt-schemas", 0, 0, G_OPTION_ARG_FILENAME, &opts->libvirt_schemas, "Also validate against DIR/domain.rng (default " HP_LIBVIRT_SCHEMADIR " when present)", "DIR"},
	    {"no-libvirt-schemas", 0, 0, G_OPTION_ARG_NONE, &opts->no_libvirt_schemas, "Do not use libvirt's grammar", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	const GOptionEntry format[] = {
	    {"format", 0, 0, G_OPTION_ARG_STRING, &opts->format, verb->formats, "FMT"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	const GOptionEntry write[] = {
	    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opts->output, "Write to OUT (a new file renamed over it; - is stdout)", "OUT"},
	    {"in-place", 0, 0, G_OPTION_ARG_NONE, &opts->in_place, "Replace FILE (atomically; owner, mode, ACL and xattrs kept)", NULL},
	    {"libvirt-compat", 0, 0, G_OPTION_ARG_NONE, &opts->libvirt_compat, "Write what the libvirt whose grammar is in use accepts", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	const GOptionEntry diff[] = {
	    {"diff", 0, 0, G_OPTION_ARG_NONE, &opts->diff, "Write a unified diff of the repairs instead of the document", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	const GOptionEntry jobs[] = {
	    {"jobs", 0, 0, G_OPTION_ARG_STRING, &opts->jobs, "Check the files on N threads (default: the CPUs available)", "N"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	const GOptionEntry werror[] = {
	    {"werror", 0, 0, G_OPTION_ARG_NONE, &opts->werror, "Warnings count as errors for the exit status", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};

	g_option_context_set_summary(ctx, verb->description);
	if (verb->options & HP_OPT_ROOT)
		g_option_context_add_main_entries(ctx, root, NULL);
	if (verb->options & HP_OPT_NO_HOST)
		g_option_context_add_main_entries(ctx, no_host, NULL);
	if (verb->options & HP_OPT_SCHEMA)
		g_option_context_add_main_entries(ctx, schema, NULL);
	if (verb->options & HP_OPT_FORMAT)
		g_option_context_add_main_entries(ctx, format, NULL);
	if (verb->options & HP_OPT_WRITE)
		g_option_context_add_main_entries(ctx, write, NULL);
	if (verb->options & HP_OPT_DIFF)
		g_option_context_add_main_entries(ctx, diff, NULL);
	if (verb->options & HP_OPT_WERROR)
		g_option_context_add_main_entries(ctx, werror, NULL);
	if (verb->options & HP_OPT_JOBS)
		g_option_context_add_main_entries(ctx, jobs, NULL);
	/* the exit status, naming --root only where it is an option */
	description = g_strdup_printf("'--' ends the options (a FILE may begin with '-').\n%s%s", HP_EXIT_HELP,
				      verb->options & HP_OPT_ROOT ? " A --root that cannot be read is a 2 too." : "");
	g_option_context_set_description(ctx, description);
	return ctx;
}

static void
hp_print_help(void)
{
	g_print("Usage:\n  hostdev-preflight COMMAND [OPTIONS] ARGS\n\n"
		"Check a libvirt domain's PCI host devices before it starts.\n\nCommands:\n");
	for (guint i = 0; i < G_N_ELEMENTS(hp_verbs); i++)
		g_print("  %-10s %-18s %s\n", hp_verbs[i].name, hp_verbs[i].synopsis, hp_verbs[i].description);
	g_print("\nOptions:\n  --help     Show this help\n  --version  Show the version\n\n"
		"'hostdev-preflight COMMAND --help' lists a command's options.\n" HP_EXIT_HELP "\n");
}

/* The names of the commands, for messages: "a, b or c". */
static gchar *
hp_verb_names(void)
{
	GString *out = g_string_new(NULL);
	for (guint i = 0; i < G_N_ELEMENTS(hp_verbs); i++) {
		if (i > 0)
			g_string_append(out, i + 1 == G_N_ELEMENTS(hp_verbs) ? " or " : ", ");
		g_string_append(out, hp_verbs[i].name);
	}
	return g_string_free(out, FALSE);
}

int
main(int argc, char **argv)
{
	const HpVerb *verb = NULL;
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(HpOptions) opts = {0};
	g_auto(GStrv) args = NULL;
	g_autofree gchar *names = hp_verb_names();
	guint n;

	setlocale(LC_ALL, "");
	if (argc < 2)
		return hp_usage_error(NULL, "no command given: use %s", names);
	if (g_strcmp0(argv[1], "--help") == 0 || g_strcmp0(argv[1], "-h") == 0 ||
	    g_strcmp0(argv[1], "help") == 0) {
		hp_print_help();
		return HP_EXIT_OK;
	}
	if (g_strcmp0(argv[1], "--version") == 0) {
		g_print("hostdev-preflight %s\n", HP_VERSION);
		return HP_EXIT_OK;
	}
	for (guint i = 0; i < G_N_ELEMENTS(hp_verbs); i++) {
		if (g_strcmp0(argv[1], hp_verbs[i].name) == 0)
			verb = &hp_verbs[i];
	}
	if (verb == NULL) {
		g_autofree gchar *shown = hp_escape(argv[1]);
		return hp_usage_error(NULL, "unknown command '%s': use %s", shown, names);
	}

	if (verb->own != NULL)
		return verb->own(argc - 1, argv + 1);
	ctx = hp_verb_context(verb, &opts);
	/* argv without the command word; GOption leaves '-' alone */
	args = g_new0(gchar *, argc);
	args[0] = g_strdup(argv[0]);
	for (gint i = 2; i < argc; i++)
		args[i - 1] = g_strdup(argv[i]);
	if (!g_option_context_parse_strv(ctx, &args, &error))
		return hp_usage_error(verb, "%s", error->message);
	/* GOption stops at '--' and leaves it: it ends the options, it is no FILE */
	n = g_strv_length(args);
	for (guint i = 1; i < n; i++) {
		if (g_strcmp0(args[i], "--") == 0) {
			g_free(args[i]);
			memmove(&args[i], &args[i + 1], (n - i) * sizeof(gchar *));
			break;
		}
	}
	return verb->handler(verb, &opts, args + 1);
}
