/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-diag.h"
#include "hp-document.h"
#include "hp-domain.h"
#include "hp-host-view.h"
#include "hp-schema.h"

G_BEGIN_DECLS

/*
 * The one check every command runs (validate, normalize, plan; later the
 * libvirt hook and the language server): the document loader (well-formed,
 * within limits), the static layers (our grammar, libvirt's when given, the
 * model, the static rules), then the host rules, or the one
 * `host-checks-skipped` note when they are skipped for a reason; the
 * findings are sorted once, at the end.
 *
 * Thread contract: after hp_checker_new() and the host setup
 * (hp_checker_set_host() or hp_checker_skip_host()), a checker is read-only
 * as far as the static layers go: the compiled grammars (ours and
 * libvirt's) are shared by every thread, each check gets its own RelaxNG
 * validation context, document and findings. So one checker may check
 * different documents on several threads at once. The host rules read
 * through one HpHostView, which caches what it reads and is not safe for
 * two threads: the checker runs them under its own lock, one document at a
 * time, while the static layers of other documents go on in parallel.
 * Setting up the host is not safe while checks run.
 */
typedef struct _HpChecker HpChecker;

/* What one check found. */
typedef struct {
	gchar *name;          /* the name findings are reported under */
	HpDiagList *diags;    /* every finding, sorted by place (a caller may steal it) */
	HpDocument *document; /* NULL when it is not well-formed or too large */
	HpDomain *domain;     /* the model; NULL with @document */
	gboolean host_checked; /* the host rules ran */
} HpCheckResult;

HpChecker *hp_checker_new(const gchar *libvirt_schema_dir, GError **error);
HpChecker *hp_checker_new_cached(const gchar *libvirt_schema_dir, const gchar *grammar_cache_dir, GError **error);
void hp_checker_free(HpChecker *checker);
gboolean hp_checker_has_libvirt(const HpChecker *checker);
HpSchema *hp_checker_get_libvirt(const HpChecker *checker);
gboolean hp_checker_set_host(HpChecker *checker, HpHost *host, GError **error);
void hp_checker_skip_host(HpChecker *checker, const gchar *why);
void hp_checker_set_unmanaged_prepared(HpChecker *checker, gboolean prepared);
HpHostView *hp_checker_get_host_view(HpChecker *checker);

HpCheckResult *hp_checker_check(HpChecker *checker, const gchar *name, GBytes *bytes);
HpCheckResult *hp_checker_check_file(HpChecker *checker, const gchar *path, const gchar *display_name,
				     GError **error);
guint hp_check_result_errors(const HpCheckResult *result);
void hp_check_result_free(HpCheckResult *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpChecker, hp_checker_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpCheckResult, hp_check_result_free)

G_END_DECLS
