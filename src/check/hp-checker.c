/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-checker.h"

#include <pthread.h>

#include "hp-error.h"
#include "hp-host-rules.h"
#include "hp-rules.h"
#include "hp-schema.h"

struct _HpChecker {
	HpSchema *builtin;
	HpSchema *libvirt;  /* NULL: not used */
	HpHostView *view;   /* NULL: the host rules do not run */
	gchar *skip_reason; /* with no view: why, for the note; NULL: no note */
	HpHostRulesFlags host_flags;
	/* the view caches what it reads: one check at a time. A pthread mutex,
	 * not a GMutex (futexes inside GLib), so ThreadSanitizer sees it */
	pthread_mutex_t host_lock;
};

/**
 * hp_checker_new:
 * @libvirt_schema_dir: (nullable): where libvirt's domain.rng is, or %NULL
 *   to leave libvirt's grammar out
 *
 * Compiles the grammars once, for every document this checker will check.
 * The checker starts with the host rules off and no note about it
 * (as `--no-host`); see hp_checker_set_host() and hp_checker_skip_host().
 *
 * Returns: (transfer full) (nullable): the checker, or %NULL with @error
 * when a grammar cannot be read or compiled.
 */
HpChecker *
hp_checker_new(const gchar *libvirt_schema_dir, GError **error)
{
	return hp_checker_new_cached(libvirt_schema_dir, NULL, error);
}

/**
 * hp_checker_new_cached:
 * @grammar_cache_dir: (nullable): where a flattened copy of libvirt's
 *   grammar may be kept, which compiles faster (hp-schema-cache.h); %NULL
 *   for none
 *
 * As hp_checker_new().
 */
HpChecker *
hp_checker_new_cached(const gchar *libvirt_schema_dir, const gchar *grammar_cache_dir, GError **error)
{
	g_autoptr(HpChecker) checker = g_new0(HpChecker, 1);

	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	pthread_mutex_init(&checker->host_lock, NULL);
	checker->builtin = hp_schema_new_builtin(error);
	if (checker->builtin == NULL)
		return NULL;
	if (libvirt_schema_dir != NULL) {
		checker->libvirt = hp_schema_new_libvirt_cached(libvirt_schema_dir, grammar_cache_dir, error);
		if (checker->libvirt == NULL)
			return NULL;
	}
	return g_steal_pointer(&checker);
}

void
hp_checker_free(HpChecker *checker)
{
	if (checker == NULL)
		return;
	hp_schema_free(checker->builtin);
	hp_schema_free(checker->libvirt);
	hp_host_view_free(checker->view);
	g_free(checker->skip_reason);
	pthread_mutex_destroy(&checker->host_lock);
	g_free(checker);
}

gboolean
hp_checker_has_libvirt(const HpChecker *checker)
{
	return checker->libvirt != NULL;
}

/**
 * hp_checker_set_host:
 * @host: (transfer full): the host to check against; taken whatever the
 *   result
 *
 * Makes the host rules run against @host. A tree with no PCI sysfs at all
 * (`sys/bus/pci/devices`) is not a host's tree: that is one error here,
 * rather than "not found" for every device later. A caller that has a
 * default root (this machine's `/`, which in a container has no PCI sysfs)
 * answers that error with hp_checker_skip_host().
 *
 * Returns: %TRUE, or %FALSE with @error (%HP_ERROR_NOT_FOUND) when @host
 * has no PCI sysfs; the checker's host is then unchanged.
 */
gboolean
hp_checker_set_host(HpChecker *checker, HpHost *host, GError **error)
{
	g_autoptr(HpHostView) view = hp_host_view_new(host);

	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
	if (!hp_host_view_has_pci(view)) {
		g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND,
			    "%s has no sys/bus/pci/devices: it is not the root of a host's tree",
			    hp_host_get_root(hp_host_view_get_host(view)));
		return FALSE;
	}
	hp_host_view_free(checker->view);
	checker->view = g_steal_pointer(&view);
	g_clear_pointer(&checker->skip_reason, g_free);
	return TRUE;
}

/**
 * hp_checker_skip_host:
 * @why: (nullable): why the host rules do not run, said in one
 *   `host-checks-skipped` note per document; %NULL to skip them without a
 *   word (the user asked for it)
 *
 * Turns the host rules off.
 */
void
hp_checker_skip_host(HpChecker *checker, const gchar *why)
{
	g_clear_pointer(&checker->view, hp_host_view_free);
	g_free(checker->skip_reason);
	checker->skip_reason = g_strdup(why);
}

/**
 * hp_checker_set_unmanaged_prepared:
 * @prepared: %TRUE when the caller binds every `managed='no'` device to its
 *   VFIO driver right after the check (the libvirt hook at `prepare begin`)
 *
 * Judges the host as the caller is about to prepare it: a `managed='no'`
 * device not yet on a VFIO driver is then no `managed-no-not-bound` error.
 * Not to be changed while checks run.
 */
void
hp_checker_set_unmanaged_prepared(HpChecker *checker, gboolean prepared)
{
	if (prepared)
		checker->host_flags |= HP_HOST_RULES_UNMANAGED_PREPARED;
	else
		checker->host_flags &= ~HP_HOST_RULES_UNMANAGED_PREPARED;
}

/**
 * hp_checker_get_libvirt:
 *
 * Returns: (transfer none) (nullable): libvirt's grammar in use, for
 * `--libvirt-compat` to ask it what it accepts.
 */
HpSchema *
hp_checker_get_libvirt(const HpChecker *checker)
{
	return checker->libvirt;
}

/**
 * hp_checker_get_host_view:
 *
 * The host the checker checks against, for what comes after a check (the
 * plan). Not to be used while checks run on other threads.
 *
 * Returns: (transfer none) (nullable): the view, %NULL when the host rules
 * do not run.
 */
HpHostView *
hp_checker_get_host_view(HpChecker *checker)
{
	return checker->view;
}

/* Every layer after the loader, on a well-formed document. */
static void
hp_checker_run(HpChecker *checker, HpCheckResult *result)
{
	const HpDocument *hdoc = result->document;

	hp_schema_validate(checker->builtin, hdoc, result->diags);
	if (checker->libvirt != NULL)
		hp_schema_validate(checker->libvirt, hdoc, result->diags);
	result->domain = hp_domain_parse(hdoc, result->diags);
	hp_rules_check_static(hdoc, result->domain, result->diags);
	if (checker->view != NULL) {
		pthread_mutex_lock(&checker->host_lock);
		hp_host_rules_check_with(checker->view, hdoc, result->domain, result->diags, checker->host_flags);
		pthread_mutex_unlock(&checker->host_lock);
		result->host_checked = TRUE;
	} else if (checker->skip_reason != NULL) {
		hp_diag_list_add(result->diags, HP_RULE_HOST_CHECKS_SKIPPED, &result->domain->span, NULL,
				 "host checks skipped: %s", checker->skip_reason);
	}
}

static HpCheckResult *
hp_check_result_new(const gchar *name)
{
	HpCheckResult *result = g_new0(HpCheckResult, 1);
	result->name = g_strdup(name);
	result->diags = hp_diag_list_new();
	return result;
}

/**
 * hp_checker_check:
 * @name: the name the findings are reported under (a path, `<stdin>`)
 * @bytes: the document's content
 *
 * Checks one document with every layer. May be called from several threads
 * at once (see the thread contract above).
 *
 * Returns: (transfer full): the findings, sorted by place, and when the
 * document is well-formed, the document and its model.
 */
HpCheckResult *
hp_checker_check(HpChecker *checker, const gchar *name, GBytes *bytes)
{
	g_autoptr(HpCheckResult) result = hp_check_result_new(name);

	result->document = hp_document_new_from_bytes(name, bytes, result->diags);
	if (result->document != NULL)
		hp_checker_run(checker, result);
	hp_diag_list_sort(result->diags);
	return g_steal_pointer(&result);
}

/**
 * hp_checker_check_file:
 * @path: a file, or `-` for standard input
 * @display_name: (nullable): the name findings are reported under, default
 *   @path
 *
 * As hp_checker_check(), reading the document from @path.
 *
 * Returns: (transfer full) (nullable): the result, or %NULL with @error
 * when @path cannot be read (then it has no findings: the caller reports
 * the file as unreadable).
 */
HpCheckResult *
hp_checker_check_file(HpChecker *checker, const gchar *path, const gchar *display_name, GError **error)
{
	const gchar *name = display_name != NULL ? display_name : path;
	g_autoptr(HpCheckResult) result = hp_check_result_new(name);
	g_autoptr(GError) local = NULL;

	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	result->document = hp_document_load(path, name, result->diags, &local);
	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return NULL;
	}
	if (result->document != NULL)
		hp_checker_run(checker, result);
	hp_diag_list_sort(result->diags);
	return g_steal_pointer(&result);
}

/* The number of error findings: any, and the document may not go on to a
 * plan or a rewrite. Warnings and --werror are the report's business. */
guint
hp_check_result_errors(const HpCheckResult *result)
{
	return hp_diag_list_count(result->diags, HP_SEVERITY_ERROR);
}

void
hp_check_result_free(HpCheckResult *result)
{
	if (result == NULL)
		return;
	g_free(result->name);
	hp_diag_list_free(result->diags);
	hp_domain_free(result->domain);
	hp_document_free(result->document);
	g_free(result);
}
