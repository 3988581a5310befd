/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-host-view.h"

#include <string.h>

#include "hp-diag.h"
#include "hp-error.h"

typedef struct {
	HpPciDevice *dev; /* NULL: not there, see error */
	GError *error;
} HpDeviceEntry;

struct _HpHostView {
	HpHost *host;              /* owned */
	GHashTable *devices;       /* address key -> HpDeviceEntry */
	gboolean modalias_tried;
	HpModAlias *modalias;
	GError *modalias_error;
	gboolean ids_tried;
	HpPciIds *ids;
	GHashTable *links_by_group; /* group -> GArray of addresses, for trees without iommu_groups/ */
	GPtrArray *notes;           /* host files found garbled since the last hp_host_view_take_notes() */
	GHashTable *noted;          /* the same, to say each once */
};

static void
hp_device_entry_free(gpointer data)
{
	HpDeviceEntry *entry = data;
	hp_pci_device_free(entry->dev);
	g_clear_error(&entry->error);
	g_free(entry);
}

/* Takes @host. */
HpHostView *
hp_host_view_new(HpHost *host)
{
	HpHostView *view = g_new0(HpHostView, 1);
	view->host = host;
	view->devices = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, hp_device_entry_free);
	view->notes = g_ptr_array_new_with_free_func(g_free);
	view->noted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return view;
}

void
hp_host_view_free(HpHostView *view)
{
	if (view == NULL)
		return;
	hp_host_free(view->host);
	g_hash_table_unref(view->devices);
	hp_modalias_free(view->modalias);
	g_clear_error(&view->modalias_error);
	hp_pci_ids_free(view->ids);
	if (view->links_by_group != NULL)
		g_hash_table_unref(view->links_by_group);
	g_ptr_array_unref(view->notes);
	g_hash_table_unref(view->noted);
	g_free(view);
}

const HpHost *
hp_host_view_get_host(const HpHostView *view)
{
	return view->host;
}

/*
 * A host file that is garbled in a way no device's problems list holds (a
 * name in it that no kernel name can be): said once per take, so each
 * check that meets it reports it (host-file-malformed).
 */
static void G_GNUC_PRINTF(2, 3)
hp_host_view_note(HpHostView *view, const gchar *fmt, ...)
{
	va_list args;
	gchar *note;
	va_start(args, fmt);
	note = g_strdup_vprintf(fmt, args);
	va_end(args);
	if (!g_hash_table_add(view->noted, note))
		return;
	g_ptr_array_add(view->notes, g_strdup(note));
}

/**
 * hp_host_view_take_notes:
 *
 * Returns: (transfer full) (element-type utf8): the host files found
 * garbled since the last call (each a sentence naming the file, relative
 * to the root), in the order they were met; the view forgets them.
 */
GPtrArray *
hp_host_view_take_notes(HpHostView *view)
{
	GPtrArray *notes = g_steal_pointer(&view->notes);
	view->notes = g_ptr_array_new_with_free_func(g_free);
	g_hash_table_remove_all(view->noted);
	return notes;
}

/* The host has a PCI sysfs at all. */
gboolean
hp_host_view_has_pci(const HpHostView *view)
{
	return hp_host_exists(view->host, "sys/bus/pci/devices");
}

/**
 * hp_host_view_device:
 * @ret_error: (out) (optional): why the device is not there
 *
 * Returns: (transfer none) (nullable): the device, read once per view.
 */
const HpPciDevice *
hp_host_view_device(HpHostView *view, const HpPciAddress *addr, const GError **ret_error)
{
	gint64 key = (gint64)hp_pci_address_key(addr);
	HpDeviceEntry *entry = g_hash_table_lookup(view->devices, &key);
	if (entry == NULL) {
		entry = g_new0(HpDeviceEntry, 1);
		entry->dev = hp_pci_device_read(view->host, addr, &entry->error);
		g_hash_table_insert(view->devices, g_memdup2(&key, sizeof(key)), entry);
	}
	if (ret_error != NULL)
		*ret_error = entry->error;
	return entry->dev;
}

/* modules.alias for the host's release, read at most once per view. */
const HpModAlias *
hp_host_view_modalias(HpHostView *view, const GError **ret_error)
{
	if (!view->modalias_tried) {
		view->modalias_tried = TRUE;
		view->modalias = hp_modalias_load(view->host, &view->modalias_error);
	}
	if (ret_error != NULL)
		*ret_error = view->modalias_error;
	return view->modalias;
}

/* modules.alias if something has needed it so far, without reading it */
const HpModAlias *
hp_host_view_modalias_if_read(const HpHostView *view)
{
	return view->modalias;
}

/* "0001:09:00.2 (Broadcom NetXtreme BCM5719 …, bound to tg3)" */
gchar *
hp_host_view_describe(HpHostView *view, const HpPciDevice *dev)
{
	g_autofree gchar *name = NULL;
	g_autofree gchar *driver = NULL;

	if (!view->ids_tried) {
		view->ids_tried = TRUE;
		if (hp_host_get_pci_ids(view->host) != NULL)
			view->ids = hp_pci_ids_load(hp_host_get_pci_ids(view->host), NULL);
	}
	if (dev->ids_known)
		name = hp_pci_ids_describe(view->ids, dev->vendor, dev->device);
	driver = dev->driver != NULL ? g_strdup_printf("bound to %s", dev->driver)
		 : dev->driver_unknown ? g_strdup("bound to a driver that cannot be read")
				       : g_strdup("no driver");
	if (name != NULL)
		return g_strdup_printf("%s (%s, %s)", dev->bdf, name, driver);
	return g_strdup_printf("%s (%s)", dev->bdf, driver);
}

static void
hp_host_view_index_links(HpHostView *view)
{
	g_autoptr(GPtrArray) names = NULL;

	view->links_by_group = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)g_array_unref);
	names = hp_host_list_dir(view->host, "sys/bus/pci/devices", NULL);
	for (guint i = 0; names != NULL && i < names->len; i++) {
		HpPciAddress addr;
		g_autofree gchar *rel = NULL;
		g_autofree gchar *group = NULL;
		guint64 n = 0;
		GArray *members;

		if (!hp_pci_address_parse_bdf(g_ptr_array_index(names, i), &addr))
			continue;
		rel = hp_pci_device_rel(&addr, "iommu_group");
		group = hp_host_link_name(view->host, rel, NULL);
		if (group == NULL || !g_ascii_string_to_unsigned(group, 10, 0, G_MAXINT, &n, NULL))
			continue;
		members = g_hash_table_lookup(view->links_by_group, GINT_TO_POINTER((gint)n));
		if (members == NULL) {
			members = g_array_new(FALSE, FALSE, sizeof(HpPciAddress));
			g_hash_table_insert(view->links_by_group, GINT_TO_POINTER((gint)n), members);
		}
		g_array_append_val(members, addr);
	}
}

/**
 * hp_host_view_group_members:
 * @group: an IOMMU group number
 *
 * The group's devices from sys/kernel/iommu_groups/N/devices; where that is
 * missing, empty or unlistable (a partial snapshot), the devices whose
 * iommu_group link names N.
 *
 * Returns: (transfer full) (element-type HpPciAddress): the members, sorted.
 */
GArray *
hp_host_view_group_members(HpHostView *view, gint group)
{
	g_autofree gchar *rel = g_strdup_printf("sys/kernel/iommu_groups/%d/devices", group);
	g_autoptr(GPtrArray) names = hp_host_list_dir(view->host, rel, NULL);
	GArray *members = g_array_new(FALSE, FALSE, sizeof(HpPciAddress));

	/* a group has at least the device that names it: an empty listing is
	 * one a capture could not make (an unlistable directory, recorded with
	 * no entries), and is read as the tree's unreadable one is */
	if (names != NULL && names->len > 0) {
		for (guint i = 0; i < names->len; i++) {
			HpPciAddress addr;
			if (hp_pci_address_parse_bdf(g_ptr_array_index(names, i), &addr))
				g_array_append_val(members, addr);
		}
		return members;
	}
	if (view->links_by_group == NULL)
		hp_host_view_index_links(view);
	{
		GArray *found = g_hash_table_lookup(view->links_by_group, GINT_TO_POINTER(group));
		if (found != NULL)
			g_array_append_vals(members, found->data, found->len);
	}
	return members;
}

/* The module behind a driver: its sys/bus/pci/drivers/NAME/module link, or
 * else the driver's own name with '-' as '_'; NULL for a name that is no
 * kernel name. */
gchar *
hp_host_view_driver_module(HpHostView *view, const gchar *driver)
{
	g_autofree gchar *rel = g_strdup_printf("sys/bus/pci/drivers/%s/module", driver);
	gchar *module = NULL;

	if (!hp_host_name_is_kernel_name(driver))
		return NULL;
	module = hp_host_link_name(view->host, rel, NULL);
	if (module != NULL && !hp_host_name_is_kernel_name(module)) {
		g_autofree gchar *shown = hp_echo(module);
		hp_host_view_note(view, "%s leads to '%s', which is not a kernel module name; the module is taken to be named as the driver",
				  rel, shown);
		g_clear_pointer(&module, g_free);
	}
	return module != NULL ? module : hp_modalias_module_name(driver);
}

/**
 * hp_host_view_classify:
 *
 * Is the device's driver a VFIO driver? Strongest evidence first: vfio-pci
 * itself; a vfio-dev/ directory; the driver's module has vfio_pci: aliases;
 * only then a name that contains "vfio".
 */
HpVfioClass
hp_host_view_classify(HpHostView *view, const HpPciDevice *dev)
{
	const HpModAlias *ma;
	g_autofree gchar *module = NULL;

	if (dev->driver == NULL || dev->driver_unknown)
		return HP_VFIO_NO; /* none, or one we cannot name: not taken as VFIO */
	if (g_strcmp0(dev->driver, "vfio-pci") == 0)
		return HP_VFIO_EXACT;
	if (dev->has_vfio_dev)
		return HP_VFIO_VFIO_DEV;
	module = hp_host_view_driver_module(view, dev->driver);
	ma = hp_host_view_modalias(view, NULL);
	if (ma != NULL && module != NULL && hp_modalias_module_is_vfio(ma, module))
		return HP_VFIO_ALIASES;
	if (strstr(dev->driver, "vfio") != NULL)
		return HP_VFIO_BY_NAME;
	return HP_VFIO_NO;
}

/* A driver the host has registered, or a module it has, by this name
 * (dashes and underscores alike). */
gboolean
hp_host_view_has_driver_or_module(HpHostView *view, const gchar *name)
{
	g_autofree gchar *driver = NULL;
	g_autofree gchar *module = NULL;
	gboolean loaded = FALSE;
	return hp_host_view_resolve_driver(view, name, &driver, &module, &loaded);
}

static gboolean
hp_host_view_driver_exists(HpHostView *view, const gchar *name)
{
	g_autofree gchar *rel = g_strdup_printf("sys/bus/pci/drivers/%s", name);
	return hp_host_name_is_kernel_name(name) && hp_host_stat(view->host, rel, NULL) == HP_HOST_KIND_DIR;
}

/**
 * hp_host_view_resolve_driver:
 * @name: a driver or module name, as modules.alias or the user wrote it
 * @ret_driver: (out): the PCI driver name to write to driver_override
 * @ret_module: (out): the module (underscored) that provides it
 * @ret_loaded: (out): the driver is registered now; when %FALSE the module
 *   needs a modprobe, and @ret_driver is a best guess to confirm after it
 *
 * Module names are not driver names (vfio_pci registers vfio-pci). As SPEC
 * section 5 says: sys/bus/pci/drivers/NAME exists: NAME; with '-' as '_' it
 * exists: that; else a loaded module's drivers/pci:DRV entry names it.
 * A module that is not loaded is known when modules.alias gives it
 * `vfio_pci:` aliases (the only lines read, and captured: a driver model
 * names a VFIO variant driver). Only kernel names (hp_host_name_is_kernel_name())
 * are ever looked up or returned; a `pci:DRV` entry with another name is
 * noted as a garbled host file and skipped.
 *
 * Returns: %FALSE when the name is no driver and no module this host has
 * (then nothing is set).
 */
gboolean
hp_host_view_resolve_driver(HpHostView *view, const gchar *name, gchar **ret_driver, gchar **ret_module,
			    gboolean *ret_loaded)
{
	g_autofree gchar *under = hp_modalias_module_name(name);
	g_autofree gchar *dash = g_strdup(name);
	g_autofree gchar *mod_rel = NULL;
	g_autoptr(GPtrArray) entries = NULL;
	const HpModAlias *ma;

	if (!hp_host_name_is_kernel_name(name))
		return FALSE;
	g_strdelimit(dash, "_", '-');
	if (hp_host_view_driver_exists(view, name) || hp_host_view_driver_exists(view, under) ||
	    hp_host_view_driver_exists(view, dash)) {
		const gchar *drv = hp_host_view_driver_exists(view, name)    ? name
				   : hp_host_view_driver_exists(view, under) ? under
									     : dash;
		*ret_driver = g_strdup(drv);
		*ret_module = hp_host_view_driver_module(view, drv);
		*ret_loaded = TRUE;
		return TRUE;
	}
	mod_rel = g_strdup_printf("sys/module/%s/drivers", under);
	entries = hp_host_list_dir(view->host, mod_rel, NULL);
	for (guint i = 0; entries != NULL && i < entries->len; i++) {
		const gchar *entry = g_ptr_array_index(entries, i);
		if (g_str_has_prefix(entry, "pci:") && !hp_host_name_is_kernel_name(entry + 4)) {
			g_autofree gchar *shown = hp_echo(entry);
			hp_host_view_note(view, "%s/%s is not pci:DRIVER with a kernel driver name; it is not used", mod_rel, shown);
			continue;
		}
		if (g_str_has_prefix(entry, "pci:")) {
			*ret_driver = g_strdup(entry + 4);
			*ret_module = g_strdup(under);
			*ret_loaded = TRUE;
			return TRUE;
		}
	}
	/* a module that can be loaded: the dashed driver name is the usual
	 * one (vfio_pci -> vfio-pci), to be confirmed once it is loaded */
	ma = hp_host_view_modalias(view, NULL);
	{
		g_autofree gchar *loaded_rel = g_strdup_printf("sys/module/%s", under);
		if ((ma != NULL && hp_modalias_module_is_vfio(ma, under)) || hp_host_exists(view->host, loaded_rel) ||
		    g_strcmp0(under, "vfio_pci") == 0) {
			*ret_driver = g_strdup(g_strcmp0(under, "vfio_pci") == 0 ? "vfio-pci" : name);
			*ret_module = g_strdup(under);
			*ret_loaded = FALSE;
			return TRUE;
		}
	}
	return FALSE;
}
