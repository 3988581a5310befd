/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-diag.h"

G_BEGIN_DECLS

/*
 * How an LSP client counts characters in a line (LSP 3.17 positionEncoding):
 * UTF-16 code units (the default every client understands), Unicode code
 * points (what our columns count), or bytes.
 */
typedef enum {
	HP_LSP_ENCODING_UTF16,
	HP_LSP_ENCODING_UTF32,
	HP_LSP_ENCODING_UTF8,
} HpLspEncoding;

/* An LSP position: 0-based line, and character in the negotiated encoding. */
typedef struct {
	guint line;
	guint character;
} HpLspPosition;

/* The text of one open document, as the editor has it. */
typedef struct _HpLspText HpLspText;

HpLspText *hp_lsp_text_new(const gchar *text, gsize len);
void hp_lsp_text_free(HpLspText *text);
const gchar *hp_lsp_text_get(const HpLspText *text, gsize *ret_len);
void hp_lsp_text_replace_all(HpLspText *text, const gchar *data, gsize len);
gboolean hp_lsp_text_apply(HpLspText *text, HpLspEncoding encoding, const HpLspPosition *start,
			   const HpLspPosition *end, const gchar *data, gsize len, GError **error);
HpLspPosition hp_lsp_text_position(const HpLspText *text, HpLspEncoding encoding, guint line, guint column);
gboolean hp_lsp_text_to_span_point(const HpLspText *text, HpLspEncoding encoding, const HpLspPosition *pos,
				   guint *ret_line, guint *ret_column);
const gchar *hp_lsp_encoding_to_string(HpLspEncoding encoding);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpLspText, hp_lsp_text_free)

G_END_DECLS
