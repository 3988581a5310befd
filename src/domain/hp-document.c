/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-document.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "hp-error.h"

/*
 * Safety without process-global state. libxml2 2.9 has no per-context
 * resource loader (xmlCtxtSetResourceLoader is 2.13), so nothing here
 * replaces the global entity loader; instead a user's document can never
 * reach it: it is parsed with XML_PARSE_NONET and without DTDLOAD, NOENT or
 * XINCLUDE, and its DTD internal subset, the only place an entity, a default
 * attribute or an external reference could be declared, is refused before
 * libxml2 reads a byte of it. Any entity reference but the five predefined
 * ones is refused too (none can be declared, and an external DTD is never
 * read). Errors go to this parser context's own handler (the SAX handler's
 * serror), never to libxml2's thread-global one.
 */

typedef struct {
	gboolean refused;   /* a DTD or an entity: reported as xml-malformed */
	gboolean too_large; /* past HP_DOCUMENT_MAX_ELEMENTS */
	gsize offset;       /* where the refusal or the first error is, in bytes */
	gchar *what;
	guint elements;
	xmlError first_error; /* the first fatal error, else the first error */
	gboolean have_error;
	gboolean have_fatal;
} HpParseState;

void
hp_xml_init(void)
{
	static gsize once = 0;
	if (g_once_init_enter(&once)) {
		/* must run once before parsers on several threads */
		xmlInitParser();
		g_once_init_leave(&once, 1);
	}
}

void
hp_xml_trust_begin(void)
{
	hp_xml_init();
}

void
hp_xml_trust_end(void)
{
}

static gsize
hp_parse_offset(xmlParserCtxtPtr ctxt)
{
	xmlParserInputPtr in = ctxt->input;
	if (in == NULL || in->cur == NULL || in->base == NULL)
		return 0;
	return (gsize)in->consumed + (gsize)(in->cur - in->base);
}

static void
hp_parse_refuse(xmlParserCtxtPtr ctxt, gchar *what)
{
	HpParseState *state = ctxt->_private;
	if (!state->refused && !state->too_large) {
		state->refused = TRUE;
		state->offset = hp_parse_offset(ctxt);
		state->what = what;
	} else {
		g_free(what);
	}
	xmlStopParser(ctxt);
}

/* Called when the DOCTYPE's name and external id are read, before its
 * internal subset: nothing in it is ever parsed, so no default attribute
 * and no entity can change what any layer sees. */
static void
hp_sax_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	if (ctxt->input != NULL && ctxt->input->cur != NULL && ctxt->input->cur[0] == '[') {
		hp_parse_refuse(ctxt, g_strdup("a DTD internal subset ([...] in <!DOCTYPE>), which could declare "
					       "entities or default attributes"));
		return;
	}
	xmlSAX2InternalSubset(ctx, name, external_id, system_id);
}

static xmlEntityPtr
hp_sax_get_entity(void *ctx, const xmlChar *name)
{
	g_autofree gchar *echo = hp_echo((const gchar *)name);
	hp_parse_refuse(ctx, g_strdup_printf("the entity reference '&%s;' (only &lt; &gt; &amp; &quot; &apos; "
					     "and character references are read)",
					     echo));
	return NULL;
}

static void
hp_sax_start_element(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
		     int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
		     const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	HpParseState *state = ctxt->_private;

	/* stop at once: a huge document costs neither memory nor time */
	if (++state->elements > HP_DOCUMENT_MAX_ELEMENTS) {
		if (!state->too_large && !state->refused) {
			state->too_large = TRUE;
			state->offset = hp_parse_offset(ctxt);
		}
		xmlStopParser(ctxt);
		return;
	}
	xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
			      nb_defaulted, attributes);
}

static void
hp_sax_error(void *data, xmlErrorPtr err)
{
	xmlParserCtxtPtr ctxt = data;
	HpParseState *state = ctxt->_private;
	gboolean fatal = err->level == XML_ERR_FATAL;

	if (err->level < XML_ERR_ERROR || state->have_fatal || (state->have_error && !fatal))
		return;
	if (state->have_error)
		xmlResetError(&state->first_error);
	xmlCopyError(err, &state->first_error);
	state->have_error = TRUE;
	state->have_fatal = fatal;
	if (!state->refused && !state->too_large)
		state->offset = hp_parse_offset(ctxt);
}

/* libxml2's message, trimmed of its newline and its "use XML_PARSE_HUGE"
 * advice, which is not advice for our users. */
static gchar *
hp_xml_error_text(const xmlError *err)
{
	gchar *msg = g_strdup(err->message != NULL ? err->message : "parse error");
	gchar *p = strstr(msg, " use XML_PARSE_HUGE option");
	if (p != NULL)
		*p = '\0';
	return g_strstrip(msg);
}

/* The text positions are counted in: UTF-8 as it is (without a byte-order
 * mark), or the document converted from the 8-bit encoding it declares. */
static GBytes *
hp_document_utf8(GBytes *bytes, const xmlDoc *doc, gsize *ret_skip)
{
	gsize len = 0;
	const gchar *data = g_bytes_get_data(bytes, &len);
	const gchar *enc = doc != NULL ? (const gchar *)doc->encoding : NULL;
	gchar *converted;

	*ret_skip = len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	if (enc == NULL || g_ascii_strcasecmp(enc, "UTF-8") == 0 || g_ascii_strcasecmp(enc, "UTF8") == 0 ||
	    g_ascii_strcasecmp(enc, "US-ASCII") == 0 || g_ascii_strcasecmp(enc, "ASCII") == 0)
		return g_bytes_new_from_bytes(bytes, *ret_skip, len - *ret_skip);
	converted = g_convert(data, (gssize)len, "UTF-8", enc, NULL, &len, NULL);
	*ret_skip = 0;
	return converted != NULL ? g_bytes_new_take(converted, len) : NULL;
}

/* An element's name as written: prefix:local. */
static gboolean
hp_tag_name_is(const gchar *text, gsize off, guint len, const xmlChar *prefix, const xmlChar *name)
{
	gsize plen = prefix != NULL ? strlen((const gchar *)prefix) : 0;
	gsize nlen = strlen((const gchar *)name);
	if (prefix != NULL)
		return len == plen + 1 + nlen && memcmp(text + off, prefix, plen) == 0 && text[off + plen] == ':' &&
		       memcmp(text + off + plen + 1, name, nlen) == 0;
	return len == nlen && memcmp(text + off, name, nlen) == 0;
}

/*
 * Pairs each element of the tree, in document order, with the start tag the
 * scan found at the same rank; every name must agree, else no columns at all
 * rather than wrong ones.
 */
static void
hp_document_index(HpDocument *hdoc)
{
	g_autoptr(GBytes) text = NULL;
	g_autoptr(HpPositions) pos = NULL;
	g_autoptr(GHashTable) index = NULL;
	gsize len = 0, skip = 0;
	const gchar *data;
	guint rank = 0;
	xmlNode *n = xmlDocGetRootElement(hdoc->doc);

	text = hp_document_utf8(hdoc->bytes, hdoc->doc, &skip);
	if (text == NULL)
		return;
	data = g_bytes_get_data(text, &len);
	pos = hp_positions_scan(data, len);
	if (pos == NULL)
		return;
	index = g_hash_table_new(g_direct_hash, g_direct_equal);
	while (n != NULL) {
		const HpTagPos *tag;
		if (rank >= pos->tags->len)
			return;
		tag = &g_array_index(pos->tags, HpTagPos, rank);
		if (!hp_tag_name_is(data, tag->name_off, tag->name_len, n->ns != NULL ? n->ns->prefix : NULL, n->name))
			return;
		g_hash_table_insert(index, n, GUINT_TO_POINTER(++rank));
		/* the next element in document order */
		if (xmlFirstElementChild(n) != NULL) {
			n = xmlFirstElementChild(n);
			continue;
		}
		while (n != NULL && xmlNextElementSibling(n) == NULL)
			n = n->parent != NULL && n->parent->type == XML_ELEMENT_NODE ? n->parent : NULL;
		if (n != NULL)
			n = xmlNextElementSibling(n);
	}
	if (rank != pos->tags->len)
		return;
	/* attribute names are compared with the text later: keep it */
	hdoc->text = g_steal_pointer(&text);
	hdoc->positions = g_steal_pointer(&pos);
	hdoc->node_tag = g_steal_pointer(&index);
}

/* A place from a byte offset of the input, for the findings about the input
 * as a whole (the 200,001st element, a NUL, a refused declaration). */
static HpSpan
hp_offset_span(GBytes *bytes, gsize offset)
{
	gsize len = 0;
	const gchar *data = g_bytes_get_data(bytes, &len);
	HpSpan span = {1, 1, 0, 0};
	gsize skip = len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	if (offset >= skip)
		hp_text_position(data + skip, len - skip, offset - skip, &span.line, &span.column);
	return span;
}

static void
hp_report_parse_failure(GBytes *bytes, HpParseState *state, HpDiagList *diags)
{
	HpSpan span = hp_offset_span(bytes, state->offset);
	if (state->too_large) {
		hp_diag_list_add(diags, HP_RULE_DOMAIN_TOO_LARGE, &span, NULL,
				 "the document has more than %u elements (the limit for a domain; this is the first one past it); a libvirt domain has a few hundred, so check what generated it",
				 HP_DOCUMENT_MAX_ELEMENTS);
	} else if (state->refused) {
		hp_diag_list_add(diags, HP_RULE_XML_MALFORMED, &span, NULL,
				 "the document contains %s; domain XML has no DTD or entities, remove it", state->what);
	} else {
		const xmlError *err = &state->first_error;
		g_autofree gchar *text = hp_xml_error_text(err);
		/* libxml2 counts columns itself; the offset gives characters
		 * exactly, when it agrees with libxml2 on the line */
		if (err->line <= 0 || span.line != (guint)err->line) {
			span.line = err->line > 0 ? (guint)err->line : 1;
			span.column = err->int2 > 0 ? (guint)err->int2 : 1;
		}
		hp_diag_list_add(diags, HP_RULE_XML_MALFORMED, &span, NULL, "not well-formed XML: %s", text);
	}
}

/* Refusals that need no parser: size, emptiness, a NUL byte. */
static gboolean
hp_document_precheck(GBytes *bytes, HpDiagList *diags)
{
	gsize len = 0;
	const gchar *data = g_bytes_get_data(bytes, &len);
	const gchar *nul;

	if (len > HP_DOCUMENT_MAX_BYTES) {
		hp_diag_list_add(diags, HP_RULE_DOMAIN_TOO_LARGE, HP_SPAN(1, 1), NULL,
				 "the document is larger than %u MiB, the limit for a domain; a libvirt domain is a few kilobytes, so check what generated it",
				 HP_DOCUMENT_MAX_BYTES / (1024 * 1024));
		return FALSE;
	}
	if (len == 0) {
		hp_diag_list_add(diags, HP_RULE_XML_MALFORMED, HP_SPAN(1, 1), NULL,
				 "the document is empty; a libvirt domain starts with <domain>");
		return FALSE;
	}
	/* libxml2 takes a NUL for the end of the input, so whatever follows
	 * one would be silently dropped; UTF-16 and UTF-32 have them too */
	nul = memchr(data, '\0', len);
	if (nul != NULL) {
		HpSpan span = hp_offset_span(bytes, (gsize)(nul - data));
		if (nul - data < 4)
			hp_diag_list_add(diags, HP_RULE_XML_MALFORMED, HP_SPAN(1, 1), NULL,
					 "the document is not UTF-8 (it looks like UTF-16 or UTF-32); convert it, e.g. iconv -f UTF-16 -t UTF-8");
		else
			hp_diag_list_add(diags, HP_RULE_XML_MALFORMED, &span, NULL,
					 "the document contains a NUL byte, which XML does not allow; remove it and whatever follows it by mistake");
		return FALSE;
	}
	return TRUE;
}

/**
 * hp_document_new_from_bytes:
 * @name: the name diagnostics give the document (a path, or `<stdin>`)
 * @bytes: its content
 * @diags: where an `xml-malformed` or `domain-too-large` finding goes
 *
 * Parses with no network, no DTD or external entity loading, no DTD
 * internal subset at all, no entity but the predefined ones, libxml2's
 * default limits on depth and sizes, and the limits of SPEC section 8; then
 * records where each element and attribute is (hp_document_node_span()).
 * Safe to call on several threads at once.
 *
 * Returns: (transfer full) (nullable): the document, or %NULL when it is
 * refused (and then a finding is in @diags).
 */
HpDocument *
hp_document_new_from_bytes(const gchar *name, GBytes *bytes, HpDiagList *diags)
{
	g_autoptr(HpDocument) hdoc = g_new0(HpDocument, 1);
	HpParseState state = {0};
	xmlParserCtxtPtr ctxt;
	gsize len = 0;
	const gchar *data = g_bytes_get_data(bytes, &len);

	hp_xml_init();
	hdoc->name = g_strdup(name);
	hdoc->bytes = g_bytes_ref(bytes);
	if (!hp_document_precheck(bytes, diags))
		return NULL;

	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		hp_diag_list_add(diags, HP_RULE_XML_MALFORMED, HP_SPAN(1, 1), NULL, "out of memory creating the XML parser");
		return NULL;
	}
	/* the context's own SAX handler: these settings are this parse's only */
	ctxt->_private = &state;
	ctxt->sax->internalSubset = hp_sax_internal_subset;
	ctxt->sax->getEntity = hp_sax_get_entity;
	ctxt->sax->startElementNs = hp_sax_start_element;
	ctxt->sax->serror = hp_sax_error;
	/* COMPACT: short text kept inside its node, one allocation less each
	 * (xmllint's default too); what every layer reads is the same */
	hdoc->doc = xmlCtxtReadMemory(ctxt, data, (int)len, name, NULL,
				      XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOWARNING |
					  XML_PARSE_NOERROR | XML_PARSE_COMPACT);
	if (state.refused || state.too_large || hdoc->doc == NULL || !ctxt->wellFormed) {
		if (!state.refused && !state.too_large && !state.have_error) {
			const xmlError *last = xmlCtxtGetLastError(ctxt);
			if (last != NULL)
				xmlCopyError((xmlError *)last, &state.first_error);
			state.offset = hp_parse_offset(ctxt);
		}
		hp_report_parse_failure(bytes, &state, diags);
		g_clear_pointer(&hdoc->doc, xmlFreeDoc);
	}
	xmlResetError(&state.first_error);
	g_free(state.what);
	ctxt->_private = NULL;
	xmlFreeParserCtxt(ctxt);
	if (hdoc->doc == NULL)
		return NULL;
	hp_document_index(hdoc);
	if (hdoc->positions == NULL)
		g_debug("%s: no columns: the start tags did not pair with the elements", name);
	return g_steal_pointer(&hdoc);
}

/* Reads @fd up to one byte past the limit: enough to know it is past it,
 * whatever @fd is (a FIFO, /dev/zero, a terminal). */
static GBytes *
hp_read_bounded(gint fd, const gchar *what, GError **error)
{
	g_autoptr(GByteArray) buf = g_byte_array_new();
	const gsize limit = (gsize)HP_DOCUMENT_MAX_BYTES + 1;
	guint8 chunk[65536];

	while (buf->len < limit) {
		gssize n = read(fd, chunk, MIN(sizeof(chunk), limit - buf->len));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			gint saved = errno;
			g_set_error(error, HP_ERROR, HP_ERROR_READ, "cannot read %s: %s", what, g_strerror(saved));
			return NULL;
		}
		if (n == 0)
			break;
		g_byte_array_append(buf, chunk, (guint)n);
	}
	return g_byte_array_free_to_bytes(g_steal_pointer(&buf));
}

/**
 * hp_document_load:
 * @path: a file, or `-` for standard input
 * @display_name: (nullable): the name diagnostics use, default @path
 *
 * Reads at most %HP_DOCUMENT_MAX_BYTES and one byte more, so a device or a
 * FIFO that never ends is refused (`domain-too-large`), not read until
 * memory runs out.
 *
 * Returns: (transfer full) (nullable): the document; %NULL with @error set
 * when the file cannot be read, %NULL without when it is refused.
 */
HpDocument *
hp_document_load(const gchar *path, const gchar *display_name, HpDiagList *diags, GError **error)
{
	g_autoptr(GBytes) bytes = NULL;
	const gchar *name = display_name != NULL ? display_name : path;

	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	if (g_strcmp0(path, "-") == 0) {
		bytes = hp_read_bounded(STDIN_FILENO, "standard input", error);
	} else {
		g_autofree gchar *what = g_strdup_printf("'%s'", path);
		struct stat st;
		gint fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			gint saved = errno;
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot open '%s': %s", path,
				    g_strerror(saved));
			hp_error_convert(error);
			return NULL;
		}
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			close(fd);
			g_set_error(error, HP_ERROR, HP_ERROR_READ,
				    "cannot read '%s': it is a directory, give a domain XML file", path);
			return NULL;
		}
		bytes = hp_read_bounded(fd, what, error);
		close(fd);
	}
	if (bytes == NULL)
		return NULL;
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
	if (hdoc->text != NULL)
		g_bytes_unref(hdoc->text);
	hp_positions_free(hdoc->positions);
	if (hdoc->node_tag != NULL)
		g_hash_table_unref(hdoc->node_tag);
	g_free(hdoc);
}

/* The start tag of a copy of one of the document's elements (the schema
 * layer validates copies): libxml2 copies keep the line the start tag ends
 * on, so it is the first start tag of that name ending on that line. Exact
 * unless two such tags share the line; hp_xml_copy_map_add() maps copies
 * back to their originals exactly. */
static const HpTagPos *
hp_document_tag_by_line(const HpDocument *hdoc, const xmlNode *node)
{
	const GArray *tags = hdoc->positions->tags;
	const gchar *text = g_bytes_get_data(hdoc->text, NULL);
	long line = xmlGetLineNo(node);
	guint lo = 0, hi = tags->len;

	if (line <= 0)
		return NULL;
	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		if (g_array_index(tags, HpTagPos, mid).span.end_line < (guint)line)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (guint i = lo; i < tags->len; i++) {
		const HpTagPos *tag = &g_array_index(tags, HpTagPos, i);
		if (tag->span.end_line != (guint)line)
			break;
		if (hp_tag_name_is(text, tag->name_off, tag->name_len, node->ns != NULL ? node->ns->prefix : NULL,
				   node->name))
			return tag;
	}
	return NULL;
}

static const HpTagPos *
hp_document_tag(const HpDocument *hdoc, const xmlNode *node)
{
	gpointer rank;
	if (hdoc->positions == NULL || node == NULL || node->type != XML_ELEMENT_NODE)
		return NULL;
	rank = g_hash_table_lookup(hdoc->node_tag, node);
	if (rank != NULL)
		return &g_array_index(hdoc->positions->tags, HpTagPos, GPOINTER_TO_UINT(rank) - 1);
	return hp_document_tag_by_line(hdoc, node);
}

/**
 * hp_document_node_span:
 * @hdoc: the document
 * @node: one of its elements (or a copy of one, see below)
 * @attr: (nullable): one of @node's attributes, by the name written
 * @ret_span: (out): where it is, set only on success
 *
 * The place recorded when the document was read: for an element, from its
 * '<' to just past the '>' of its start tag; for an attribute, from its name
 * to just past the closing quote of its value. Lines and columns are
 * 1-based, columns in characters. Constant time for an element of the
 * document; a copy made with xmlCopyDoc() or xmlDocCopyNode() is found by
 * its name and line (map it back with hp_xml_copy_map_add() to be exact).
 *
 * Returns: %FALSE when the place is not known: @attr is not on @node, the
 * node is not from this document, or columns could not be recorded.
 */
gboolean
hp_document_node_span(const HpDocument *hdoc, const xmlNode *node, const gchar *attr, HpSpan *ret_span)
{
	const HpTagPos *tag = hp_document_tag(hdoc, node);
	const gchar *text;
	gsize alen;

	if (tag == NULL)
		return FALSE;
	if (attr == NULL) {
		*ret_span = tag->span;
		return TRUE;
	}
	text = g_bytes_get_data(hdoc->text, NULL);
	alen = strlen(attr);
	for (guint i = 0; i < tag->n_attrs; i++) {
		const HpAttrPos *a = &g_array_index(hdoc->positions->attrs, HpAttrPos, tag->attr_first + i);
		if (a->name_len == alen && memcmp(text + a->name_off, attr, alen) == 0) {
			*ret_span = a->span;
			return TRUE;
		}
	}
	return FALSE;
}

/**
 * hp_document_span:
 * @node: (nullable): an element of the document
 * @attr: (nullable): one of its attributes
 *
 * Returns: the span of @attr, else of @node (when @attr is absent), else
 * libxml2's line for @node with column 1; 1:1 for %NULL.
 */
HpSpan
hp_document_span(const HpDocument *hdoc, const xmlNode *node, const gchar *attr)
{
	HpSpan span = {1, 1, 0, 0};
	long line;
	if (node == NULL)
		return span;
	if (attr != NULL && hp_document_node_span(hdoc, node, attr, &span))
		return span;
	if (hp_document_node_span(hdoc, node, NULL, &span))
		return span;
	line = xmlGetLineNo(node);
	span.line = line > 0 ? (guint)line : 1;
	return span;
}

/* The line @node's start tag begins on; 0 for %NULL. */
guint
hp_document_node_line(const HpDocument *hdoc, const xmlNode *node)
{
	return node != NULL ? hp_document_span(hdoc, node, NULL).line : 0;
}

/**
 * hp_document_locate:
 * @node: an element of the document
 * @attr: (nullable): one of its attributes
 * @ret_line: (out): 1-based line
 * @ret_column: (out): 1-based column, in characters
 *
 * hp_document_span()'s start, for callers that want two numbers. The place
 * was recorded when the document was read; nothing is searched for.
 */
void
hp_document_locate(const HpDocument *hdoc, const xmlNode *node, const gchar *attr, guint *ret_line,
		   guint *ret_column)
{
	HpSpan span = hp_document_span(hdoc, node, attr);
	*ret_line = span.line;
	*ret_column = span.column;
}
