/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-lsp-json.h"

#include "hp-error.h"

/* JSON null, as jsonrpc-glib writes it: a maybe with nothing in it. */
GVariant *
hp_lsp_json_null(void)
{
	return g_variant_new_maybe(G_VARIANT_TYPE_VARIANT, NULL);
}

/* (transfer full): @value without the variant boxes around it. */
GVariant *
hp_lsp_json_unbox(GVariant *value)
{
	GVariant *v = g_variant_ref(value);
	while (v != NULL && g_variant_is_of_type(v, G_VARIANT_TYPE_VARIANT)) {
		GVariant *inner = g_variant_get_variant(v);
		g_variant_unref(v);
		v = inner;
	}
	return v;
}

static GVariant *
hp_lsp_json_get(GVariant *dict, const gchar *key)
{
	GVariant *boxed, *v;
	if (dict == NULL || !g_variant_is_of_type(dict, G_VARIANT_TYPE_VARDICT))
		return NULL;
	boxed = g_variant_lookup_value(dict, key, NULL);
	if (boxed == NULL)
		return NULL;
	v = hp_lsp_json_unbox(boxed);
	g_variant_unref(boxed);
	return v;
}

/* (transfer full) (nullable): the object at @key. */
GVariant *
hp_lsp_json_dict(GVariant *dict, const gchar *key)
{
	GVariant *v = hp_lsp_json_get(dict, key);
	if (v != NULL && !g_variant_is_of_type(v, G_VARIANT_TYPE_VARDICT))
		g_clear_pointer(&v, g_variant_unref);
	return v;
}

/* (transfer full) (nullable): the array at @key, of boxed values. */
GVariant *
hp_lsp_json_array(GVariant *dict, const gchar *key)
{
	GVariant *v = hp_lsp_json_get(dict, key);
	if (v != NULL && !g_variant_is_of_type(v, G_VARIANT_TYPE("av")))
		g_clear_pointer(&v, g_variant_unref);
	return v;
}

/* (transfer none) (nullable): the string at @key, valid while @dict is. */
const gchar *
hp_lsp_json_str(GVariant *dict, const gchar *key)
{
	const gchar *s = NULL;
	if (dict == NULL || !g_variant_is_of_type(dict, G_VARIANT_TYPE_VARDICT))
		return NULL;
	if (!g_variant_lookup(dict, key, "&s", &s))
		return NULL;
	return s;
}

gint64
hp_lsp_json_int(GVariant *dict, const gchar *key, gint64 fallback)
{
	g_autoptr(GVariant) v = hp_lsp_json_get(dict, key);
	gdouble d;

	if (v == NULL)
		return fallback;
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT64))
		return g_variant_get_int64(v);
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_INT32))
		return g_variant_get_int32(v);
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
		return g_variant_get_uint32(v);
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_DOUBLE)) {
		d = g_variant_get_double(v);
		if (d >= 0 && d <= (gdouble)G_MAXINT32)
			return (gint64)d;
	}
	return fallback;
}

/* (transfer full) (nullable): the strings of the array at @key. */
gchar **
hp_lsp_json_strv(GVariant *dict, const gchar *key)
{
	g_autoptr(GVariant) arr = hp_lsp_json_array(dict, key);
	g_autoptr(GStrvBuilder) b = NULL;
	GVariantIter iter;
	GVariant *item;

	if (arr == NULL)
		return NULL;
	b = g_strv_builder_new();
	g_variant_iter_init(&iter, arr);
	while ((item = g_variant_iter_next_value(&iter)) != NULL) {
		g_autoptr(GVariant) boxed = item;
		g_autoptr(GVariant) v = hp_lsp_json_unbox(boxed);
		if (g_variant_is_of_type(v, G_VARIANT_TYPE_STRING))
			g_strv_builder_add(b, g_variant_get_string(v, NULL));
	}
	return g_strv_builder_end(b);
}

static gboolean
hp_lsp_json_uint(GVariant *dict, const gchar *key, guint *ret)
{
	gint64 v = hp_lsp_json_int(dict, key, -1);
	if (v < 0 || v > G_MAXINT32)
		return FALSE;
	*ret = (guint)v;
	return TRUE;
}

gboolean
hp_lsp_json_position(GVariant *dict, const gchar *key, HpLspPosition *ret_pos)
{
	g_autoptr(GVariant) p = hp_lsp_json_dict(dict, key);
	HpLspPosition pos;
	if (p == NULL || !hp_lsp_json_uint(p, "line", &pos.line) || !hp_lsp_json_uint(p, "character", &pos.character))
		return FALSE;
	*ret_pos = pos;
	return TRUE;
}

gboolean
hp_lsp_json_range(GVariant *dict, const gchar *key, HpLspPosition *ret_start, HpLspPosition *ret_end)
{
	g_autoptr(GVariant) r = hp_lsp_json_dict(dict, key);
	HpLspPosition start, end;
	if (r == NULL || !hp_lsp_json_position(r, "start", &start) || !hp_lsp_json_position(r, "end", &end))
		return FALSE;
	*ret_start = start;
	*ret_end = end;
	return TRUE;
}

static GVariant *
hp_lsp_json_new_position(const HpLspPosition *pos)
{
	GVariantDict d;
	g_variant_dict_init(&d, NULL);
	g_variant_dict_insert(&d, "line", "x", (gint64)pos->line);
	g_variant_dict_insert(&d, "character", "x", (gint64)pos->character);
	return g_variant_dict_end(&d);
}

GVariant *
hp_lsp_json_new_range(const HpLspPosition *start, const HpLspPosition *end)
{
	GVariantDict d;
	g_variant_dict_init(&d, NULL);
	g_variant_dict_insert_value(&d, "start", hp_lsp_json_new_position(start));
	g_variant_dict_insert_value(&d, "end", hp_lsp_json_new_position(end));
	return g_variant_dict_end(&d);
}

/*
 * The client's initializationOptions (all optional):
 *   "host": "live" | "none" | a directory (a host's tree) or a snapshot file (capture)
 *   "kernelRelease": "6.12.0-..."
 *   "libvirtSchemas": a directory with domain.rng, or false for none
 */
gboolean
hp_lsp_json_apply_options(GVariant *options, HpLspConfig *config, GError **error)
{
	g_autoptr(GVariant) schemas = NULL;
	const gchar *host, *release;

	if (options == NULL)
		return TRUE;
	host = hp_lsp_json_str(options, "host");
	if (g_strcmp0(host, "none") == 0) {
		config->no_host = TRUE;
		g_clear_pointer(&config->root, g_free);
	} else if (g_strcmp0(host, "live") == 0) {
		config->no_host = FALSE;
		g_clear_pointer(&config->root, g_free);
	} else if (host != NULL) {
		if (!g_path_is_absolute(host)) {
			g_set_error(error, HP_ERROR, HP_ERROR_INVALID_DATA,
				    "initializationOptions.host '%s' is not \"live\", \"none\" or an absolute path", host);
			return FALSE;
		}
		config->no_host = FALSE;
		g_free(config->root);
		config->root = g_strdup(host);
	}
	release = hp_lsp_json_str(options, "kernelRelease");
	if (release != NULL) {
		g_free(config->kernel_release);
		config->kernel_release = g_strdup(release);
	}
	schemas = hp_lsp_json_get(options, "libvirtSchemas");
	if (schemas != NULL && g_variant_is_of_type(schemas, G_VARIANT_TYPE_BOOLEAN) &&
	    !g_variant_get_boolean(schemas)) {
		g_clear_pointer(&config->libvirt_schemas, g_free);
	} else if (schemas != NULL && g_variant_is_of_type(schemas, G_VARIANT_TYPE_STRING)) {
		g_free(config->libvirt_schemas);
		config->libvirt_schemas = g_strdup(g_variant_get_string(schemas, NULL));
	}
	return TRUE;
}
