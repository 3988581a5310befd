/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-pci-ids.h"

#include <string.h>

#include "hp-error.h"

struct _HpPciIds {
	GHashTable *vendors; /* vendor id -> name */
	GHashTable *devices; /* vendor << 16 | device -> name */
};

static gboolean
hp_pci_ids_hex4(const gchar *p, gsize n, guint *ret)
{
	guint v = 0;
	if (n < 4)
		return FALSE;
	for (guint i = 0; i < 4; i++) {
		gint d = g_ascii_xdigit_value(p[i]);
		if (d < 0)
			return FALSE;
		v = v * 16 + (guint)d;
	}
	*ret = v;
	return TRUE;
}

/**
 * hp_pci_ids_new_from_data:
 * @data: the text of a pci.ids file
 *
 * Keeps vendors (`vvvv  name`) and their devices (`\tdddd  name`); the
 * subsystems and the class list after them are not needed.
 */
HpPciIds *
hp_pci_ids_new_from_data(const gchar *data, gsize len)
{
	HpPciIds *ids = g_new0(HpPciIds, 1);
	const gchar *p = data, *end = data + len;
	gint vendor = -1;

	ids->vendors = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	ids->devices = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	while (p < end) {
		const gchar *nl = memchr(p, '\n', (gsize)(end - p));
		gsize n = nl != NULL ? (gsize)(nl - p) : (gsize)(end - p);
		guint id;
		if (n >= 7 && p[0] == 'C' && p[1] == ' ')
			break; /* the device classes follow: no more vendors */
		if (n > 6 && hp_pci_ids_hex4(p, n, &id) && p[4] == ' ' && p[5] == ' ') {
			vendor = (gint)id;
			g_hash_table_insert(ids->vendors, GUINT_TO_POINTER(id), g_strndup(p + 6, n - 6));
		} else if (vendor >= 0 && n > 7 && p[0] == '\t' && p[1] != '\t' && hp_pci_ids_hex4(p + 1, n - 1, &id) &&
			   p[5] == ' ' && p[6] == ' ') {
			g_hash_table_insert(ids->devices, GUINT_TO_POINTER(((guint)vendor << 16) | id),
					    g_strndup(p + 7, n - 7));
		}
		p += n + 1;
	}
	return ids;
}

HpPciIds *
hp_pci_ids_load(const gchar *path, GError **error)
{
	g_autofree gchar *data = NULL;
	gsize len = 0;
	if (!g_file_get_contents(path, &data, &len, error)) {
		hp_error_convert(error);
		return NULL;
	}
	return hp_pci_ids_new_from_data(data, len);
}

void
hp_pci_ids_free(HpPciIds *ids)
{
	if (ids == NULL)
		return;
	g_hash_table_unref(ids->vendors);
	g_hash_table_unref(ids->devices);
	g_free(ids);
}

/* "Intel Corporation" -> "Intel"; "Red Hat, Inc." -> "Red Hat";
 * "Advanced Micro Devices, Inc. [AMD/ATI]" -> "AMD/ATI" */
static gchar *
hp_pci_ids_short_vendor(const gchar *name)
{
	static const gchar *suffixes[] = {" Inc", " Corporation", " Corp", " Co.", " Ltd", " Limited", " GmbH", NULL};
	const gchar *open = strrchr(name, '[');
	const gchar *close = open != NULL ? strchr(open, ']') : NULL;
	gchar *ret, *cut;
	if (open != NULL && close != NULL && close > open + 1)
		return g_strndup(open + 1, (gsize)(close - open - 1));
	ret = g_strdup(name);
	if ((cut = strchr(ret, ',')) != NULL)
		*cut = '\0';
	for (guint i = 0; suffixes[i] != NULL; i++) {
		if ((cut = strstr(ret, suffixes[i])) != NULL && cut != ret)
			*cut = '\0';
	}
	return g_strstrip(ret);
}

/**
 * hp_pci_ids_describe:
 * @ids: (nullable): the database, or %NULL when there is none
 *
 * Returns: (transfer full): "Broadcom NetXtreme BCM5719 Gigabit Ethernet PCIe",
 * or "[14e4:1657]" when the database does not know the device.
 */
gchar *
hp_pci_ids_describe(const HpPciIds *ids, guint vendor, guint device)
{
	const gchar *vname = ids != NULL ? g_hash_table_lookup(ids->vendors, GUINT_TO_POINTER(vendor)) : NULL;
	const gchar *dname = ids != NULL ? g_hash_table_lookup(ids->devices, GUINT_TO_POINTER((vendor << 16) | device)) : NULL;
	g_autofree gchar *vshort = NULL;
	if (dname == NULL)
		return g_strdup_printf("[%04x:%04x]", vendor, device);
	vshort = hp_pci_ids_short_vendor(vname != NULL ? vname : "");
	return vshort[0] != '\0' ? g_strdup_printf("%s %s", vshort, dname) : g_strdup(dname);
}
