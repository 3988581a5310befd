/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostdev-preflight hook qemu NAME OP SUBOP EXTRA, the domain XML on
 * stdin: what libvirt runs from /etc/libvirt/hooks/qemu.d/ (SPEC section
 * 11, docs/hook.md). `prepare begin` checks the domain against this host as
 * the hook is about to prepare it and binds its managed='no' devices to
 * their VFIO driver, journalled; `release end` gives them back from the
 * journal; `reconnect` checks only; everything else is left alone.
 *
 * It never calls libvirt (a hook that does deadlocks the daemon), never
 * writes to stdout (libvirt reads a document there after migrate and
 * restore: empty means unchanged), and ends within the configured timeout
 * whatever waits. What it does goes to stderr (libvirt's error message on a
 * failure, its log otherwise) and to syslog (journald: `journalctl -t
 * hostdev-preflight`); what it changed is in the journal under the state
 * directory.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <unistd.h>

#include <glib.h>

#include "config.h"
#include "hp-checker.h"
#include "hp-cli.h"
#include "hp-cmd-apply.h"
#include "hp-cmd.h"
#include "hp-error.h"
#include "hp-exit.h"
#include "hp-host.h"
#include "hp-output.h"

#define HP_HOOK_DEFAULT_CONF    HP_SYSCONFDIR "/hostdev-preflight/hook.conf"
#define HP_HOOK_DEFAULT_STATE   HP_STATE_DIR_DEFAULT
#define HP_HOOK_DEFAULT_TIMEOUT 60
/* a domain over the checker's 10 MiB limit is refused by it; past this the
 * rest of stdin is read and dropped */
#define HP_HOOK_STDIN_MAX (16 * 1024 * 1024)

/* /etc/hostdev-preflight/hook.conf, group [hook] (docs/hook.md). */
typedef struct {
	gchar *path;
	gboolean enabled;   /* false: every operation exits 0 untouched */
	gboolean apply;     /* false: prepare checks only, binds nothing */
	gboolean werror;    /* warnings refuse the start too */
	GHashTable *ignore; /* rule ids whose findings are dropped */
	gchar *state_dir;
	guint timeout;      /* seconds, for the whole run */
} HpHookConf;

static void
hp_hook_conf_clear(HpHookConf *conf)
{
	g_free(conf->path);
	g_clear_pointer(&conf->ignore, g_hash_table_unref);
	g_free(conf->state_dir);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HpHookConf, hp_hook_conf_clear)

static const gchar *const hp_hook_conf_keys[] = {"enabled", "apply", "werror", "ignore", "state_dir", "timeout", NULL};

static gboolean
hp_hook_conf_bool(GKeyFile *kf, const gchar *key, gboolean *ret, GError **error)
{
	g_autoptr(GError) local = NULL;
	gboolean v = g_key_file_get_boolean(kf, "hook", key, &local);

	if (g_error_matches(local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
	    g_error_matches(local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
		return TRUE;
	if (local != NULL) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s must be true or false", key);
		return FALSE;
	}
	*ret = v;
	return TRUE;
}

/*
 * The configuration: the defaults, then the file when it exists. A file
 * that exists but is wrong (not a key file, a value of the wrong type, an
 * unknown key or rule id) is an error: a typo must not turn a check off
 * silently.
 */
static gboolean
hp_hook_conf_load(HpHookConf *conf, GError **error)
{
	const gchar *env = g_getenv("HOSTDEV_PREFLIGHT_HOOK_CONF");
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) local = NULL;
	g_auto(GStrv) keys = NULL;
	g_auto(GStrv) groups = NULL;
	g_auto(GStrv) ignore = NULL;
	gint timeout;

	conf->path = g_strdup(env != NULL && env[0] != '\0' ? env : HP_HOOK_DEFAULT_CONF);
	conf->enabled = TRUE;
	conf->apply = TRUE;
	conf->werror = FALSE;
	conf->ignore = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	conf->state_dir = g_strdup(HP_HOOK_DEFAULT_STATE);
	conf->timeout = HP_HOOK_DEFAULT_TIMEOUT;

	if (!g_key_file_load_from_file(kf, conf->path, G_KEY_FILE_NONE, &local)) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return TRUE; /* no file: the defaults */
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s: %s", conf->path, local->message);
		return FALSE;
	}
	groups = g_key_file_get_groups(kf, NULL);
	for (guint i = 0; groups[i] != NULL; i++) {
		if (g_strcmp0(groups[i], "hook") != 0) {
			g_autofree gchar *g = hp_escape(groups[i]);
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s: unknown group [%s]; the settings go in [hook]",
				    conf->path, g);
			return FALSE;
		}
	}
	keys = g_key_file_get_keys(kf, "hook", NULL, NULL);
	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		if (!g_strv_contains(hp_hook_conf_keys, keys[i])) {
			g_autofree gchar *k = hp_escape(keys[i]);
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
				    "%s: unknown key '%s' in [hook]; the keys are enabled, apply, werror, ignore, state_dir and timeout",
				    conf->path, k);
			return FALSE;
		}
	}
	if (!hp_hook_conf_bool(kf, "enabled", &conf->enabled, &local) ||
	    !hp_hook_conf_bool(kf, "apply", &conf->apply, &local) ||
	    !hp_hook_conf_bool(kf, "werror", &conf->werror, &local)) {
		g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s: %s", conf->path, local->message);
		return FALSE;
	}
	ignore = g_key_file_get_string_list(kf, "hook", "ignore", NULL, NULL);
	for (guint i = 0; ignore != NULL && ignore[i] != NULL; i++) {
		g_autofree gchar *id = g_strstrip(g_strdup(ignore[i]));
		if (id[0] == '\0')
			continue;
		if (hp_rule_lookup(id) == NULL) {
			g_autofree gchar *shown = hp_escape(id);
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
				    "%s: ignore names '%s', which is no rule id (the ids are in hostdev-preflight(1), RULES)",
				    conf->path, shown);
			return FALSE;
		}
		g_hash_table_add(conf->ignore, g_steal_pointer(&id));
	}
	if (g_key_file_has_key(kf, "hook", "state_dir", NULL)) {
		g_autofree gchar *dir = g_key_file_get_string(kf, "hook", "state_dir", NULL);
		if (dir == NULL || !g_path_is_absolute(dir)) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA, "%s: state_dir must be an absolute path",
				    conf->path);
			return FALSE;
		}
		g_free(conf->state_dir);
		conf->state_dir = g_steal_pointer(&dir);
	}
	if (g_key_file_has_key(kf, "hook", "timeout", NULL)) {
		timeout = g_key_file_get_integer(kf, "hook", "timeout", &local);
		if (local != NULL || timeout < 1 || timeout > 3600) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
				    "%s: timeout must be a number of seconds from 1 to 3600", conf->path);
			return FALSE;
		}
		conf->timeout = (guint)timeout;
	}
	return TRUE;
}

/* --- one run --------------------------------------------------------------- */

typedef struct {
	const gchar *name;  /* the domain, as libvirt named it */
	gchar *shown;       /* the same, escaped for messages */
	const gchar *op, *subop;
	HpHookConf conf;
	gboolean conf_ok;
} HpHook;

/* What stderr says is also said to syslog, where journald keeps it. */
static void G_GNUC_PRINTF(3, 4)
hp_hook_log(const HpHook *h, gint priority, const gchar *fmt, ...)
{
	va_list args;
	g_autofree gchar *msg = NULL;

	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_printerr("hostdev-preflight: hook %s %s %s: %s\n", h->shown, h->op, h->subop, msg);
	syslog(priority, "hook %s %s %s: %s", h->shown, h->op, h->subop, msg);
}

/* The watchdog: past the timeout the run ends, whatever it waits for, with
 * the exit status its operation allows (release and reconnect: always 0). */
static gchar hp_hook_timeout_msg[512];
static volatile sig_atomic_t hp_hook_timeout_exit = 1;

static void
hp_hook_on_alarm(int sig)
{
	ssize_t n = write(STDERR_FILENO, hp_hook_timeout_msg, strlen(hp_hook_timeout_msg));
	(void)n;
	_exit(hp_hook_timeout_exit);
}

static void
hp_hook_arm_watchdog(const HpHook *h, const gchar *state_dir, gint exit_code)
{
	struct sigaction sa = {0};

	g_snprintf(hp_hook_timeout_msg, sizeof(hp_hook_timeout_msg),
		   "hostdev-preflight: hook %s %s %s: timed out after %u s (timeout= in %s); the journal in %s says what was done\n",
		   h->shown, h->op, h->subop, h->conf.timeout, h->conf.path, state_dir);
	hp_hook_timeout_exit = exit_code;
	sa.sa_handler = hp_hook_on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(h->conf.timeout);
}

/* All of stdin (libvirt writes the domain there and closes it), the first
 * HP_HOOK_STDIN_MAX + 1 bytes kept: reading it all spares libvirt a broken
 * pipe. */
static GBytes *
hp_hook_read_stdin(void)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	guint8 chunk[65536];

	for (;;) {
		ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf->len <= HP_HOOK_STDIN_MAX)
			g_byte_array_append(buf, chunk, MIN((guint)n, HP_HOOK_STDIN_MAX + 1 - buf->len));
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

/* Whether the document can hold a PCI host device at all: both kinds are
 * spelled with "hostdev", unless a character reference hides it. */
static gboolean
hp_hook_may_have_hostdevs(GBytes *bytes)
{
	gsize len;
	const gchar *data = g_bytes_get_data(bytes, &len);

	return data != NULL && (memmem(data, len, "hostdev", 7) != NULL || memmem(data, len, "&#", 2) != NULL);
}

/* Drops the findings of the rules the configuration ignores. */
static void
hp_hook_drop_ignored(const HpHook *h, HpDiagList *diags)
{
	for (guint i = diags->items->len; i > 0; i--) {
		const HpDiag *d = g_ptr_array_index(diags->items, i - 1);
		if (g_hash_table_contains(h->conf.ignore, d->rule->id))
			g_ptr_array_remove_index(diags->items, i - 1);
	}
}

/* The checker for this host: the live one (HOSTDEV_PREFLIGHT_DEFAULT_ROOT
 * stands in for / in tests), our grammar only (the document is libvirt's
 * own output). NULL with a message when the host cannot be read. */
static HpChecker *
hp_hook_checker(const HpHook *h, gboolean unmanaged_prepared)
{
	g_autoptr(HpChecker) checker = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *pci_ids = hp_cmd_pci_ids_path();
	g_autofree gchar *why = NULL;
	const gchar *root = g_getenv("HOSTDEV_PREFLIGHT_DEFAULT_ROOT");
	struct utsname u;
	HpHost *host;

	checker = hp_checker_new(NULL, &error);
	if (checker == NULL) {
		hp_hook_log(h, LOG_ERR, "%s", error->message);
		return NULL;
	}
	host = hp_host_new(root != NULL && root[0] != '\0' ? root : "/", uname(&u) == 0 ? u.release : NULL, &error);
	if (host != NULL) {
		hp_host_set_pci_ids(host, pci_ids);
		if (hp_checker_set_host(checker, host, &error)) {
			hp_checker_set_unmanaged_prepared(checker, unmanaged_prepared);
			return g_steal_pointer(&checker);
		}
	}
	why = hp_escape(error->message);
	hp_hook_log(h, LOG_ERR, "this host cannot be checked: %s", why);
	return NULL;
}

/*
 * Checks the domain libvirt passed: the findings go to stderr, less the
 * ignored ones. Returns the result (*@ret_ok: no errors, nor warnings with
 * werror; the document could be read), or NULL with *@ret_ok TRUE when the
 * domain has no PCI host device after all.
 */
static HpCheckResult *
hp_hook_check(const HpHook *h, GBytes *xml, HpChecker *checker, gboolean *ret_ok)
{
	g_autoptr(HpCheckResult) result = NULL;
	g_autoptr(HpReport) report = hp_report_new(h->conf.werror);
	g_autofree gchar *name = g_strdup_printf("domain %s", h->name);
	g_autofree gchar *text = NULL;

	result = hp_checker_check(checker, name, xml);
	if (result->domain != NULL && result->domain->hostdevs->len == 0) {
		*ret_ok = TRUE;
		return NULL;
	}
	hp_hook_drop_ignored(h, result->diags);
	hp_report_take_file(report, name, g_steal_pointer(&result->diags));
	text = hp_report_to_string(report, HP_OUTPUT_TEXT);
	g_printerr("%s", text);
	*ret_ok = hp_report_valid(report) && result->document != NULL;
	/* the findings go back to the result, for what comes after the check */
	result->diags = g_steal_pointer(&((HpFileReport *)g_ptr_array_index(report->files, 0))->diags);
	return g_steal_pointer(&result);
}

static guint
hp_hook_count_unmanaged(const HpCheckResult *result)
{
	guint n = 0;
	for (guint i = 0; i < result->domain->hostdevs->len; i++)
		n += !((const HpHostdev *)g_ptr_array_index(result->domain->hostdevs, i))->managed;
	return n;
}

/* Binds the checked domain's managed='no' devices, journalled, as `apply`
 * does (a failure is undone there and said on stderr). */
static gint
hp_hook_apply(const HpHook *h, HpChecker *checker, HpCheckResult *result, guint unmanaged, const gchar *state_dir)
{
	HpOptions opts = {0};
	gint rc;

	opts.state_dir = (gchar *)state_dir;
	rc = hp_cmd_apply_checked(&opts, checker, result, TRUE);
	if (rc == HP_EXIT_OK) {
		hp_hook_log(h, LOG_INFO, "%u PCI host device%s checked, no errors; %u managed='no' device%s on %s VFIO driver (journal in %s)",
			    result->domain->hostdevs->len, result->domain->hostdevs->len == 1 ? "" : "s", unmanaged,
			    unmanaged == 1 ? "" : "s", unmanaged == 1 ? "its" : "their", state_dir);
		return HP_EXIT_OK;
	}
	hp_hook_log(h, LOG_ERR, "refused: its managed='no' devices could not be bound to their VFIO driver (above)%s",
		    rc == HP_EXIT_PARTIAL ? ", and not everything could be put back: the journal in the state directory names what is left" : "; the host is as it was");
	return HP_EXIT_FINDINGS;
}

/* release end: what prepare bound goes back, from the journal (none: nothing). */
static void
hp_hook_release(const HpHook *h, const gchar *state_dir)
{
	HpOptions opts = {0};
	gint rc;

	opts.state_dir = (gchar *)state_dir;
	rc = hp_cmd_release_domain(&opts, h->name);
	if (rc != HP_EXIT_OK)
		hp_hook_log(h, LOG_ERR, "its devices could not all be given back (above); the journal in %s names what is left: "
			    "run 'hostdev-preflight release %s' once the cause is fixed", state_dir, h->shown);
}

/* prepare begin: check, then bind the managed='no' devices. 0 lets libvirt
 * go on, 1 refuses the start with what stderr said. */
static gint
hp_hook_prepare(HpHook *h, GBytes *xml, const gchar *state_dir)
{
	g_autoptr(HpChecker) checker = NULL;
	g_autoptr(HpCheckResult) result = NULL;
	gboolean ok = FALSE;
	guint unmanaged;

	if (!h->conf.enabled) {
		hp_hook_log(h, LOG_INFO, "not checked: enabled=false in %s", h->conf.path);
		return HP_EXIT_OK;
	}
	checker = hp_hook_checker(h, h->conf.apply);
	if (checker == NULL)
		return HP_EXIT_FINDINGS;
	result = hp_hook_check(h, xml, checker, &ok);
	if (result == NULL && ok)
		return HP_EXIT_OK; /* no PCI host device after all */
	if (!ok) {
		hp_hook_log(h, LOG_ERR,
			    "refused: the domain's PCI host devices do not pass the checks on this host (the findings above); "
			    "fix the domain (virsh edit %s) or the host%s, or list a rule under ignore= in %s",
			    h->shown, h->conf.werror ? ", or set werror=false" : "", h->conf.path);
		return HP_EXIT_FINDINGS;
	}
	unmanaged = hp_hook_count_unmanaged(result);
	if (unmanaged == 0 || !h->conf.apply) {
		hp_hook_log(h, LOG_INFO, "%u PCI host device%s checked, no errors%s", result->domain->hostdevs->len,
			    result->domain->hostdevs->len == 1 ? "" : "s",
			    unmanaged == 0 ? "; none is managed='no', nothing to bind"
					   : "; apply=false: its managed='no' devices are not bound");
		return HP_EXIT_OK;
	}
	return hp_hook_apply(h, checker, result, unmanaged, state_dir);
}

/* reconnect begin (the daemon restarted, the domain runs): the findings on
 * stderr, never a failure, which would kill the domain. */
static gint
hp_hook_reconnect(HpHook *h, GBytes *xml)
{
	g_autoptr(HpChecker) checker = NULL;
	g_autoptr(HpCheckResult) result = NULL;
	gboolean ok = FALSE;

	if (!h->conf.enabled)
		return HP_EXIT_OK;
	checker = hp_hook_checker(h, FALSE);
	if (checker != NULL)
		result = hp_hook_check(h, xml, checker, &ok);
	if (result != NULL)
		hp_hook_log(h, ok ? LOG_INFO : LOG_WARNING, "%s (checked only: the domain runs)",
			    ok ? "its PCI host devices pass the checks" : "its PCI host devices do not pass the checks (the findings above)");
	return HP_EXIT_OK;
}

/* for the usage messages: "Try 'hostdev-preflight hook --help'" */
static const HpVerb hp_hook_verb = {.name = "hook"};

gint
hp_cmd_hook(gint argc, gchar **argv)
{
	g_autofree gchar *state_dir = NULL;
	g_autoptr(GOptionContext) ctx = g_option_context_new("qemu NAME OP SUBOP EXTRA");
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) xml = NULL;
	g_auto(GStrv) args = g_new0(gchar *, argc + 1);
	const GOptionEntry entries[] = {
	    {"state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
	     "Where journals live (default: state_dir in the configuration, else " HP_HOOK_DEFAULT_STATE ")", "DIR"},
	    {NULL, 0, 0, 0, NULL, NULL, NULL}};
	HpHook h = {0};
	gint exit_code;
	guint n;

	for (gint i = 0; i < argc; i++)
		args[i] = g_strdup(argv[i]);
	g_option_context_set_summary(ctx, "Run as libvirt's hook for QEMU domains, the domain XML on stdin "
					  "(installed as /etc/libvirt/hooks/qemu.d/hostdev-preflight)");
	g_option_context_set_description(ctx, "prepare begin: check the domain against this host, refuse it (exit 1) "
					      "with the findings on stderr, then bind its managed='no' devices to their "
					      "VFIO driver; release end: give them back (always exit 0); reconnect: check "
					      "only; every other operation: exit 0. Nothing is ever written to stdout.\n"
					      "Configuration: " HP_HOOK_DEFAULT_CONF " ($HOSTDEV_PREFLIGHT_HOOK_CONF).");
	g_option_context_add_main_entries(ctx, entries, NULL);
	/* the first word that is no option ends them: a domain name may begin with '-' */
	g_option_context_set_strict_posix(ctx, TRUE);
	if (!g_option_context_parse_strv(ctx, &args, &error))
		return hp_usage_error(&hp_hook_verb, "%s", error->message);
	n = g_strv_length(args);
	if (n > 1 && g_strcmp0(args[1], "--") == 0) {
		g_free(args[1]);
		memmove(&args[1], &args[2], (n - 1) * sizeof(gchar *));
		n--;
	}
	if (n != 6)
		return hp_usage_error(&hp_hook_verb, "hook takes 5 arguments, as libvirt gives them (qemu NAME OP SUBOP EXTRA), not %u", n - 1);
	if (g_strcmp0(args[1], "qemu") != 0) {
		g_autofree gchar *shown = hp_escape(args[1]);
		return hp_usage_error(&hp_hook_verb, "hook is for libvirt's QEMU driver: its first argument is 'qemu', not '%s'", shown);
	}
	if (state_dir != NULL && !g_path_is_absolute(state_dir))
		return hp_usage_error(&hp_hook_verb, "--state-dir must be an absolute path");

	/* stdout belongs to libvirt (a document after migrate or restore): nothing goes there */
	if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		return hp_usage_error(&hp_hook_verb, "cannot close standard output: %s", g_strerror(errno));
	h.name = args[2];
	h.shown = hp_escape(args[2]);
	h.op = args[3];
	h.subop = args[4];
	openlog("hostdev-preflight", LOG_PID, LOG_DAEMON);
	h.conf_ok = hp_hook_conf_load(&h.conf, &error);
	if (state_dir == NULL)
		state_dir = g_strdup(h.conf.state_dir);

	if (g_strcmp0(h.op, "prepare") == 0 && g_strcmp0(h.subop, "begin") == 0) {
		hp_hook_arm_watchdog(&h, state_dir, HP_EXIT_FINDINGS);
		xml = hp_hook_read_stdin();
		if (!hp_hook_may_have_hostdevs(xml)) {
			exit_code = HP_EXIT_OK; /* no PCI host device: untouched, before any work */
		} else if (!h.conf_ok) {
			g_autofree gchar *why = hp_escape(error->message);
			hp_hook_log(&h, LOG_ERR, "refused: the configuration is wrong: %s; fix it, or remove the file to use the defaults",
				    why);
			exit_code = HP_EXIT_FINDINGS;
		} else {
			exit_code = hp_hook_prepare(&h, xml, state_dir);
		}
	} else if (g_strcmp0(h.op, "release") == 0 && g_strcmp0(h.subop, "end") == 0) {
		hp_hook_arm_watchdog(&h, state_dir, HP_EXIT_OK);
		xml = hp_hook_read_stdin();
		if (!h.conf_ok) {
			g_autofree gchar *why = hp_escape(error->message);
			hp_hook_log(&h, LOG_WARNING, "the configuration is wrong: %s; releasing from the journals in %s",
				    why, state_dir);
		}
		hp_hook_release(&h, state_dir);
		exit_code = HP_EXIT_OK; /* libvirt cannot act on a failure here */
	} else if (g_strcmp0(h.op, "reconnect") == 0) {
		hp_hook_arm_watchdog(&h, state_dir, HP_EXIT_OK);
		xml = hp_hook_read_stdin();
		exit_code = h.conf_ok && hp_hook_may_have_hostdevs(xml) ? hp_hook_reconnect(&h, xml) : HP_EXIT_OK;
	} else {
		/* migrate and restore read stdout as the new document: empty leaves it
		 * unchanged; start, started, stopped, attach: nothing to do */
		hp_hook_arm_watchdog(&h, state_dir, HP_EXIT_OK);
		xml = hp_hook_read_stdin();
		exit_code = HP_EXIT_OK;
	}
	alarm(0);
	g_free(h.shown);
	hp_hook_conf_clear(&h.conf);
	closelog();
	return exit_code;
}
