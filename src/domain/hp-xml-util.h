/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

gboolean hp_xml_is_element(const xmlNode *node, const gchar *name);
gchar *hp_xml_prop(const xmlNode *node, const gchar *name);
xmlNode *hp_xml_child(const xmlNode *node, const gchar *name);
gchar *hp_xml_child_text(const xmlNode *node, const gchar *name);
void hp_xml_copy_map_add(GHashTable *map, const xmlNode *copy, const xmlNode *orig);

G_END_DECLS
