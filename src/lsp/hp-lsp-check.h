/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "hp-lsp-server.h"
#include "hp-lsp-text.h"

G_BEGIN_DECLS

/*
 * The checks behind the language server: the same checker the command line
 * runs, on a worker thread. A result keeps the text it checked, so places
 * are converted with the text they were found in.
 */
typedef struct _HpLspChecker HpLspChecker;
typedef struct _HpLspResult HpLspResult;

HpLspChecker *hp_lsp_checker_new(const HpLspConfig *config, GError **error);
void hp_lsp_checker_free(HpLspChecker *checker);
void hp_lsp_checker_check_async(HpLspChecker *checker, const gchar *uri, gint64 version, const gchar *data, gsize len,
				GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
HpLspResult *hp_lsp_checker_check_finish(HpLspChecker *checker, GAsyncResult *res, GError **error);
void hp_lsp_checker_hover_async(HpLspChecker *checker, HpLspResult *result, guint line, guint column,
				GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
				GVariant *task_data);

/* A finding the client asks a quick fix for: its rule and where it starts. */
typedef struct {
	gchar *rule;
	guint line, column; /* ours: 1-based, characters */
} HpLspTarget;

void hp_lsp_checker_code_actions_async(HpLspChecker *checker, HpLspResult *result, GPtrArray *targets,
				       HpLspEncoding encoding, GCancellable *cancellable, GAsyncReadyCallback callback,
				       gpointer user_data, GVariant *task_data);
void hp_lsp_target_free(gpointer target);
GPtrArray *hp_lsp_result_targets_in(const HpLspResult *result, guint first_line, guint last_line);

HpLspResult *hp_lsp_result_ref(HpLspResult *result);
void hp_lsp_result_unref(HpLspResult *result);
const gchar *hp_lsp_result_get_uri(const HpLspResult *result);
gint64 hp_lsp_result_get_version(const HpLspResult *result);
const HpLspText *hp_lsp_result_get_text(const HpLspResult *result);
GVariant *hp_lsp_result_diagnostics(const HpLspResult *result, HpLspEncoding encoding);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpLspChecker, hp_lsp_checker_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpLspResult, hp_lsp_result_unref)

G_END_DECLS
