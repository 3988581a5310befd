/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-document.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "hp-error.h"

/* Domain XML has no use for entities: a document that declares one is refused
 * at the declaration, before any of it is expanded (no billion laughs, no
 * external file or URL read). */
typedef struct {
	gboolean refused;
	gint line;
	gint column;
	gchar *what;
} HpParseGuard;

static xmlExternalEntityLoader hp_default_loader = NULL;
static gint hp_trusted_depth = 0;

/* Our own grammars (and libvirt's, which include other files) are loaded
 * between these two calls; nothing else may load an external resource. */
void
hp_xml_trust_begin(void)
{
	hp_xml_init();
	hp_trusted_depth++;
}

void
hp_xml_trust_end(void)
{
	hp_trusted_depth--;
}

static xmlParserInputPtr
hp_refuse_entity_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	if (hp_trusted_depth > 0 && (ctxt == NULL || ctxt->_private == NULL))
		return hp_default_loader(url, id, ctxt);
	/* Never load a DTD, an external entity or an XInclude from a file or the
	 * network for a user's document, whatever it asks. */
	if (ctxt != NULL && ctxt->_private != NULL) {
		HpParseGuard *guard = ctxt->_private;
		if (!guard->refused) {
			guard->refused = TRUE;
			guard->line = ctxt->input != NULL ? ctxt->input->line : 0;
			guard->column = ctxt->input != NULL ? ctxt->input->col : 0;
			guard->what = g_strdup_printf("a reference to the external resource '%s'",
						      url != NULL ? url : (id != NULL ? id : "?"));
		}
		xmlStopParser(ctxt);
	}
	return NULL;
}

static void
hp_guard_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
		     const xmlChar *system_id, xmlChar *content)
{
	xmlParserCtxtPtr ctxt = ctx;
	HpParseGuard *guard = ctxt->_private;
	if (!guard->refused) {
		guard->refused = TRUE;
		guard->line = ctxt->input != NULL ? ctxt->input->line : 0;
		guard->column = ctxt->input != NULL ? ctxt->input->col : 0;
		guard->what = g_strdup_printf("the entity declaration '%s'", (const gchar *)name);
	}
	xmlStopParser(ctxt);
}

static void
hp_quiet_structured(void *data, xmlErrorPtr err)
{
	/* errors are read from the context afterwards; never printed */
}

void
hp_xml_init(void)
{
	static gsize once = 0;
	if (g_once_init_enter(&once)) {
		xmlInitParser();
		hp_default_loader = xmlGetExternalEntityLoader();
		xmlSetExternalEntityLoader(hp_refuse_entity_loader);
		xmlSetStructuredErrorFunc(NULL, hp_quiet_structured);
		g_once_init_leave(&once, 1);
	}
}

static GArray *
hp_line_starts(const gchar *data, gsize len)
{
	GArray *starts = g_array_new(FALSE, FALSE, sizeof(gsize));
	gsize zero = 0;
	g_array_append_val(starts, zero);
	for (const gchar *p = data; (p = memchr(p, '\n', len - (gsize)(p - data))) != NULL;) {
		gsize off = (gsize)(p - data) + 1;
		g_array_append_val(starts, off);
		p++;
		if ((gsize)(p - data) >= len)
			break;
	}
	return starts;
}

/* libxml2's message, trimmed of its newline and its "use XML_PARSE_HUGE"
 * advice, which is not advice for our users. */
static gchar *
hp_xml_error_text(const xmlError *err)
{
	gchar *msg = g_strdup(err != NULL && err->message != NULL ? err->message : "parse error");
	gchar *p = strstr(msg, " use XML_PARSE_HUGE option");
	if (p != NULL)
		*p = '\0';
	return g_strstrip(msg);
}

/**
 * hp_document_new_from_bytes:
 * @name: the name diagnostics give the document (a path, or `<stdin>`)
 * @bytes: its content
 * @diags: where an `xml-malformed` finding goes
 *
 * Parses with no network, no DTD or external entity loading, no entity
 * declarations at all, and libxml2's default limits on depth and sizes.
 *
 * Returns: (transfer full) (nullable): the document, or %NULL when it is not
 * well-formed (and then a finding is in @diags).
 */
HpDocument *
hp_document_new_from_bytes(const gchar *name, GBytes *bytes, HpDiagList *diags)
{
	g_autoptr(HpDocument) hdoc = g_new0(HpDocument, 1);
	HpParseGuard guard = {0};
	xmlParserCtxtPtr ctxt;
	gsize len = 0;
	const gchar *data = g_bytes_get_data(bytes, &len);

	hp_xml_init();
	hdoc->name = g_strdup(name);
	hdoc->bytes = g_bytes_ref(bytes);
	hdoc->line_starts = hp_line_starts(data != NULL ? data : "", data != NULL ? len : 0);

	if (len > G_MAXINT) {
		hp_diag_list_add(diags, HP_RULE_XML_MALFORMED, HP_SPAN(1, 1), NULL,
				 "the document is %" G_GSIZE_FORMAT " bytes, more than the 2 GiB an XML document may have here",
				 len);
		return NULL;
	}
	if (len == 0) {
		hp_diag_list_add(diags, HP_RULE_XML_MALFORMED, HP_SPAN(1, 1), NULL,
				 "the document is empty; a libvirt domain starts with <domain>");
		return NULL;
	}

	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		hp_diag_list_add(diags, HP_RULE_XML_MALFORMED, HP_SPAN(1, 1), NULL, "out of memory creating the XML parser");
		return NULL;
	}
	ctxt->_private = &guard;
	ctxt->sax->entityDecl = hp_guard_entity_decl;
	hdoc->doc = xmlCtxtReadMemory(ctxt, data, (int)len, name, NULL,
				      XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOWARNING |
					  XML_PARSE_NOERROR);
	if (guard.refused) {
		hp_diag_list_add(diags, HP_RULE_XML_MALFORMED, HP_SPAN((guint)MAX(guard.line, 1), (guint)MAX(guard.column, 1)),
				 NULL,
				 "the document contains %s; domain XML has no DTD or entities, remove it",
				 guard.what);
		g_free(guard.what);
		g_clear_pointer(&hdoc->doc, xmlFreeDoc);
	} else if (hdoc->doc == NULL || !ctxt->wellFormed) {
		const xmlError *err = xmlCtxtGetLastError(ctxt);
		g_autofree gchar *text = hp_xml_error_text(err);
		guint line = err != NULL && err->line > 0 ? (guint)err->line : 1;
		guint col = err != NULL && err->int2 > 0 ? (guint)err->int2 : 1;
		hp_diag_list_add(diags, HP_RULE_XML_MALFORMED, HP_SPAN(line, col), NULL,
				 "not well-formed XML: %s", text);
		g_clear_pointer(&hdoc->doc, xmlFreeDoc);
	}
	ctxt->_private = NULL;
	xmlFreeParserCtxt(ctxt);
	if (hdoc->doc == NULL)
		return NULL;
	return g_steal_pointer(&hdoc);
}

/**
 * hp_document_load:
 * @path: a file, or `-` for standard input
 * @display_name: (nullable): the name diagnostics use, default @path
 *
 * Returns: (transfer full) (nullable): the document; %NULL with @error set
 * when the file cannot be read, %NULL without when it is not well-formed.
 */
HpDocument *
hp_document_load(const gchar *path, const gchar *display_name, HpDiagList *diags, GError **error)
{
	g_autoptr(GBytes) bytes = NULL;
	const gchar *name = display_name != NULL ? display_name : path;

	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	if (g_strcmp0(path, "-") == 0) {
		g_autoptr(GByteArray) buf = g_byte_array_new();
		guint8 chunk[65536];
		for (;;) {
			gssize n = read(STDIN_FILENO, chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				g_set_error(error, HP_ERROR, HP_ERROR_READ, "cannot read standard input: %s",
					    g_strerror(errno));
				return NULL;
			}
			if (n == 0)
				break;
			g_byte_array_append(buf, chunk, (guint)n);
		}
		bytes = g_byte_array_free_to_bytes(g_steal_pointer(&buf));
	} else {
		gchar *data = NULL;
		gsize len = 0;
		if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
			g_set_error(error, HP_ERROR, HP_ERROR_READ,
				    "cannot read '%s': it is a directory, give a domain XML file", path);
			return NULL;
		}
		if (!g_file_get_contents(path, &data, &len, error)) {
			hp_error_convert(error);
			return NULL;
		}
		bytes = g_bytes_new_take(data, len);
	}
	return hp_document_new_from_bytes(name, bytes, diags);
}

void
hp_document_free(HpDocument *hdoc)
{
	if (hdoc == NULL)
		return;
	g_free(hdoc->name);
	if (hdoc->doc != NULL)
		xmlFreeDoc(hdoc->doc);
	if (hdoc->bytes != NULL)
		g_bytes_unref(hdoc->bytes);
	if (hdoc->line_starts != NULL)
		g_array_unref(hdoc->line_starts);
	g_free(hdoc);
}

guint
hp_document_node_line(const HpDocument *hdoc, const xmlNode *node)
{
	long line = node != NULL ? xmlGetLineNo(node) : -1;
	return line > 0 ? (guint)line : 0;
}

static gboolean
hp_is_name_end(gchar c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/' || c == '>' || c == '=';
}

/**
 * hp_document_locate:
 * @node: an element of the document
 * @attr: (nullable): one of its attributes
 * @ret_line: (out): 1-based line, 0 when unknown
 * @ret_column: (out): 1-based column, 1 when unknown
 *
 * libxml2 keeps a line per element but no column. This finds the start tag
 * (or @attr within it) in the source text: the last `<name` that begins on
 * or before the element's recorded line, which for a start tag spread over
 * several lines is the line the tag ends on.
 */
void
hp_document_locate(const HpDocument *hdoc, const xmlNode *node, const gchar *attr, guint *ret_line,
		   guint *ret_column)
{
	gsize len = 0;
	const gchar *data = g_bytes_get_data(hdoc->bytes, &len);
	guint line = hp_document_node_line(hdoc, node);
	gsize name_len, end, tag = G_MAXSIZE, pos;

	*ret_line = line;
	*ret_column = 1;
	if (line == 0 || line > hdoc->line_starts->len || node->name == NULL)
		return;
	name_len = strlen((const gchar *)node->name);
	end = line < hdoc->line_starts->len ? g_array_index(hdoc->line_starts, gsize, line) : len;
	/* search back over at most 64 lines for the start of the tag */
	for (guint back = 0; back < 64 && back < line && tag == G_MAXSIZE; back++) {
		gsize from = g_array_index(hdoc->line_starts, gsize, line - back - 1);
		gsize to = back == 0 ? end : g_array_index(hdoc->line_starts, gsize, line - back);
		for (gsize i = from; i + name_len + 1 < len && i < to; i++) {
			if (data[i] == '<' && strncmp(data + i + 1, (const gchar *)node->name, name_len) == 0 &&
			    hp_is_name_end(data[i + 1 + name_len]))
				tag = i;
		}
	}
	if (tag == G_MAXSIZE)
		return;
	pos = tag;
	if (attr != NULL) {
		gsize alen = strlen(attr);
		for (gsize i = tag + 1 + name_len; i + alen < len && data[i] != '>'; i++) {
			if (data[i] == '\'' || data[i] == '"') {
				const gchar *q = memchr(data + i + 1, data[i], len - i - 1);
				if (q == NULL)
					break;
				i = (gsize)(q - data);
				continue;
			}
			if (strncmp(data + i, attr, alen) == 0 && hp_is_name_end(data[i + alen]) &&
			    hp_is_name_end(data[i - 1])) {
				pos = i;
				break;
			}
		}
	}
	/* the line the found position is on */
	while (line > 1 && g_array_index(hdoc->line_starts, gsize, line - 1) > pos)
		line--;
	*ret_line = line;
	*ret_column = (guint)(pos - g_array_index(hdoc->line_starts, gsize, line - 1)) + 1;
}
