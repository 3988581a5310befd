/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostdev-preflight: check a libvirt domain's PCI host devices before it
 * starts. The command line only: every check lives in the library (src/).
 */
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "config.h"
#include "hp-cmd-capture.h"
#include "hp-document.h"
#include "hp-error.h"
#include "hp-host-rules.h"
#include "hp-host-view.h"
#include "hp-normalize.h"
#include "hp-output.h"
#include "hp-plan-output.h"
#include "hp-plan.h"
#include "hp-validate.h"

/* Exit status, as SPEC section 3 and the man page say. */
enum {
	HP_EXIT_OK = 0,       /* no errors (warnings allowed) */
	HP_EXIT_FINDINGS = 1, /* at least one error in an input */
	HP_EXIT_USAGE = 2,    /* usage error, or an input that cannot be read */
};

typedef struct {
	gchar *root;
	gchar *kernel_release;
	gboolean no_host;
	gchar *libvirt_schemas;
	gboolean no_libvirt_schemas;
	gchar *format;
	gboolean libvirt_compat;
	gboolean werror;
	gchar *output;
	gboolean in_place;
} HpOptions;

static void
hp_options_clear(HpOptions *opts)
{
	g_free(opts->root);
	g_free(opts->kernel_release);
	g_free(opts->libvirt_schemas);
	g_free(opts->format);
	g_free(opts->output);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HpOptions, hp_options_clear)

static gint
hp_usage_error(const gchar *command, const gchar *fmt, ...) G_GNUC_PRINTF(2, 3);

static gint
hp_usage_error(const gchar *command, const gchar *fmt, ...)
{
	va_list args;
	g_autofree gchar *msg = NULL;
	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_printerr("hostdev-preflight: %s\n", msg);
	g_printerr("Try 'hostdev-preflight %s--help' for more information.\n", command != NULL ? command : "");
	return HP_EXIT_USAGE;
}

/*
 * libvirt's grammar: the directory given, or the default when it is there;
 * not at all with --no-libvirt-schemas. Returns FALSE on a usage error.
 */
static gboolean
hp_options_libvirt_dir(const HpOptions *opts, const gchar *command, gchar **ret_dir, gint *ret_exit)
{
	g_autofree gchar *default_rng = g_build_filename(HP_LIBVIRT_SCHEMADIR, "domain.rng", NULL);

	*ret_dir = NULL;
	if (opts->no_libvirt_schemas && opts->libvirt_schemas != NULL) {
		*ret_exit = hp_usage_error(command, "--libvirt-schemas and --no-libvirt-schemas exclude each other");
		return FALSE;
	}
	if (opts->no_libvirt_schemas)
		return TRUE;
	if (opts->libvirt_schemas != NULL) {
		g_autofree gchar *rng = g_build_filename(opts->libvirt_schemas, "domain.rng", NULL);
		if (!g_file_test(rng, G_FILE_TEST_IS_REGULAR)) {
			*ret_exit = hp_usage_error(command, "--libvirt-schemas: %s does not exist", rng);
			return FALSE;
		}
		*ret_dir = g_strdup(opts->libvirt_schemas);
	} else if (g_file_test(default_rng, G_FILE_TEST_IS_REGULAR)) {
		*ret_dir = g_strdup(HP_LIBVIRT_SCHEMADIR);
	}
	return TRUE;
}

static HpValidator *
hp_cli_validator(const HpOptions *opts, const gchar *command, gint *ret_exit)
{
	g_autofree gchar *dir = NULL;
	g_autoptr(GError) error = NULL;
	HpValidator *validator;

	if (!hp_options_libvirt_dir(opts, command, &dir, ret_exit))
		return NULL;
	validator = hp_validator_new(dir, &error);
	if (validator == NULL) {
		g_printerr("hostdev-preflight: %s\n", error->message);
		*ret_exit = HP_EXIT_USAGE;
	}
	return validator;
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
 * The host to check against, or NULL with *ret_skip set (the host rules do
 * not run) or *ret_exit set (the --root directory cannot be read).
 */
static HpHostView *
hp_cli_host(const HpOptions *opts, const gchar *command, gchar **ret_skip, gint *ret_exit)
{
	g_autoptr(GError) error = NULL;
	HpHostView *view;
	HpHost *host;
	const gchar *default_root;

	*ret_skip = NULL;
	if (opts->no_host) {
		if (opts->root != NULL || opts->kernel_release != NULL) {
			*ret_exit = hp_usage_error(command, "--no-host excludes --root and --kernel-release");
			return NULL;
		}
		return NULL;
	}
	/* HOSTDEV_PREFLIGHT_DEFAULT_ROOT stands in for / when no --root is
	 * given (tests; a container with the host's tree mounted elsewhere) */
	default_root = g_getenv("HOSTDEV_PREFLIGHT_DEFAULT_ROOT");
	if (default_root == NULL || default_root[0] == '\0')
		default_root = "/";
	host = hp_host_new(opts->root != NULL ? opts->root : default_root, opts->kernel_release, &error);
	if (host == NULL) {
		g_printerr("hostdev-preflight: %s\n", error->message);
		*ret_exit = HP_EXIT_USAGE;
		return NULL;
	}
	if (hp_host_get_kernel_release(host) == NULL) { /* a snapshot has its own */
		struct utsname u;
		if (uname(&u) == 0)
			hp_host_set_kernel_release(host, u.release);
	}
	hp_host_set_pci_ids(host, hp_pci_ids_path());
	view = hp_host_view_new(host);
	if (opts->root == NULL && !hp_host_view_has_pci(view)) {
		*ret_skip = g_strdup("this machine has no PCI sysfs (/sys/bus/pci/devices), as in a container or a CI runner; "
				     "run on the target host, give a copy of its tree with --root, or pass --no-host");
		hp_host_view_free(view);
		return NULL;
	}
	return view;
}

static const gchar *
hp_display_name(const gchar *path)
{
	return g_strcmp0(path, "-") == 0 ? "<stdin>" : path;
}

static gint
hp_cmd_validate(HpOptions *opts, gchar **files)
{
	g_autoptr(HpValidator) validator = NULL;
	g_autoptr(HpReport) report = hp_report_new(opts->werror);
	g_autoptr(HpHostView) view = NULL;
	g_autofree gchar *skip = NULL;
	g_autofree gchar *text = NULL;
	HpOutputFormat format = HP_OUTPUT_TEXT;
	gboolean unreadable = FALSE;
	gint exit_code = HP_EXIT_OK;

	if (opts->format != NULL && !hp_output_format_parse(opts->format, &format))
		return hp_usage_error("validate ", "unknown --format '%s': use text, json or sarif", opts->format);
	if (opts->output != NULL || opts->in_place || opts->libvirt_compat)
		return hp_usage_error("validate ", "validate writes nothing: -o, --in-place and --libvirt-compat are for normalize");
	if (files == NULL || files[0] == NULL)
		return hp_usage_error("validate ", "no FILE given: name the domain XML files to check, or - for standard input");
	validator = hp_cli_validator(opts, "validate ", &exit_code);
	if (validator == NULL)
		return exit_code;
	exit_code = -1;
	view = hp_cli_host(opts, "validate ", &skip, &exit_code);
	if (exit_code >= 0)
		return exit_code;

	for (guint i = 0; files[i] != NULL; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(HpDocument) hdoc = NULL;
		g_autoptr(HpDomain) domain = NULL;
		HpDiagList *diags;

		diags = hp_report_add_file(report, hp_display_name(files[i]));
		hdoc = hp_document_load(files[i], hp_display_name(files[i]), diags, &error);
		if (error != NULL) {
			g_printerr("hostdev-preflight: cannot read %s: %s\n", files[i], error->message);
			g_ptr_array_remove_index(report->files, report->files->len - 1);
			unreadable = TRUE;
			continue;
		}
		if (hdoc == NULL)
			continue;
		domain = hp_validator_check(validator, hdoc, diags);
		if (view != NULL)
			hp_host_rules_check(view, hdoc, domain, diags);
		else if (skip != NULL)
			hp_host_rules_skipped(hdoc, diags, skip);
		hp_diag_list_sort(diags);
	}
	text = hp_report_to_string(report, format);
	fputs(text, stdout);
	fflush(stdout);
	if (unreadable)
		return HP_EXIT_USAGE;
	return hp_report_valid(report) ? HP_EXIT_OK : HP_EXIT_FINDINGS;
}

/* Writes @data to @path through a temporary file and a rename, keeping the
 * mode of the file it replaces (or 0644 for a new one). */
static gboolean
hp_write_atomically(const gchar *path, const gchar *data, GError **error)
{
	g_autofree gchar *target = NULL;
	struct stat st;
	gint mode = 0644;

	/* write through a symbolic link, not over it */
	target = g_file_read_link(path, NULL);
	if (target != NULL && !g_path_is_absolute(target)) {
		g_autofree gchar *dir = g_path_get_dirname(path);
		gchar *abs = g_build_filename(dir, target, NULL);
		g_free(target);
		target = abs;
	}
	if (target == NULL)
		target = g_strdup(path);
	if (g_stat(target, &st) == 0)
		mode = (gint)(st.st_mode & 07777);
	return g_file_set_contents_full(target, data, -1,
					G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_ONLY_EXISTING, mode,
					error);
}

/*
 * For the commands whose stdout is not a report (normalize, plan): loads
 * @file, runs the static layers and, with @view, the host's, and prints the
 * findings on stderr. Returns -1 when the document may go on, with it and
 * its model; else the exit status, after saying "@file: @refusal".
 */
static gint
hp_cli_check_quietly(HpValidator *validator, HpHostView *view, const gchar *file, gboolean werror,
		     const gchar *refusal, HpDocument **ret_hdoc, HpDomain **ret_domain)
{
	g_autoptr(HpReport) report = hp_report_new(werror);
	g_autoptr(HpDocument) hdoc = NULL;
	g_autoptr(HpDomain) domain = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;
	HpDiagList *diags = hp_report_add_file(report, hp_display_name(file));

	hdoc = hp_document_load(file, hp_display_name(file), diags, &error);
	if (error != NULL) {
		g_printerr("hostdev-preflight: cannot read %s: %s\n", file, error->message);
		return HP_EXIT_USAGE;
	}
	if (hdoc != NULL) {
		domain = hp_validator_check(validator, hdoc, diags);
		if (view != NULL) {
			hp_host_rules_check(view, hdoc, domain, diags);
			hp_diag_list_sort(diags);
		}
	}
	text = hp_report_to_string(report, HP_OUTPUT_TEXT);
	g_printerr("%s", text);
	if (!hp_report_valid(report)) {
		g_printerr("hostdev-preflight: %s: %s\n", hp_display_name(file), refusal);
		return HP_EXIT_FINDINGS;
	}
	*ret_hdoc = g_steal_pointer(&hdoc);
	*ret_domain = g_steal_pointer(&domain);
	return -1;
}

static gint
hp_cmd_normalize(HpOptions *opts, gchar **files)
{
	g_autoptr(HpValidator) validator = NULL;
	g_autoptr(HpNormalizer) norm = NULL;
	g_autoptr(HpDocument) hdoc = NULL;
	g_autoptr(HpDomain) domain = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;
	gint exit_code = HP_EXIT_OK;
	const gchar *file;

	if (files == NULL || files[0] == NULL || files[1] != NULL)
		return hp_usage_error("normalize ", "normalize takes exactly one FILE (- for standard input)");
	if (opts->format != NULL)
		return hp_usage_error("normalize ", "normalize writes XML; --format is for validate and plan");
	file = files[0];
	if (opts->in_place && opts->output != NULL)
		return hp_usage_error("normalize ", "-o and --in-place exclude each other");
	if (opts->in_place && g_strcmp0(file, "-") == 0)
		return hp_usage_error("normalize ", "--in-place needs a file, not standard input");
	validator = hp_cli_validator(opts, "normalize ", &exit_code);
	if (validator == NULL)
		return exit_code;
	norm = hp_normalizer_new(&error);
	if (norm == NULL) {
		g_printerr("hostdev-preflight: %s\n", error->message);
		return HP_EXIT_USAGE;
	}

	exit_code = hp_cli_check_quietly(validator, NULL, file, opts->werror, "not normalized, fix the errors above first",
					 &hdoc, &domain);
	if (exit_code >= 0)
		return exit_code;
	out = hp_normalizer_apply(norm, hdoc->doc, opts->libvirt_compat, &error);
	if (out == NULL) {
		g_printerr("hostdev-preflight: %s\n", error->message);
		return HP_EXIT_FINDINGS;
	}
	if (opts->in_place || opts->output != NULL) {
		const gchar *dest = opts->in_place ? file : opts->output;
		if (!hp_write_atomically(dest, out, &error)) {
			g_printerr("hostdev-preflight: cannot write %s: %s\n", dest, error->message);
			return HP_EXIT_USAGE;
		}
		return HP_EXIT_OK;
	}
	fputs(out, stdout);
	if (fflush(stdout) != 0) {
		g_printerr("hostdev-preflight: cannot write to standard output: %s\n", g_strerror(errno));
		return HP_EXIT_USAGE;
	}
	return HP_EXIT_OK;
}

static gint
hp_cmd_plan(HpOptions *opts, gchar **files)
{
	g_autoptr(HpValidator) validator = NULL;
	g_autoptr(HpHostView) view = NULL;
	g_autoptr(HpDocument) hdoc = NULL;
	g_autoptr(HpDomain) domain = NULL;
	g_autoptr(HpPlan) plan = NULL;
	g_autofree gchar *skip = NULL;
	g_autofree gchar *out = NULL;
	HpPlanFormat format = HP_PLAN_FORMAT_TEXT;
	gint exit_code = -1;
	const gchar *file;

	if (opts->format != NULL && !hp_plan_format_parse(opts->format, &format))
		return hp_usage_error("plan ", "unknown --format '%s': use text, json or sh", opts->format);
	if (files == NULL || files[0] == NULL || files[1] != NULL)
		return hp_usage_error("plan ", "plan takes exactly one FILE (- for standard input)");
	if (opts->no_host)
		return hp_usage_error("plan ", "a plan is for a host: --no-host does not apply");
	file = files[0];
	validator = hp_cli_validator(opts, "plan ", &exit_code);
	if (validator == NULL)
		return exit_code;
	exit_code = -1;
	view = hp_cli_host(opts, "plan ", &skip, &exit_code);
	if (exit_code >= 0)
		return exit_code;
	if (view == NULL) {
		g_printerr("hostdev-preflight: no plan: %s\n", skip);
		return HP_EXIT_USAGE;
	}
	exit_code = hp_cli_check_quietly(validator, view, file, opts->werror,
					 "no plan, the domain does not validate against this host", &hdoc, &domain);
	if (exit_code >= 0)
		return exit_code;
	plan = hp_plan_build(view, domain);
	out = hp_plan_to_string(plan, format);
	fputs(out, stdout);
	if (fflush(stdout) != 0) {
		g_printerr("hostdev-preflight: cannot write to standard output: %s\n", g_strerror(errno));
		return HP_EXIT_USAGE;
	}
	return HP_EXIT_OK;
}

typedef gint (*HpCmdFunc)(HpOptions *opts, gchar **files);

typedef struct {
	const gchar *name;
	const gchar *synopsis;
	const gchar *description;
	HpCmdFunc func;
	guint options; /* HpOptionGroup flags */
} HpCmd;

enum {
	HP_OPT_HOST = 1 << 0,
	HP_OPT_SCHEMA = 1 << 1,
	HP_OPT_FORMAT = 1 << 2,
	HP_OPT_WRITE = 1 << 3,
	HP_OPT_WERROR = 1 << 4,
};

static const HpCmd hp_cmds[] = {
    {"normalize", "[OPTIONS] FILE", "Write the domain in normalized form (to stdout, -o OUT or --in-place)",
     hp_cmd_normalize, HP_OPT_SCHEMA | HP_OPT_WRITE | HP_OPT_WERROR},
    {"plan", "[OPTIONS] FILE", "The drivers each device goes to, and the sysfs writes to prepare and release the host",
     hp_cmd_plan, HP_OPT_HOST | HP_OPT_SCHEMA | HP_OPT_FORMAT | HP_OPT_WERROR},
    {"validate", "[OPTIONS] FILE...", "Check domains against the grammars, the rules and the host ('-' reads stdin)",
     hp_cmd_validate, HP_OPT_HOST | HP_OPT_SCHEMA | HP_OPT_FORMAT | HP_OPT_WERROR},
};

static GOptionContext *
hp_cmd_context(const HpCmd *cmd, HpOptions *opts)
{
	g_autofree gchar *param = g_strdup_printf("%s %s", cmd->name, cmd->synopsis);
	GOptionContext *ctx = g_option_context_new(param);
	const GOptionEntry host[] = {
	    {"root", 0, 0, G_OPTION_ARG_FILENAME, &opts->root, "Host filesystem root: sysfs at DIR/sys, modules at DIR/lib/modules (default /)", "DIR"},
	    {"kernel-release", 0, 0, G_OPTION_ARG_STRING, &opts->kernel_release, "Kernel release for modules.alias (default: uname -r)", "REL"},
	    {"no-host", 0, 0, G_OPTION_ARG_NONE, &opts->no_host, "Skip every host rule", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	const GOptionEntry schema[] = {
	    {"libvirt-schemas", 0, 0, G_OPTION_ARG_FILENAME, &opts->libvirt_schemas, "Also validate against DIR/domain.rng (default " HP_LIBVIRT_SCHEMADIR " when present)", "DIR"},
	    {"no-libvirt-schemas", 0, 0, G_OPTION_ARG_NONE, &opts->no_libvirt_schemas, "Do not use libvirt's grammar", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	const GOptionEntry format[] = {
	    {"format", 0, 0, G_OPTION_ARG_STRING, &opts->format,
	     g_strcmp0(cmd->name, "plan") == 0 ? "Output format: text (default), json or sh" : "Output format: text (default), json or sarif", "FMT"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	const GOptionEntry write[] = {
	    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opts->output, "Write to OUT (atomically) instead of stdout", "OUT"},
	    {"in-place", 0, 0, G_OPTION_ARG_NONE, &opts->in_place, "Replace FILE (atomically, mode kept)", NULL},
	    {"libvirt-compat", 0, 0, G_OPTION_ARG_NONE, &opts->libvirt_compat, "Write what stock libvirt (>= 6.0) accepts", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	const GOptionEntry werror[] = {
	    {"werror", 0, 0, G_OPTION_ARG_NONE, &opts->werror, "Warnings count as errors for the exit status", NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};

	g_option_context_set_summary(ctx, cmd->description);
	if (cmd->options & HP_OPT_HOST)
		g_option_context_add_main_entries(ctx, host, NULL);
	if (cmd->options & HP_OPT_SCHEMA)
		g_option_context_add_main_entries(ctx, schema, NULL);
	if (cmd->options & HP_OPT_FORMAT)
		g_option_context_add_main_entries(ctx, format, NULL);
	if (cmd->options & HP_OPT_WRITE)
		g_option_context_add_main_entries(ctx, write, NULL);
	if (cmd->options & HP_OPT_WERROR)
		g_option_context_add_main_entries(ctx, werror, NULL);
	g_option_context_set_description(ctx,
					 "Exit status: 0 no errors (warnings allowed), 1 errors found, "
					 "2 usage error or an input that cannot be read.");
	return ctx;
}

static void
hp_print_help(void)
{
	g_print("Usage:\n  hostdev-preflight COMMAND [OPTIONS] ARGS\n\n"
		"Check a libvirt domain's PCI host devices before it starts.\n\nCommands:\n");
	for (guint i = 0; i < G_N_ELEMENTS(hp_cmds); i++)
		g_print("  %-10s %-18s %s\n", hp_cmds[i].name, hp_cmds[i].synopsis, hp_cmds[i].description);
	g_print("\nOptions:\n  --help     Show this help\n  --version  Show the version\n\n"
		"'hostdev-preflight COMMAND --help' lists a command's options.\n"
		"Exit status: 0 no errors (warnings allowed), 1 errors found, "
		"2 usage error or an input that cannot be read.\n");
}

int
main(int argc, char **argv)
{
	const HpCmd *cmd = NULL;
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) error = NULL;
	g_auto(HpOptions) opts = {0};
	g_auto(GStrv) args = NULL;
	gint exit_code;

	setlocale(LC_ALL, "");
	if (argc < 2)
		return hp_usage_error(NULL, "no command given: use validate, normalize or plan");
	if (g_strcmp0(argv[1], "--help") == 0 || g_strcmp0(argv[1], "-h") == 0 ||
	    g_strcmp0(argv[1], "help") == 0) {
		hp_print_help();
		return HP_EXIT_OK;
	}
	if (g_strcmp0(argv[1], "--version") == 0) {
		g_print("hostdev-preflight %s\n", HP_VERSION);
		return HP_EXIT_OK;
	}
	if (g_strcmp0(argv[1], "capture") == 0)
		return hp_cmd_capture(argc - 1, argv + 1);
	for (guint i = 0; i < G_N_ELEMENTS(hp_cmds); i++) {
		if (g_strcmp0(argv[1], hp_cmds[i].name) == 0)
			cmd = &hp_cmds[i];
	}
	if (cmd == NULL)
		return hp_usage_error(NULL, "unknown command '%s': use validate, normalize or plan", argv[1]);

	ctx = hp_cmd_context(cmd, &opts);
	/* argv without the command word; GOption leaves '-' alone */
	args = g_new0(gchar *, argc);
	args[0] = g_strdup(argv[0]);
	for (gint i = 2; i < argc; i++)
		args[i - 1] = g_strdup(argv[i]);
	if (!g_option_context_parse_strv(ctx, &args, &error)) {
		g_autofree gchar *prefix = g_strdup_printf("%s ", cmd->name);
		return hp_usage_error(prefix, "%s", error->message);
	}
	exit_code = cmd->func(&opts, args + 1);
	return exit_code;
}
