/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-normalize.h"

#include <string.h>

#include <gio/gio.h>
#include <libxml/parser.h>
#include <libxslt/transform.h>
#include <libxslt/xsltutils.h>

#include "hp-document.h"
#include "hp-error.h"
#include "hp-resources.h"

struct _HpNormalizer {
	xsltStylesheetPtr xsl;
};

/* libxslt reports through a generic handler; collect, never print */
static void hp_xslt_collect(void *ctx, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
hp_xslt_collect(void *ctx, const char *fmt, ...)
{
	GString *msgs = ctx;
	va_list args;
	if (msgs == NULL)
		return;
	va_start(args, fmt);
	g_string_append_vprintf(msgs, fmt, args);
	va_end(args);
}

/**
 * hp_normalizer_new:
 *
 * Compiles schemas/normalize.xsl, built into the library.
 *
 * Returns: (transfer full) (nullable): the normalizer, or %NULL with @error.
 */
HpNormalizer *
hp_normalizer_new(GError **error)
{
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(HpNormalizer) norm = g_new0(HpNormalizer, 1);
	xmlDoc *xsl_doc;
	gsize len = 0;
	const gchar *data;

	bytes = g_resource_lookup_data(hp_get_resource(), "/org/hostdev-preflight/normalize.xsl",
				       G_RESOURCE_LOOKUP_FLAGS_NONE, error);
	if (bytes == NULL)
		return NULL;
	data = g_bytes_get_data(bytes, &len);
	xsltSetGenericErrorFunc(NULL, hp_xslt_collect);
	hp_xml_trust_begin();
	xsl_doc = xmlReadMemory(data, (int)len, "normalize.xsl", NULL, XML_PARSE_NONET);
	hp_xml_trust_end();
	if (xsl_doc == NULL) {
		g_set_error_literal(error, HP_ERROR, HP_ERROR_INTERNAL, "the built-in normalize.xsl is not well-formed");
		return NULL;
	}
	norm->xsl = xsltParseStylesheetDoc(xsl_doc);
	if (norm->xsl == NULL) {
		xmlFreeDoc(xsl_doc);
		g_set_error_literal(error, HP_ERROR, HP_ERROR_INTERNAL, "the built-in normalize.xsl does not compile");
		return NULL;
	}
	return g_steal_pointer(&norm);
}

void
hp_normalizer_free(HpNormalizer *norm)
{
	if (norm == NULL)
		return;
	if (norm->xsl != NULL)
		xsltFreeStylesheet(norm->xsl);
	g_free(norm);
}

/* ---- libvirt's style of XML ---- */

static void
hp_append_escaped(GString *out, const xmlChar *text, gboolean attr)
{
	for (const xmlChar *p = text; p != NULL && *p != '\0'; p++) {
		switch (*p) {
		case '&':
			g_string_append(out, "&amp;");
			break;
		case '<':
			g_string_append(out, "&lt;");
			break;
		case '>':
			g_string_append(out, "&gt;");
			break;
		case '\'':
			g_string_append(out, attr ? "&apos;" : "'");
			break;
		case '"':
			g_string_append(out, attr ? "&quot;" : "\"");
			break;
		case '\n':
			g_string_append(out, attr ? "&#10;" : "\n");
			break;
		case '\r':
			g_string_append(out, "&#13;");
			break;
		case '\t':
			g_string_append(out, attr ? "&#9;" : "\t");
			break;
		default:
			g_string_append_c(out, (gchar)*p);
		}
	}
}

static gboolean
hp_is_blank_text(const xmlNode *node)
{
	return node->type == XML_TEXT_NODE && xmlIsBlankNode((xmlNode *)node);
}

/* Element-only content (children that are elements, comments, PIs and
 * blank text) is indented; anything with real text is written as it is. */
static gboolean
hp_element_only(const xmlNode *node)
{
	gboolean any = FALSE;
	for (const xmlNode *c = node->children; c != NULL; c = c->next) {
		if (hp_is_blank_text(c))
			continue;
		if (c->type != XML_ELEMENT_NODE && c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE)
			return FALSE;
		any = TRUE;
	}
	return any;
}

static void
hp_append_qname(GString *out, const xmlNs *ns, const xmlChar *name)
{
	if (ns != NULL && ns->prefix != NULL)
		g_string_append_printf(out, "%s:", (const gchar *)ns->prefix);
	g_string_append(out, (const gchar *)name);
}

static void hp_format_node(GString *out, const xmlNode *node, guint depth, gboolean indent);

static void
hp_format_element(GString *out, const xmlNode *node, guint depth, gboolean indent)
{
	gboolean element_only;

	g_string_append_c(out, '<');
	hp_append_qname(out, node->ns, node->name);
	for (const xmlNs *ns = node->nsDef; ns != NULL; ns = ns->next) {
		g_string_append(out, ns->prefix != NULL ? " xmlns:" : " xmlns");
		if (ns->prefix != NULL)
			g_string_append(out, (const gchar *)ns->prefix);
		g_string_append(out, "='");
		hp_append_escaped(out, ns->href, TRUE);
		g_string_append_c(out, '\'');
	}
	for (const xmlAttr *a = node->properties; a != NULL; a = a->next) {
		xmlChar *value = xmlNodeListGetString(node->doc, a->children, 1);
		g_string_append_c(out, ' ');
		hp_append_qname(out, a->ns, a->name);
		g_string_append(out, "='");
		hp_append_escaped(out, value, TRUE);
		g_string_append_c(out, '\'');
		xmlFree(value);
	}
	if (node->children == NULL) {
		g_string_append(out, "/>");
		return;
	}
	g_string_append_c(out, '>');
	element_only = indent && hp_element_only(node);
	for (const xmlNode *c = node->children; c != NULL; c = c->next) {
		if (element_only) {
			if (hp_is_blank_text(c))
				continue;
			g_string_append_c(out, '\n');
			for (guint i = 0; i < depth + 1; i++)
				g_string_append(out, "  ");
		}
		hp_format_node(out, c, depth + 1, element_only);
	}
	if (element_only) {
		g_string_append_c(out, '\n');
		for (guint i = 0; i < depth; i++)
			g_string_append(out, "  ");
	}
	g_string_append(out, "</");
	hp_append_qname(out, node->ns, node->name);
	g_string_append_c(out, '>');
}

static void
hp_format_node(GString *out, const xmlNode *node, guint depth, gboolean indent)
{
	switch (node->type) {
	case XML_ELEMENT_NODE:
		hp_format_element(out, node, depth, indent);
		break;
	case XML_TEXT_NODE:
		hp_append_escaped(out, node->content, FALSE);
		break;
	case XML_CDATA_SECTION_NODE:
		g_string_append_printf(out, "<![CDATA[%s]]>", (const gchar *)node->content);
		break;
	case XML_COMMENT_NODE:
		g_string_append_printf(out, "<!--%s-->", (const gchar *)node->content);
		break;
	case XML_PI_NODE:
		g_string_append_printf(out, "<?%s%s%s?>", (const gchar *)node->name,
				       node->content != NULL ? " " : "",
				       node->content != NULL ? (const gchar *)node->content : "");
		break;
	case XML_ENTITY_REF_NODE:
		g_string_append_printf(out, "&%s;", (const gchar *)node->name);
		break;
	default:
		break;
	}
}

/**
 * hp_xml_format_libvirt:
 * @doc: a document
 *
 * Writes @doc as `virsh dumpxml` does: no XML declaration, single-quoted
 * attributes, two spaces per level, one element per line; text content is
 * written exactly as it is.
 *
 * Returns: (transfer full): the text, ending in a newline.
 */
gchar *
hp_xml_format_libvirt(xmlDoc *doc)
{
	GString *out = g_string_new(NULL);
	for (const xmlNode *n = doc->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE && n->type != XML_COMMENT_NODE && n->type != XML_PI_NODE)
			continue;
		hp_format_node(out, n, 0, TRUE);
		g_string_append_c(out, '\n');
	}
	return g_string_free(out, FALSE);
}

/**
 * hp_normalizer_apply:
 * @doc: a domain document that validates
 * @libvirt_compat: write what stock libvirt (>= 6.0) accepts
 *
 * Returns: (transfer full) (nullable): the normalized document as text.
 */
gchar *
hp_normalizer_apply(HpNormalizer *norm, xmlDoc *doc, gboolean libvirt_compat, GError **error)
{
	const char *params[] = {"libvirt-compat", libvirt_compat ? "'yes'" : "'no'", NULL};
	g_autoptr(GString) msgs = g_string_new(NULL);
	xmlDoc *result;
	gchar *text;

	xsltSetGenericErrorFunc(msgs, hp_xslt_collect);
	result = xsltApplyStylesheet(norm->xsl, doc, params);
	xsltSetGenericErrorFunc(NULL, hp_xslt_collect);
	if (result == NULL) {
		gchar *nl = strchr(msgs->str, '\n');
		if (nl != NULL)
			*nl = '\0';
		g_set_error(error, HP_ERROR, HP_ERROR_INTERNAL, "applying normalize.xsl failed: %s",
			    msgs->len > 0 ? msgs->str : "no reason given");
		return NULL;
	}
	text = hp_xml_format_libvirt(result);
	xmlFreeDoc(result);
	return text;
}
