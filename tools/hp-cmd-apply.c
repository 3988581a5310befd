/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostdev-preflight apply FILE / release FILE|NAME (SPEC section 10): the
 * options, the check, the lock and the printing; the executor is the
 * library's (src/apply/).
 */
#include "hp-cmd-apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "hp-apply.h"
#include "hp-diag.h"
#include "hp-error.h"
#include "hp-exit.h"
#include "hp-output.h"
#include "hp-plan.h"

typedef enum {
	HP_APPLY_OUT_TEXT,
	HP_APPLY_OUT_JSON,
} HpApplyOut;

/* The verbs as hp_cli_checker() and hp_usage_error() see them. */
static const HpVerb hp_apply_verb = {
    "apply", "FILE",
    "Check the domain against this host, then carry its plan out: each step journalled in STATE_DIR/NAME.json before it runs and checked after it; on a failure every device is given back.",
    NULL, HP_OPT_ROOT | HP_OPT_SCHEMA, NULL, NULL};
static const HpVerb hp_release_verb = {
    "release", "FILE|NAME",
    "Give the domain's devices back to the drivers and driver_override its journal recorded, then remove the journal; no journal: nothing to do.",
    NULL, 0, NULL, NULL};

/* The stand-in for '/' (tests: a fake tree where the kernel does not react). */
static const gchar *
hp_apply_root(void)
{
	const gchar *root = g_getenv("HOSTDEV_PREFLIGHT_DEFAULT_ROOT");
	return root != NULL && root[0] != '\0' ? root : "/";
}

/* A test-only number from the environment (docs/apply.md); 0 when unset. */
static guint
hp_apply_env_uint(const gchar *name)
{
	const gchar *value = g_getenv(name);
	guint64 n = 0;
	if (value == NULL || !g_ascii_string_to_unsigned(value, 10, 1, G_MAXUINT, &n, NULL))
		return 0;
	return (guint)n;
}

static void
hp_apply_options_init(HpApplyOptions *ao, const HpOptions *opts, const HpHost *host, gchar **ret_config)
{
	gboolean live = g_strcmp0(hp_host_get_root(host), "/") == 0;

	memset(ao, 0, sizeof(*ao));
	ao->host = host;
	ao->state_dir = opts != NULL && opts->state_dir != NULL ? opts->state_dir : HP_STATE_DIR_DEFAULT;
	ao->run_modprobe = live;
	/* a copy of a host has its own modprobe configuration, read with -C */
	*ret_config = live ? NULL : g_build_filename(hp_host_get_root(host), "etc", "modprobe.d", NULL);
	ao->modprobe_config = *ret_config;
	ao->crash_after = hp_apply_env_uint("HOSTDEV_PREFLIGHT_TEST_CRASH_AFTER");
	ao->wait_ms = hp_apply_env_uint("HOSTDEV_PREFLIGHT_TEST_WAIT_MS");
}

static gint
hp_apply_print(const HpApplyReport *report, HpApplyOut format, FILE *stream)
{
	g_autofree gchar *text = format == HP_APPLY_OUT_JSON ? hp_apply_report_to_json(report)
							     : hp_apply_report_to_text(report);
	fputs(text, stream);
	fflush(stream);
	return report->status;
}

/* The errors that refuse apply; for the hook not an unmanaged device that is
 * not bound yet: the hook binds it. */
static guint
hp_apply_count_errors(const HpDiagList *diags, gboolean unmanaged_only)
{
	guint n = 0;
	for (guint i = 0; i < diags->items->len; i++) {
		const HpDiag *d = g_ptr_array_index(diags->items, i);
		if (d->severity == HP_SEVERITY_ERROR &&
		    !(unmanaged_only && d->rule == hp_rule_get(HP_RULE_MANAGED_NO_NOT_BOUND)))
			n++;
	}
	return n;
}

/*
 * The plan; with @unmanaged_only, of the managed='no' devices alone, bound
 * as managed ones would be (the others are libvirt's to bind).
 */
static HpPlan *
hp_apply_build_plan(HpChecker *checker, HpCheckResult *result, gboolean unmanaged_only, GError **error)
{
	g_autoptr(HpDiagList) none = hp_diag_list_new();
	g_autoptr(GArray) was = g_array_new(FALSE, FALSE, sizeof(gboolean));
	HpDomain *domain = result->domain;
	HpPlan *plan;

	if (!unmanaged_only)
		return hp_plan_build(hp_checker_get_host_view(checker), domain, none, error);
	for (guint i = 0; i < domain->hostdevs->len; i++) {
		HpHostdev *hd = g_ptr_array_index(domain->hostdevs, i);
		g_array_append_val(was, hd->managed);
		hd->managed = !hd->managed;
	}
	plan = hp_plan_build(hp_checker_get_host_view(checker), domain, none, error);
	for (guint i = 0; i < domain->hostdevs->len; i++)
		((HpHostdev *)g_ptr_array_index(domain->hostdevs, i))->managed = g_array_index(was, gboolean, i);
	if (plan == NULL)
		return NULL;
	/* what was managed: libvirt's; drop it from the plan */
	for (guint i = plan->devices->len; i > 0; i--) {
		HpPlanDevice *dev = g_ptr_array_index(plan->devices, i - 1);
		if (dev->selection != HP_SELECTION_UNMANAGED)
			continue;
		for (guint s = plan->prepare->len; s > 0; s--) {
			HpPlanStep *step = g_ptr_array_index(plan->prepare, s - 1);
			if (step->has_device && hp_pci_address_equal(&step->device, &dev->addr))
				g_ptr_array_remove_index(plan->prepare, s - 1);
		}
		g_ptr_array_remove_index(plan->devices, i - 1);
	}
	return plan;
}

/* After a recovery the host changed: the domain is checked again against a fresh view. */
static HpCheckResult *
hp_apply_recheck(HpChecker *checker, HpCheckResult *result, GError **error)
{
	const HpHost *old = hp_host_view_get_host(hp_checker_get_host_view(checker));
	HpHost *host = hp_host_new(hp_host_get_root(old), hp_host_get_kernel_release(old), error);

	if (host == NULL)
		return NULL;
	hp_host_set_pci_ids(host, hp_host_get_pci_ids(old));
	if (!hp_checker_set_host(checker, host, error))
		return NULL;
	return hp_checker_check(checker, result->name, result->document->bytes);
}

static gint
hp_apply_refuse(const gchar *domain, HpApplyOut format, FILE *stream, const gchar *fmt, ...) G_GNUC_PRINTF(4, 5);

static gint
hp_apply_refuse(const gchar *domain, HpApplyOut format, FILE *stream, const gchar *fmt, ...)
{
	g_autoptr(HpApplyReport) report = hp_apply_report_new("apply", domain != NULL ? domain : "");
	va_list args;
	va_start(args, fmt);
	g_ptr_array_add(report->messages, g_strdup_vprintf(fmt, args));
	va_end(args);
	report->outcome = HP_APPLY_REFUSED;
	report->status = HP_EXIT_FINDINGS;
	return hp_apply_print(report, format, stream);
}

/* apply, once checked: the lock, the recovery, the plan, the run. */
static gint
hp_apply_checked(HpOptions *opts, HpChecker *checker, HpCheckResult *result, gboolean unmanaged_only,
		 HpApplyOut format, FILE *stream)
{
	g_autoptr(HpCheckResult) again = NULL;
	g_autoptr(HpApplyReport) recovered = NULL;
	g_autoptr(HpApplyReport) report = NULL;
	g_autoptr(HpPlan) plan = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config = NULL;
	const gchar *name = result->domain != NULL ? result->domain->name : NULL;
	HpHostView *view = hp_checker_get_host_view(checker);
	HpApplyOptions ao;
	guint n_errors = 0;
	gint lock;

	if (result->domain == NULL || !result->host_checked || view == NULL)
		return hp_apply_refuse(name, format, stream,
				       "refused: the domain was not checked against this host (see the findings above)");
	if (name == NULL || name[0] == '\0')
		return hp_apply_refuse(name, format, stream, "refused: the domain has no <name>, and its journal is named by it");
	n_errors = hp_apply_count_errors(result->diags, unmanaged_only);
	if (n_errors > 0)
		return hp_apply_refuse(name, format, stream,
				       "refused: the domain does not validate against this host (%u error%s); nothing was changed",
				       n_errors, n_errors == 1 ? "" : "s");
	hp_apply_options_init(&ao, opts, hp_host_view_get_host(view), &config);
	lock = hp_apply_lock(&ao, name, &error);
	if (lock < 0)
		return hp_apply_refuse(name, format, stream, "refused: %s", error->message);
	if (hp_apply_needs_recovery(&ao, name)) {
		recovered = hp_apply_recover(&ao, name);
		if (recovered->status != 0) {
			hp_apply_unlock(lock);
			return hp_apply_print(recovered, format, stream);
		}
		again = hp_apply_recheck(checker, result, &error);
		if (again == NULL) {
			hp_apply_unlock(lock);
			return hp_apply_refuse(name, format, stream, "refused after the recovery: %s", error->message);
		}
		n_errors = hp_apply_count_errors(again->diags, unmanaged_only);
		if (n_errors > 0) {
			hp_apply_unlock(lock);
			return hp_apply_refuse(name, format, stream,
					       "refused: after the recovery the domain does not validate against this host (%u errors)",
					       n_errors);
		}
		result = again;
		ao.host = hp_host_view_get_host(hp_checker_get_host_view(checker));
	}
	plan = hp_apply_build_plan(checker, result, unmanaged_only, &error);
	if (plan == NULL) {
		hp_apply_unlock(lock);
		return hp_apply_refuse(name, format, stream, "refused: %s", error->message);
	}
	report = hp_apply_run(&ao, plan);
	hp_apply_unlock(lock);
	if (recovered != NULL)
		hp_apply_report_merge(report, recovered);
	return hp_apply_print(report, format, stream);
}

int
hp_cmd_apply_checked(HpOptions *opts, HpChecker *checker, HpCheckResult *result, gboolean unmanaged_only)
{
	return hp_apply_checked(opts, checker, result, unmanaged_only, HP_APPLY_OUT_TEXT, stderr);
}

static gint
hp_release_name(HpOptions *opts, const gchar *name, HpApplyOut format, FILE *stream)
{
	g_autoptr(HpHost) host = NULL;
	g_autoptr(HpApplyReport) report = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config = NULL;
	HpApplyOptions ao;
	gint lock;

	host = hp_host_new(hp_apply_root(), NULL, &error);
	if (host == NULL) {
		g_printerr("hostdev-preflight: %s\n", error->message);
		return HP_EXIT_USAGE;
	}
	hp_apply_options_init(&ao, opts, host, &config);
	lock = hp_apply_lock(&ao, name, &error);
	if (lock < 0) {
		report = hp_apply_report_new("release", name);
		g_ptr_array_add(report->messages, g_strdup_printf("refused: %s", error->message));
		report->outcome = HP_APPLY_REFUSED;
		report->status = HP_EXIT_FINDINGS;
		return hp_apply_print(report, format, stream);
	}
	report = hp_apply_release(&ao, name);
	hp_apply_unlock(lock);
	return hp_apply_print(report, format, stream);
}

int
hp_cmd_release_domain(HpOptions *opts, const gchar *name)
{
	return hp_release_name(opts, name, HP_APPLY_OUT_TEXT, stderr);
}

/* --- the command line ----------------------------------------------------- */

typedef struct {
	HpOptions opts;
	gchar *root; /* refused: nothing acts on a copy */
	gchar *kernel_release;
	HpApplyOut format;
	gchar **files;
} HpApplyArgs;


static void
hp_apply_args_clear(HpApplyArgs *a)
{
	g_free(a->opts.libvirt_schemas);
	g_free(a->opts.format);
	g_free(a->opts.state_dir);
	g_free(a->root);
	g_free(a->kernel_release);
	g_strfreev(a->files);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HpApplyArgs, hp_apply_args_clear)

/* Parses the options of apply (@with_check) or release; -1 when they are good, else the exit status. */
static gint
hp_apply_parse(const HpVerb *verb, gboolean with_check, gint argc, gchar **argv, HpApplyArgs *a)
{
	g_autoptr(GOptionContext) ctx = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *param = g_strdup_printf("%s %s", verb->name, verb->synopsis);
	g_auto(GStrv) args = NULL;
	const GOptionEntry common[] = {
	    {"state-dir", 0, 0, G_OPTION_ARG_FILENAME, &a->opts.state_dir,
	     "Where the journals live (default " HP_STATE_DIR_DEFAULT ")", "DIR"},
	    {"format", 0, 0, G_OPTION_ARG_STRING, &a->opts.format, "Output format: text (default) or json", "FMT"},
	    {"root", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &a->root, NULL, NULL},
	    {"kernel-release", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &a->kernel_release, NULL, NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	const GOptionEntry schema[] = {
	    {"libvirt-schemas", 0, 0, G_OPTION_ARG_FILENAME, &a->opts.libvirt_schemas,
	     "Also validate against DIR/domain.rng", "DIR"},
	    {"no-libvirt-schemas", 0, 0, G_OPTION_ARG_NONE, &a->opts.no_libvirt_schemas, "Do not use libvirt's grammar",
	     NULL},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	guint n;

	ctx = g_option_context_new(param);
	g_option_context_set_summary(ctx, verb->description);
	g_option_context_add_main_entries(ctx, common, NULL);
	if (with_check)
		g_option_context_add_main_entries(ctx, schema, NULL);
	g_option_context_set_description(ctx,
					 "'--' ends the options (a FILE may begin with '-').\nExit status: 0 done (or nothing to do), 1 refused before any change or failed and rolled back completely, 2 usage error, 3 failed and not everything could be given back (the journal stays).");
	args = g_new0(gchar *, argc + 1);
	args[0] = g_strdup("hostdev-preflight");
	for (gint i = 1; i < argc; i++)
		args[i] = g_strdup(argv[i]);
	if (!g_option_context_parse_strv(ctx, &args, &error))
		return hp_usage_error(verb, "%s", error->message);
	if (a->root != NULL || a->kernel_release != NULL)
		return hp_usage_error(verb, "%s acts on this host only: --root and --kernel-release are refused (nothing acts on a copy; 'plan --root' shows what it would do there)",
				      verb->name);
	if (a->opts.format == NULL || g_strcmp0(a->opts.format, "text") == 0)
		a->format = HP_APPLY_OUT_TEXT;
	else if (g_strcmp0(a->opts.format, "json") == 0)
		a->format = HP_APPLY_OUT_JSON;
	else
		return hp_usage_error(verb, "unknown --format '%s': use text or json", a->opts.format);
	n = g_strv_length(args);
	for (guint i = 1; i < n; i++) {
		if (g_strcmp0(args[i], "--") == 0) {
			g_free(args[i]);
			memmove(&args[i], &args[i + 1], (n - i) * sizeof(gchar *));
			break;
		}
	}
	if (g_strv_length(args) != 2)
		return hp_usage_error(verb, "%s takes exactly one %s", verb->name, with_check ? "FILE" : "FILE or NAME");
	a->files = g_strdupv(args + 1);
	return -1;
}

gint
hp_cmd_apply(gint argc, gchar **argv)
{
	g_auto(HpApplyArgs) a = {0};
	g_autoptr(HpChecker) checker = NULL;
	g_autoptr(HpCheckResult) result = NULL;
	g_autoptr(HpReport) findings = hp_report_new(FALSE);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *text = NULL;
	gint status = hp_apply_parse(&hp_apply_verb, TRUE, argc, argv, &a);

	if (status >= 0)
		return status;
	checker = hp_cli_checker(&a.opts, &hp_apply_verb, &status);
	if (checker == NULL)
		return status;
	if (hp_checker_get_host_view(checker) == NULL) {
		g_printerr("hostdev-preflight: apply: this machine has no PCI sysfs (/sys/bus/pci/devices): there is nothing to apply to here\n");
		return HP_EXIT_USAGE;
	}
	result = hp_checker_check_file(checker, a.files[0], hp_display_name(a.files[0]), &error);
	if (result == NULL) {
		g_autofree gchar *shown = hp_escape(hp_display_name(a.files[0]));
		g_autofree gchar *why = hp_escape(error->message);
		g_printerr("hostdev-preflight: cannot read %s: %s\n", shown, why);
		return HP_EXIT_USAGE;
	}
	/* the findings go to stderr (lent to the report, then taken back); stdout is what was done */
	hp_report_take_file(findings, result->name, result->diags);
	text = hp_report_to_string(findings, HP_OUTPUT_TEXT);
	((HpFileReport *)g_ptr_array_index(findings->files, 0))->diags = NULL;
	g_printerr("%s", text);
	return hp_apply_checked(&a.opts, checker, result, FALSE, a.format, stdout);
}

/* A FILE's domain name, or NULL with the exit status (the file cannot be read, has no name). */
static gchar *
hp_release_name_of(const gchar *file, gint *ret_exit)
{
	g_autoptr(HpChecker) checker = NULL;
	g_autoptr(HpCheckResult) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *shown = hp_escape(file);

	checker = hp_checker_new(NULL, &error);
	if (checker != NULL)
		result = hp_checker_check_file(checker, file, file, &error);
	if (result == NULL) {
		g_autofree gchar *why = hp_escape(error->message);
		g_printerr("hostdev-preflight: cannot read %s: %s\n", shown, why);
		*ret_exit = HP_EXIT_USAGE;
		return NULL;
	}
	if (result->domain == NULL || result->domain->name == NULL || result->domain->name[0] == '\0') {
		g_printerr("hostdev-preflight: %s has no domain <name>: give the domain's name instead\n", shown);
		*ret_exit = HP_EXIT_USAGE;
		return NULL;
	}
	return g_strdup(result->domain->name);
}

gint
hp_cmd_release(gint argc, gchar **argv)
{
	g_auto(HpApplyArgs) a = {0};
	g_autofree gchar *name = NULL;
	gint status = hp_apply_parse(&hp_release_verb, FALSE, argc, argv, &a);

	if (status >= 0)
		return status;
	/* an existing file is a domain's XML; anything else is a domain's name */
	if (g_file_test(a.files[0], G_FILE_TEST_IS_REGULAR)) {
		name = hp_release_name_of(a.files[0], &status);
		if (name == NULL)
			return status;
	} else {
		name = g_strdup(a.files[0]);
	}
	return hp_release_name(&a.opts, name, a.format, stdout);
}
