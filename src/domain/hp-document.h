/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "hp-diag.h"
#include "hp-positions.h"

G_BEGIN_DECLS

/* The input limits of SPEC section 8: past either, the document is refused
 * with `domain-too-large` before any grammar runs. */
#define HP_DOCUMENT_MAX_BYTES    (10 * 1024 * 1024)
#define HP_DOCUMENT_MAX_ELEMENTS 200000

/*
 * A domain document as read: its bytes, the tree, the name to report it by,
 * and where each element and attribute is in the text (recorded when it is
 * read; see hp_document_node_span()).
 *
 * Thread contract: a document is built by one thread; once built, it is
 * never changed by any function here, so it may be read (spans, the tree)
 * from several threads at once. Different documents may be loaded on
 * different threads at the same time: parsing uses per-document settings
 * only, nothing process-global.
 */
typedef struct {
	gchar *name;
	GBytes *bytes;
	xmlDoc *doc;
	GBytes *text;           /* what positions count in: UTF-8, no byte-order mark */
	HpPositions *positions; /* NULL when columns are unknown */
	GHashTable *node_tag;   /* element -> its index in positions->tags + 1 */
} HpDocument;

void hp_xml_init(void);
/* No-ops: nothing is process-global any more (kept until callers drop them). */
void hp_xml_trust_begin(void);
void hp_xml_trust_end(void);

HpDocument *hp_document_new_from_bytes(const gchar *name, GBytes *bytes, HpDiagList *diags);
HpDocument *hp_document_load(const gchar *path, const gchar *display_name, HpDiagList *diags,
			     GError **error);
void hp_document_free(HpDocument *hdoc);

gboolean hp_document_node_span(const HpDocument *hdoc, const xmlNode *node, const gchar *attr,
			       HpSpan *ret_span);
HpSpan hp_document_span(const HpDocument *hdoc, const xmlNode *node, const gchar *attr);
guint hp_document_node_line(const HpDocument *hdoc, const xmlNode *node);
void hp_document_locate(const HpDocument *hdoc, const xmlNode *node, const gchar *attr, guint *ret_line,
			guint *ret_column);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpDocument, hp_document_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

G_END_DECLS
