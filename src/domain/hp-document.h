/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "hp-diag.h"

G_BEGIN_DECLS

/*
 * A domain document as read: its bytes (kept to give columns, which libxml2
 * does not record on nodes), the tree, and the name to report it by.
 */
typedef struct {
	gchar *name;
	GBytes *bytes;
	xmlDoc *doc;
	GArray *line_starts; /* of gsize: offset of each line's first byte */
} HpDocument;

void hp_xml_init(void);
void hp_xml_trust_begin(void);
void hp_xml_trust_end(void);

HpDocument *hp_document_new_from_bytes(const gchar *name, GBytes *bytes, HpDiagList *diags);
HpDocument *hp_document_load(const gchar *path, const gchar *display_name, HpDiagList *diags,
			     GError **error);
void hp_document_free(HpDocument *hdoc);

guint hp_document_node_line(const HpDocument *hdoc, const xmlNode *node);
void hp_document_locate(const HpDocument *hdoc, const xmlNode *node, const gchar *attr, guint *ret_line,
			guint *ret_column);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpDocument, hp_document_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

G_END_DECLS
