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
	HpHostData *data;          /* a reference */
	const HpHost *host;        /* the data's */
	GHashTable *devices;       /* address key -> HpDeviceEntry */
	HpHostLoaded *modalias;    /* the version this view uses, once asked for */
	HpHostLoaded *ids;
	GHashTable *links_by_group; /* group -> GArray of addresses, for trees without iommu_groups/ */
	GPtrArray *problems;       /* of HpHostProblem */
};

static void
hp_device_entry_free(gpointer data)
{
	HpDeviceEntry *entry = data;
	hp_pci_device_free(entry->dev);
	g_clear_error(&entry->error);
	g_free(entry);
}

static void
hp_host_problem_free(gpointer data)
{
	HpHostProblem *problem = data;
	g_free(problem->file);
	g_free(problem->message);
	g_free(problem);
}

/**
 * hp_host_view_new_for_data:
 * @data: the host's long-lived data (a reference is taken)
 *
 * Returns: (transfer full): a view for one check.
 */
HpHostView *
hp_host_view_new_for_data(HpHostData *data)
{
	HpHostView *view = g_new0(HpHostView, 1);
	view->data = hp_host_data_ref(data);
	view->host = hp_host_data_get_host(data);
	view->devices = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, hp_device_entry_free);
	view->problems = g_ptr_array_new_with_free_func(hp_host_problem_free);
	return view;
}

/**
 * hp_host_view_new:
 * @host: (transfer full): the host
 *
 * A view with data of its own: for a command that checks once.
 */
HpHostView *
hp_host_view_new(HpHost *host)
{
	g_autoptr(HpHostData) data = hp_host_data_new(host);
	return hp_host_view_new_for_data(data);
}

void
hp_host_view_free(HpHostView *view)
{
	if (view == NULL)
		return;
	g_hash_table_unref(view->devices);
	g_clear_pointer(&view->modalias, hp_host_loaded_unref);
	g_clear_pointer(&view->ids, hp_host_loaded_unref);
	if (view->links_by_group != NULL)
		g_hash_table_unref(view->links_by_group);
	g_ptr_array_unref(view->problems);
	hp_host_data_unref(view->data);
	g_free(view);
}

const HpHost *
hp_host_view_get_host(const HpHostView *view)
{
	return view->host;
}

HpHostData *
hp_host_view_get_data(const HpHostView *view)
{
	return view->data;
}

/* The host has a PCI sysfs at all. */
gboolean
hp_host_view_has_pci(const HpHostView *view)
{
	return hp_host_has_pci(view->host, NULL);
}

static void
hp_host_view_problem(HpHostView *view, const gchar *file, const gchar *fmt, ...) G_GNUC_PRINTF(3, 4);

static void
hp_host_view_problem(HpHostView *view, const gchar *file, const gchar *fmt, ...)
{
	HpHostProblem *problem = g_new0(HpHostProblem, 1);
	va_list args;
	va_start(args, fmt);
	problem->file = g_strdup(file);
	problem->message = g_strdup_vprintf(fmt, args);
	va_end(args);
	g_ptr_array_add(view->problems, problem);
}

/**
 * hp_host_view_steal_problems:
 *
 * The garbled host files met since the last call (names that no driver or
 * module can have), for the host rules to report.
 *
 * Returns: (transfer full) (element-type HpHostProblem): them, in order.
 */
GPtrArray *
hp_host_view_steal_problems(HpHostView *view)
{
	GPtrArray *ret = view->problems;
	view->problems = g_ptr_array_new_with_free_func(hp_host_problem_free);
	return ret;
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

/* modules.alias for the host's release: the version current when this view
 * first asked, kept for the rest of it. */
const HpModAlias *
hp_host_view_modalias(HpHostView *view, const GError **ret_error)
{
	if (view->modalias == NULL)
		view->modalias = hp_host_data_modalias(view->data);
	return hp_host_loaded_get(view->modalias, ret_error);
}

/* modules.alias if something has needed it so far, without reading it */
const HpModAlias *
hp_host_view_modalias_if_read(const HpHostView *view)
{
	return view->modalias != NULL ? hp_host_loaded_get(view->modalias, NULL) : NULL;
}

/* "0001:09:00.2 (Broadcom NetXtreme BCM5719 …, bound to tg3)" */
gchar *
hp_host_view_describe(HpHostView *view, const HpPciDevice *dev)
{
	g_autofree gchar *name = NULL;
	g_autofree gchar *driver = NULL;

	if (view->ids == NULL)
		view->ids = hp_host_data_pci_ids(view->data);
	if (dev->ids_known)
		name = hp_pci_ids_describe(hp_host_loaded_get(view->ids, NULL), dev->vendor, dev->device);
	if (dev->driver != NULL)
		driver = g_strdup_printf("bound to %s", dev->driver);
	else
		driver = g_strdup(dev->driver_unknown ? "on a driver that cannot be read" : "no driver");
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
 * missing (a partial snapshot), the devices whose iommu_group link names N.
 *
 * Returns: (transfer full) (element-type HpPciAddress): the members, sorted.
 */
GArray *
hp_host_view_group_members(HpHostView *view, gint group)
{
	g_autofree gchar *rel = g_strdup_printf("sys/kernel/iommu_groups/%d/devices", group);
	g_autoptr(GPtrArray) names = hp_host_list_dir(view->host, rel, NULL);
	GArray *members = g_array_new(FALSE, FALSE, sizeof(HpPciAddress));

	if (names != NULL) {
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
 * else the driver's own name with '-' as '_'. */
gchar *
hp_host_view_driver_module(HpHostView *view, const gchar *driver)
{
	g_autofree gchar *rel = g_strdup_printf("sys/bus/pci/drivers/%s/module", driver);
	gchar *module = hp_host_name_is_valid(driver) ? hp_host_link_name(view->host, rel, NULL) : NULL;
	if (module != NULL && !hp_host_name_is_valid(module)) {
		g_autofree gchar *shown = hp_echo(module);
		hp_host_view_problem(view, rel, "%s leads to '%s', which is not a kernel module name; the module is taken to be named as its driver",
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

	if (dev->driver == NULL)
		return HP_VFIO_NO;
	if (g_strcmp0(dev->driver, "vfio-pci") == 0)
		return HP_VFIO_EXACT;
	if (dev->has_vfio_dev)
		return HP_VFIO_VFIO_DEV;
	module = hp_host_view_driver_module(view, dev->driver);
	ma = hp_host_view_modalias(view, NULL);
	if (ma != NULL && hp_modalias_module_is_vfio(ma, module))
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
	return hp_host_name_is_valid(name) && hp_host_exists(view->host, rel);
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

	if (!hp_host_name_is_valid(name))
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
		if (g_str_has_prefix(entry, "pci:") && !hp_host_name_is_valid(entry + 4)) {
			g_autofree gchar *shown = hp_echo(entry);
			hp_host_view_problem(view, mod_rel, "%s holds '%s', which is not 'pci:' and a kernel driver name; it is not taken as the module's driver",
					     mod_rel, shown);
		} else if (g_str_has_prefix(entry, "pci:")) {
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
		if ((ma != NULL && hp_modalias_has_module(ma, under)) || hp_host_exists(view->host, loaded_rel) ||
		    g_strcmp0(under, "vfio_pci") == 0) {
			*ret_driver = g_strdup(g_strcmp0(under, "vfio_pci") == 0 ? "vfio-pci" : name);
			*ret_module = g_strdup(under);
			*ret_loaded = FALSE;
			return TRUE;
		}
	}
	return FALSE;
}
