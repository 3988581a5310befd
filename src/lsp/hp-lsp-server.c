/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The language server's life cycle and its documents. jsonrpc-glib frames
 * the messages both ways; the dispatch is ours, so that one malformed
 * message is answered (or dropped) and the next one still read, where a
 * JsonrpcClient would close the connection. Checks run on a worker thread,
 * one at a time, so a slow host read never stalls the editor; a result for
 * a text that has changed since is published with the version it was for
 * and replaced by the next check.
 */
#include "hp-lsp-server.h"

#include <jsonrpc-glib.h>

#include "config.h"
#include "hp-error.h"
#include "hp-lsp-check.h"
#include "hp-lsp-json.h"
#include "hp-lsp-text.h"

/* JSON-RPC and LSP error codes */
enum {
	HP_LSP_PARSE_ERROR = -32700,
	HP_LSP_INVALID_REQUEST = -32600,
	HP_LSP_METHOD_NOT_FOUND = -32601,
	HP_LSP_INVALID_PARAMS = -32602,
	HP_LSP_INTERNAL_ERROR = -32603,
	HP_LSP_SERVER_NOT_INITIALIZED = -32002,
};

/* What the editor has of one document, and the last check of it. */
typedef struct {
	gchar *uri;
	gint64 version;
	HpLspText *text;
	gboolean dirty;          /* changed since the last check started */
	HpLspResult *result;     /* the last check, for hover; NULL before */
} HpLspDoc;

struct _HpLspServer {
	JsonrpcInputStream *in;
	JsonrpcOutputStream *out;
	GMainLoop *loop;
	GCancellable *cancel;
	HpLspConfig config;
	HpLspChecker *checker; /* from initialize on */
	gboolean initialized;
	gboolean shutdown;
	gint exit_code;
	HpLspEncoding encoding;
	GHashTable *docs;      /* uri -> HpLspDoc */
	GQueue queue;          /* uris waiting for a check, each once */
	gboolean checking;
};

static void
hp_lsp_doc_free(gpointer data)
{
	HpLspDoc *doc = data;
	g_free(doc->uri);
	hp_lsp_text_free(doc->text);
	hp_lsp_result_unref(doc->result);
	g_free(doc);
}

void
hp_lsp_config_clear(HpLspConfig *config)
{
	g_clear_pointer(&config->root, g_free);
	g_clear_pointer(&config->kernel_release, g_free);
	g_clear_pointer(&config->libvirt_schemas, g_free);
	g_clear_pointer(&config->pci_ids, g_free);
	g_clear_pointer(&config->default_root, g_free);
}

static void
hp_lsp_config_copy(HpLspConfig *dst, const HpLspConfig *src)
{
	dst->root = g_strdup(src->root);
	dst->kernel_release = g_strdup(src->kernel_release);
	dst->no_host = src->no_host;
	dst->libvirt_schemas = g_strdup(src->libvirt_schemas);
	dst->pci_ids = g_strdup(src->pci_ids);
	dst->default_root = g_strdup(src->default_root != NULL ? src->default_root : "/");
}

/**
 * hp_lsp_server_new:
 * @input: what the client writes (standard input)
 * @output: what the client reads (standard output)
 * @config: the checks before the client's initialization options
 *
 * Returns: (transfer full): the server; hp_lsp_server_run() serves.
 */
HpLspServer *
hp_lsp_server_new(GInputStream *input, GOutputStream *output, const HpLspConfig *config)
{
	HpLspServer *server = g_new0(HpLspServer, 1);

	server->in = jsonrpc_input_stream_new(input);
	server->out = jsonrpc_output_stream_new(output);
	server->loop = g_main_loop_new(NULL, FALSE);
	server->cancel = g_cancellable_new();
	hp_lsp_config_copy(&server->config, config);
	server->docs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, hp_lsp_doc_free);
	server->exit_code = 1; /* LSP: exit before shutdown is an error */
	g_queue_init(&server->queue);
	return server;
}

void
hp_lsp_server_free(HpLspServer *server)
{
	if (server == NULL)
		return;
	g_cancellable_cancel(server->cancel);
	g_object_unref(server->cancel);
	g_object_unref(server->in);
	g_object_unref(server->out);
	g_main_loop_unref(server->loop);
	hp_lsp_config_clear(&server->config);
	hp_lsp_checker_free(server->checker);
	g_queue_clear_full(&server->queue, g_free);
	g_hash_table_unref(server->docs);
	g_free(server);
}

static void
hp_lsp_send(HpLspServer *server, GVariant *message)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) owned = g_variant_ref_sink(message);

	if (!jsonrpc_output_stream_write_message(server->out, owned, NULL, &error)) {
		/* the editor is gone: nothing is left to serve */
		g_debug("cannot write to the client: %s", error->message);
		g_main_loop_quit(server->loop);
	}
}

static void
hp_lsp_reply(HpLspServer *server, GVariant *id, GVariant *result)
{
	GVariantDict d;
	g_variant_dict_init(&d, NULL);
	g_variant_dict_insert(&d, "jsonrpc", "s", "2.0");
	g_variant_dict_insert_value(&d, "id", id != NULL ? id : hp_lsp_json_null());
	g_variant_dict_insert_value(&d, "result", result != NULL ? result : hp_lsp_json_null());
	hp_lsp_send(server, g_variant_dict_end(&d));
}

static void
hp_lsp_reply_error(HpLspServer *server, GVariant *id, gint code, const gchar *fmt, ...) G_GNUC_PRINTF(4, 5);

static void
hp_lsp_reply_error(HpLspServer *server, GVariant *id, gint code, const gchar *fmt, ...)
{
	g_autofree gchar *msg = NULL;
	GVariantDict d, e;
	va_list args;

	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_variant_dict_init(&e, NULL);
	g_variant_dict_insert(&e, "code", "x", (gint64)code);
	g_variant_dict_insert(&e, "message", "s", msg);
	g_variant_dict_init(&d, NULL);
	g_variant_dict_insert(&d, "jsonrpc", "s", "2.0");
	g_variant_dict_insert_value(&d, "id", id != NULL ? id : hp_lsp_json_null());
	g_variant_dict_insert_value(&d, "error", g_variant_dict_end(&e));
	hp_lsp_send(server, g_variant_dict_end(&d));
}

static void
hp_lsp_notify(HpLspServer *server, const gchar *method, GVariant *params)
{
	GVariantDict d;
	g_variant_dict_init(&d, NULL);
	g_variant_dict_insert(&d, "jsonrpc", "s", "2.0");
	g_variant_dict_insert(&d, "method", "s", method);
	g_variant_dict_insert_value(&d, "params", params);
	hp_lsp_send(server, g_variant_dict_end(&d));
}

/* window/logMessage: what a server says about itself (type 1 error .. 4 log) */
static void
hp_lsp_log(HpLspServer *server, gint64 type, const gchar *fmt, ...) G_GNUC_PRINTF(3, 4);

static void
hp_lsp_log(HpLspServer *server, gint64 type, const gchar *fmt, ...)
{
	g_autofree gchar *msg = NULL;
	GVariantDict d;
	va_list args;

	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_variant_dict_init(&d, NULL);
	g_variant_dict_insert(&d, "type", "x", type);
	g_variant_dict_insert(&d, "message", "s", msg);
	hp_lsp_notify(server, "window/logMessage", g_variant_dict_end(&d));
}

/* ---- checks ---- */

static void hp_lsp_check_next(HpLspServer *server);

static void
hp_lsp_publish(HpLspServer *server, const gchar *uri, HpLspResult *result)
{
	GVariantDict d;
	g_variant_dict_init(&d, NULL);
	g_variant_dict_insert(&d, "uri", "s", uri);
	if (result != NULL) {
		g_variant_dict_insert(&d, "version", "x", hp_lsp_result_get_version(result));
		g_variant_dict_insert_value(&d, "diagnostics", hp_lsp_result_diagnostics(result, server->encoding));
	} else {
		g_variant_dict_insert_value(&d, "diagnostics", g_variant_new_array(G_VARIANT_TYPE_VARIANT, NULL, 0));
	}
	hp_lsp_notify(server, "textDocument/publishDiagnostics", g_variant_dict_end(&d));
}

static void
hp_lsp_check_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	HpLspServer *server = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(HpLspResult) result = hp_lsp_checker_check_finish(server->checker, res, &error);
	HpLspDoc *doc;

	server->checking = FALSE;
	if (result == NULL) {
		if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			hp_lsp_log(server, 1, "hostdev-preflight: the check failed: %s", error->message);
		else
			return; /* shutting down */
	} else {
		doc = g_hash_table_lookup(server->docs, hp_lsp_result_get_uri(result));
		if (doc != NULL) { /* closed meanwhile: nothing to say */
			/* the state first: jsonrpc-glib's write runs the main loop,
			 * so a request may be served while we publish */
			hp_lsp_result_unref(doc->result);
			doc->result = hp_lsp_result_ref(result);
			hp_lsp_publish(server, hp_lsp_result_get_uri(result), result);
		}
	}
	hp_lsp_check_next(server);
}

static void
hp_lsp_check_next(HpLspServer *server)
{
	while (!server->checking && !g_queue_is_empty(&server->queue)) {
		g_autofree gchar *uri = g_queue_pop_head(&server->queue);
		HpLspDoc *doc = g_hash_table_lookup(server->docs, uri);
		const gchar *data;
		gsize len;

		if (doc == NULL || !doc->dirty)
			continue;
		doc->dirty = FALSE;
		data = hp_lsp_text_get(doc->text, &len);
		server->checking = TRUE;
		hp_lsp_checker_check_async(server->checker, doc->uri, doc->version, data, len, server->cancel,
					   hp_lsp_check_done, server);
	}
}

static void
hp_lsp_schedule(HpLspServer *server, HpLspDoc *doc)
{
	if (!doc->dirty) {
		doc->dirty = TRUE;
		g_queue_push_tail(&server->queue, g_strdup(doc->uri));
	}
	hp_lsp_check_next(server);
}

/* ---- requests and notifications ---- */

static void
hp_lsp_initialize(HpLspServer *server, GVariant *id, GVariant *params)
{
	g_autoptr(GVariant) caps = hp_lsp_json_dict(params, "capabilities");
	g_autoptr(GVariant) general = hp_lsp_json_dict(caps, "general");
	g_autoptr(GVariant) options = hp_lsp_json_dict(params, "initializationOptions");
	g_autoptr(GError) error = NULL;
	g_auto(GStrv) encodings = hp_lsp_json_strv(general, "positionEncodings");
	GVariantDict result, c, sync, save, info;

	if (server->initialized) {
		hp_lsp_reply_error(server, id, HP_LSP_INVALID_REQUEST, "initialize was already received");
		return;
	}
	/* our columns count code points: take them when the client can */
	server->encoding = HP_LSP_ENCODING_UTF16;
	if (encodings != NULL && g_strv_contains((const gchar *const *)encodings, "utf-32"))
		server->encoding = HP_LSP_ENCODING_UTF32;
	if (!hp_lsp_json_apply_options(options, &server->config, &error) ||
	    (server->checker = hp_lsp_checker_new(&server->config, &error)) == NULL) {
		hp_lsp_reply_error(server, id, HP_LSP_INVALID_PARAMS, "hostdev-preflight cannot start: %s",
				   error->message);
		return;
	}
	server->initialized = TRUE;

	g_variant_dict_init(&save, NULL);
	g_variant_dict_insert(&save, "includeText", "b", FALSE);
	g_variant_dict_init(&sync, NULL);
	g_variant_dict_insert(&sync, "openClose", "b", TRUE);
	g_variant_dict_insert(&sync, "change", "x", (gint64)2); /* incremental */
	g_variant_dict_insert_value(&sync, "save", g_variant_dict_end(&save));
	g_variant_dict_init(&c, NULL);
	g_variant_dict_insert(&c, "positionEncoding", "s", hp_lsp_encoding_to_string(server->encoding));
	g_variant_dict_insert_value(&c, "textDocumentSync", g_variant_dict_end(&sync));
	g_variant_dict_insert(&c, "hoverProvider", "b", TRUE);
	{
		GVariantDict ca;
		GVariantBuilder kinds;
		g_variant_builder_init(&kinds, G_VARIANT_TYPE("av"));
		g_variant_builder_add(&kinds, "v", g_variant_new_string("quickfix"));
		g_variant_dict_init(&ca, NULL);
		g_variant_dict_insert_value(&ca, "codeActionKinds", g_variant_builder_end(&kinds));
		g_variant_dict_insert_value(&c, "codeActionProvider", g_variant_dict_end(&ca));
	}
	g_variant_dict_init(&info, NULL);
	g_variant_dict_insert(&info, "name", "s", "hostdev-preflight");
	g_variant_dict_insert(&info, "version", "s", HP_VERSION);
	g_variant_dict_init(&result, NULL);
	g_variant_dict_insert_value(&result, "capabilities", g_variant_dict_end(&c));
	g_variant_dict_insert_value(&result, "serverInfo", g_variant_dict_end(&info));
	hp_lsp_reply(server, id, g_variant_dict_end(&result));
}

static HpLspDoc *
hp_lsp_doc_of(HpLspServer *server, GVariant *params, GVariant **ret_td)
{
	g_autoptr(GVariant) td = hp_lsp_json_dict(params, "textDocument");
	const gchar *uri = hp_lsp_json_str(td, "uri");
	HpLspDoc *doc = uri != NULL ? g_hash_table_lookup(server->docs, uri) : NULL;
	if (ret_td != NULL)
		*ret_td = g_steal_pointer(&td);
	return doc;
}

static void
hp_lsp_did_open(HpLspServer *server, GVariant *params)
{
	g_autoptr(GVariant) td = hp_lsp_json_dict(params, "textDocument");
	const gchar *uri = hp_lsp_json_str(td, "uri");
	const gchar *text = hp_lsp_json_str(td, "text");
	HpLspDoc *doc;

	if (uri == NULL || text == NULL) {
		hp_lsp_log(server, 2, "hostdev-preflight: didOpen without textDocument.uri and .text, ignoring");
		return;
	}
	doc = g_new0(HpLspDoc, 1);
	doc->uri = g_strdup(uri);
	doc->version = hp_lsp_json_int(td, "version", 0);
	doc->text = hp_lsp_text_new(text, strlen(text));
	g_hash_table_replace(server->docs, doc->uri, doc);
	hp_lsp_schedule(server, doc);
}

static void
hp_lsp_did_change(HpLspServer *server, GVariant *params)
{
	g_autoptr(GVariant) td = NULL;
	g_autoptr(GVariant) changes = NULL;
	HpLspDoc *doc = hp_lsp_doc_of(server, params, &td);
	GVariantIter iter;
	GVariant *change;

	if (doc == NULL) {
		hp_lsp_log(server, 2, "hostdev-preflight: didChange for a document that is not open, ignoring");
		return;
	}
	changes = hp_lsp_json_array(params, "contentChanges");
	if (changes == NULL)
		return;
	g_variant_iter_init(&iter, changes);
	while ((change = g_variant_iter_next_value(&iter)) != NULL) {
		g_autoptr(GVariant) boxed = change;
		g_autoptr(GVariant) c = hp_lsp_json_unbox(boxed);
		g_autoptr(GError) error = NULL;
		HpLspPosition start, end;
		const gchar *text = hp_lsp_json_str(c, "text");
		gboolean ranged = hp_lsp_json_range(c, "range", &start, &end);

		if (text == NULL)
			continue;
		if (!hp_lsp_text_apply(doc->text, server->encoding, ranged ? &start : NULL, ranged ? &end : NULL, text,
				       strlen(text), &error))
			hp_lsp_log(server, 2, "hostdev-preflight: %s: %s, ignoring the change", doc->uri, error->message);
	}
	doc->version = hp_lsp_json_int(td, "version", doc->version + 1);
	hp_lsp_schedule(server, doc);
}

static void
hp_lsp_did_close(HpLspServer *server, GVariant *params)
{
	g_autoptr(GVariant) td = NULL;
	HpLspDoc *doc = hp_lsp_doc_of(server, params, &td);
	g_autofree gchar *uri = NULL;

	if (doc == NULL)
		return;
	uri = g_strdup(doc->uri);
	g_hash_table_remove(server->docs, uri);
	hp_lsp_publish(server, uri, NULL); /* the editor clears what we said */
}

static void
hp_lsp_hover_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	HpLspServer *server = user_data;
	GTask *task = G_TASK(res);
	GVariant *id = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *markdown = g_task_propagate_pointer(task, &error);
	GVariantDict d, contents;

	if (markdown == NULL) {
		if (error != NULL && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		hp_lsp_reply(server, id, NULL);
		return;
	}
	g_variant_dict_init(&contents, NULL);
	g_variant_dict_insert(&contents, "kind", "s", "markdown");
	g_variant_dict_insert(&contents, "value", "s", markdown);
	g_variant_dict_init(&d, NULL);
	g_variant_dict_insert_value(&d, "contents", g_variant_dict_end(&contents));
	hp_lsp_reply(server, id, g_variant_dict_end(&d));
}

static void
hp_lsp_hover(HpLspServer *server, GVariant *id, GVariant *params)
{
	HpLspDoc *doc = hp_lsp_doc_of(server, params, NULL);
	HpLspPosition pos;
	guint line, column;

	if (doc == NULL || doc->result == NULL || !hp_lsp_json_position(params, "position", &pos) ||
	    !hp_lsp_text_to_span_point(hp_lsp_result_get_text(doc->result), server->encoding, &pos, &line, &column)) {
		hp_lsp_reply(server, id, NULL);
		return;
	}
	hp_lsp_checker_hover_async(server->checker, doc->result, line, column, server->cancel, hp_lsp_hover_done,
				   server, g_variant_ref(id));
}

static void
hp_lsp_code_action_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	HpLspServer *server = user_data;
	GTask *task = G_TASK(res);
	GVariant *id = g_task_get_task_data(task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) actions = g_task_propagate_pointer(task, &error);

	if (actions == NULL) {
		if (error != NULL && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		hp_lsp_reply(server, id, g_variant_new_array(G_VARIANT_TYPE_VARIANT, NULL, 0));
		return;
	}
	hp_lsp_reply(server, id, actions);
}

/* textDocument/codeAction: a quick fix for each repairable finding the
 * client names in its context, or, when it names none, that starts in the
 * range. */
static void
hp_lsp_code_action_request(HpLspServer *server, GVariant *id, GVariant *params)
{
	HpLspDoc *doc = hp_lsp_doc_of(server, params, NULL);
	g_autoptr(GVariant) context = hp_lsp_json_dict(params, "context");
	g_autoptr(GVariant) given = hp_lsp_json_array(context, "diagnostics");
	g_autoptr(GPtrArray) targets = NULL;
	HpLspPosition start, end;
	guint l0, c0, l1, c1;

	if (doc == NULL || doc->result == NULL || !hp_lsp_json_range(params, "range", &start, &end)) {
		hp_lsp_reply(server, id, g_variant_new_array(G_VARIANT_TYPE_VARIANT, NULL, 0));
		return;
	}
	if (given != NULL && g_variant_n_children(given) > 0) {
		GVariantIter iter;
		GVariant *item;
		targets = g_ptr_array_new_with_free_func(hp_lsp_target_free);
		g_variant_iter_init(&iter, given);
		while ((item = g_variant_iter_next_value(&iter)) != NULL) {
			g_autoptr(GVariant) boxed = item;
			g_autoptr(GVariant) d = hp_lsp_json_unbox(boxed);
			const gchar *code = hp_lsp_json_str(d, "code");
			HpLspPosition ds, de;
			HpLspTarget *t;
			if (code == NULL || !hp_lsp_json_range(d, "range", &ds, &de) ||
			    !hp_lsp_text_to_span_point(hp_lsp_result_get_text(doc->result), server->encoding, &ds, &l0, &c0))
				continue;
			t = g_new0(HpLspTarget, 1);
			t->rule = g_strdup(code);
			t->line = l0;
			t->column = c0;
			g_ptr_array_add(targets, t);
		}
	} else {
		const HpLspText *text = hp_lsp_result_get_text(doc->result);
		if (!hp_lsp_text_to_span_point(text, server->encoding, &start, &l0, &c0) ||
		    !hp_lsp_text_to_span_point(text, server->encoding, &end, &l1, &c1)) {
			hp_lsp_reply(server, id, g_variant_new_array(G_VARIANT_TYPE_VARIANT, NULL, 0));
			return;
		}
		targets = hp_lsp_result_targets_in(doc->result, l0, l1);
	}
	hp_lsp_checker_code_actions_async(server->checker, doc->result, g_steal_pointer(&targets), server->encoding,
					  server->cancel, hp_lsp_code_action_done, server, g_variant_ref(id));
}

static void
hp_lsp_dispatch(HpLspServer *server, GVariant *message)
{
	const gchar *method = hp_lsp_json_str(message, "method");
	g_autoptr(GVariant) id = g_variant_lookup_value(message, "id", NULL);
	g_autoptr(GVariant) params = g_variant_lookup_value(message, "params", NULL);
	g_autoptr(GVariant) p = params != NULL ? hp_lsp_json_unbox(params) : NULL;

	if (method == NULL) {
		if (id == NULL)
			hp_lsp_reply_error(server, NULL, HP_LSP_INVALID_REQUEST, "a message without \"method\"");
		return; /* a response to a request of ours: we make none */
	}
	if (id == NULL) { /* a notification: never answered */
		if (g_strcmp0(method, "exit") == 0) {
			server->exit_code = server->shutdown ? 0 : 1;
			g_main_loop_quit(server->loop);
		} else if (!server->initialized || server->shutdown) {
			return;
		} else if (g_strcmp0(method, "textDocument/didOpen") == 0) {
			hp_lsp_did_open(server, p);
		} else if (g_strcmp0(method, "textDocument/didChange") == 0) {
			hp_lsp_did_change(server, p);
		} else if (g_strcmp0(method, "textDocument/didSave") == 0) {
			HpLspDoc *doc = hp_lsp_doc_of(server, p, NULL);
			if (doc != NULL) /* the host may have changed: check again */
				hp_lsp_schedule(server, doc);
		} else if (g_strcmp0(method, "textDocument/didClose") == 0) {
			hp_lsp_did_close(server, p);
		}
		return; /* initialized, $/cancelRequest, $/setTrace, ...: nothing to do */
	}
	if (g_strcmp0(method, "initialize") == 0) {
		hp_lsp_initialize(server, id, p);
	} else if (!server->initialized) {
		hp_lsp_reply_error(server, id, HP_LSP_SERVER_NOT_INITIALIZED, "%s before initialize", method);
	} else if (server->shutdown) {
		hp_lsp_reply_error(server, id, HP_LSP_INVALID_REQUEST, "%s after shutdown", method);
	} else if (g_strcmp0(method, "shutdown") == 0) {
		server->shutdown = TRUE;
		hp_lsp_reply(server, id, NULL);
	} else if (g_strcmp0(method, "textDocument/hover") == 0) {
		hp_lsp_hover(server, id, p);
	} else if (g_strcmp0(method, "textDocument/codeAction") == 0) {
		hp_lsp_code_action_request(server, id, p);
	} else {
		hp_lsp_reply_error(server, id, HP_LSP_METHOD_NOT_FOUND, "hostdev-preflight does not know %s", method);
	}
}

static void
hp_lsp_read_done(GObject *source, GAsyncResult *res, gpointer user_data)
{
	HpLspServer *server = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) message = NULL;

	if (!jsonrpc_input_stream_read_message_finish(server->in, res, &message, &error)) {
		if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
			return;
		if (error->domain == G_IO_ERROR && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA)) {
			/* the client closed its end */
			g_main_loop_quit(server->loop);
			return;
		}
		/* a frame that is not JSON (or a header that is not LSP's): say so,
		 * and read on; the frame's bytes are gone already */
		hp_lsp_reply_error(server, NULL, HP_LSP_PARSE_ERROR, "not a JSON-RPC message: %s", error->message);
	} else if (!g_variant_is_of_type(message, G_VARIANT_TYPE_VARDICT)) {
		hp_lsp_reply_error(server, NULL, HP_LSP_INVALID_REQUEST, "a JSON-RPC message must be an object");
	} else {
		hp_lsp_dispatch(server, message);
	}
	if (g_main_loop_is_running(server->loop))
		jsonrpc_input_stream_read_message_async(server->in, server->cancel, hp_lsp_read_done, server);
}

static gboolean
hp_lsp_start(gpointer user_data)
{
	HpLspServer *server = user_data;
	jsonrpc_input_stream_read_message_async(server->in, server->cancel, hp_lsp_read_done, server);
	return G_SOURCE_REMOVE;
}

/**
 * hp_lsp_server_run:
 *
 * Serves until the client sends `exit` or closes its end.
 *
 * Returns: the process's exit status: 0 after shutdown and exit, else 1.
 */
gint
hp_lsp_server_run(HpLspServer *server)
{
	g_idle_add(hp_lsp_start, server);
	g_main_loop_run(server->loop);
	g_cancellable_cancel(server->cancel);
	/* a check still running finishes on its thread and is dropped */
	while (server->checking && g_main_context_iteration(NULL, TRUE))
		;
	return server->exit_code;
}
