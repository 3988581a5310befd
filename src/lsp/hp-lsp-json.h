/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-lsp-server.h"
#include "hp-lsp-text.h"

G_BEGIN_DECLS

/*
 * Reading LSP's JSON as jsonrpc-glib hands it over (GVariant: objects are
 * a{sv}, arrays av, numbers x or d). Every getter takes a NULL or mistyped
 * input as absent: a client's mistake is an absent field, never a crash.
 */
GVariant *hp_lsp_json_null(void);
GVariant *hp_lsp_json_unbox(GVariant *value);
GVariant *hp_lsp_json_dict(GVariant *dict, const gchar *key);
GVariant *hp_lsp_json_array(GVariant *dict, const gchar *key);
const gchar *hp_lsp_json_str(GVariant *dict, const gchar *key);
gint64 hp_lsp_json_int(GVariant *dict, const gchar *key, gint64 fallback);
gchar **hp_lsp_json_strv(GVariant *dict, const gchar *key);
gboolean hp_lsp_json_position(GVariant *dict, const gchar *key, HpLspPosition *ret_pos);
gboolean hp_lsp_json_range(GVariant *dict, const gchar *key, HpLspPosition *ret_start, HpLspPosition *ret_end);
GVariant *hp_lsp_json_new_range(const HpLspPosition *start, const HpLspPosition *end);
gboolean hp_lsp_json_apply_options(GVariant *options, HpLspConfig *config, GError **error);

G_END_DECLS
