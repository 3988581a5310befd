/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-diag.h"

G_BEGIN_DECLS

/*
 * Where each start tag and each of its attributes is in a document's text,
 * found by one pass over the bytes of a well-formed UTF-8 document without a
 * DTD internal subset (hp-document refuses one). Start tags come out in
 * document order, the order of a preorder walk of the parsed tree, so the
 * two zip one to one.
 *
 * Lines count '\n' (as libxml2 and grep do; "\r\n" is one line end);
 * columns count characters (Unicode code points), not bytes; both 1-based.
 */
typedef struct {
	HpSpan span;      /* from '<' to just past the start tag's '>' */
	gsize name_off;   /* the tag name in the text */
	guint name_len;
	guint attr_first; /* its attributes: attrs[attr_first .. + n_attrs] */
	guint n_attrs;
} HpTagPos;

typedef struct {
	HpSpan span;       /* from the name to just past the closing quote */
	HpSpan value_span; /* the value between the quotes */
	gsize name_off;
	guint name_len;
} HpAttrPos;

typedef struct {
	GArray *tags;  /* of HpTagPos, in document order */
	GArray *attrs; /* of HpAttrPos */
} HpPositions;

HpPositions *hp_positions_scan(const gchar *text, gsize len);
void hp_positions_free(HpPositions *pos);
void hp_text_position(const gchar *text, gsize len, gsize offset, guint *ret_line, guint *ret_column);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpPositions, hp_positions_free)

G_END_DECLS
