/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-xml-util.h"

/* Elements of libvirt's domain XML are in no namespace. */
gboolean
hp_xml_is_element(const xmlNode *node, const gchar *name)
{
	return node != NULL && node->type == XML_ELEMENT_NODE && node->ns == NULL &&
	       g_strcmp0((const gchar *)node->name, name) == 0;
}

/* Returns: (transfer full) (nullable): the attribute's value, in no namespace. */
gchar *
hp_xml_prop(const xmlNode *node, const gchar *name)
{
	xmlChar *value = xmlGetNoNsProp(node, (const xmlChar *)name);
	gchar *ret;
	if (value == NULL)
		return NULL;
	ret = g_strdup((const gchar *)value);
	xmlFree(value);
	return ret;
}

/* Returns: (transfer none) (nullable): the first child element so named. */
xmlNode *
hp_xml_child(const xmlNode *node, const gchar *name)
{
	for (xmlNode *n = node->children; n != NULL; n = n->next) {
		if (hp_xml_is_element(n, name))
			return n;
	}
	return NULL;
}

gchar *
hp_xml_child_text(const xmlNode *node, const gchar *name)
{
	xmlNode *child = hp_xml_child(node, name);
	xmlChar *text;
	gchar *ret;
	if (child == NULL)
		return NULL;
	text = xmlNodeGetContent(child);
	ret = g_strstrip(g_strdup((const gchar *)text));
	xmlFree(text);
	return ret;
}

/**
 * hp_xml_copy_map_add:
 * @map: copy -> original, of xmlNode pointers (g_direct_hash)
 * @copy: an element copied from @orig (xmlDocCopyNode, xmlCopyDoc's root)
 * @orig: the element it was copied from
 *
 * Records which original each element of the copy stands for, so a finding
 * about a node of the copy (a grammar's error) can take the original's place
 * in the document. The copy may have lost elements since (elements only
 * removed, never added or moved): those are stepped over by name.
 */
void
hp_xml_copy_map_add(GHashTable *map, const xmlNode *copy, const xmlNode *orig)
{
	const xmlNode *o;

	if (copy == NULL || orig == NULL || copy->type != XML_ELEMENT_NODE)
		return;
	g_hash_table_insert(map, (gpointer)copy, (gpointer)orig);
	o = orig->children;
	for (const xmlNode *c = copy->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		while (o != NULL && (o->type != XML_ELEMENT_NODE || !xmlStrEqual(o->name, c->name)))
			o = o->next;
		if (o == NULL)
			return;
		hp_xml_copy_map_add(map, c, o);
		o = o->next;
	}
}
