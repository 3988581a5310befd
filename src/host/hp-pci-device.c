/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-pci-device.h"

#include <string.h>

#include "hp-diag.h"
#include "hp-error.h"
#include "hp-pci-address.h"

/* sys/bus/pci/devices/BDF[/attr], inside the host root */
gchar *
hp_pci_device_rel(const HpPciAddress *addr, const gchar *attr)
{
	gchar bdf[HP_PCI_ADDRESS_STRLEN];
	hp_pci_address_to_string(addr, bdf);
	if (attr == NULL)
		return g_strdup_printf("sys/bus/pci/devices/%s", bdf);
	return g_strdup_printf("sys/bus/pci/devices/%s/%s", bdf, attr);
}

static void
hp_pci_device_problem(HpPciDevice *dev, const gchar *attr, gboolean malformed, const gchar *fmt, ...)
	G_GNUC_PRINTF(4, 5);

/* Records what is wrong with @attr; @malformed when it is the file's own
 * fault (garbled, not a regular file, too large), a host-file-malformed. */
static void
hp_pci_device_problem(HpPciDevice *dev, const gchar *attr, gboolean malformed, const gchar *fmt, ...)
{
	va_list args;
	gchar *msg;
	va_start(args, fmt);
	msg = g_strdup_vprintf(fmt, args);
	va_end(args);
	if (malformed)
		g_hash_table_replace(dev->malformed, g_strdup(attr), g_strdup(msg));
	g_hash_table_replace(dev->problems, g_strdup(attr), msg);
}

/* A read that failed: garbled or refused files are malformed; a link out of
 * the root, a loop or a permission only a problem. */
static void
hp_pci_device_read_failed(HpPciDevice *dev, const gchar *attr, const GError *error)
{
	hp_pci_device_problem(dev, attr, g_error_matches(error, HP_ERROR, HP_ERROR_INVALID_DATA), "%s", error->message);
}

/* A sysfs hex attribute such as `0x14e4`; FALSE (and a problem, unless it
 * is only missing and @required is FALSE) when it cannot be had. */
static gboolean
hp_pci_device_read_hex(const HpHost *host, HpPciDevice *dev, const gchar *attr, gboolean required, guint64 max,
		       guint64 *ret)
{
	g_autofree gchar *rel = hp_pci_device_rel(&dev->addr, attr);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *line = hp_host_read_line(host, rel, &error);
	guint64 v = 0;
	const gchar *p;

	if (line == NULL) {
		if (!g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND))
			hp_pci_device_read_failed(dev, attr, error);
		else if (required)
			hp_pci_device_problem(dev, attr, FALSE, "%s is missing", attr);
		return FALSE;
	}
	p = line;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	if (*p == '\0' || strlen(p) > 16 || !g_ascii_string_to_unsigned(p, 16, 0, max, &v, NULL)) {
		g_autofree gchar *shown = hp_echo(line);
		hp_pci_device_problem(dev, attr, TRUE, "%s holds '%s', not a hex number", rel, shown);
		return FALSE;
	}
	*ret = v;
	return TRUE;
}

/*
 * The name a link leads to (driver, iommu group, physfn): NULL with
 * *ret_unknown FALSE when there is no such link; NULL with *ret_unknown TRUE
 * when there is one that cannot be read.
 */
static gchar *
hp_pci_device_link(const HpHost *host, HpPciDevice *dev, const gchar *attr, gboolean *ret_unknown)
{
	g_autofree gchar *rel = hp_pci_device_rel(&dev->addr, attr);
	g_autoptr(GError) error = NULL;
	gchar *name = hp_host_link_name(host, rel, &error);

	*ret_unknown = FALSE;
	if (name == NULL && !g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND)) {
		hp_pci_device_read_failed(dev, attr, error);
		*ret_unknown = TRUE;
	}
	return name;
}

static void
hp_pci_device_read_links(const HpHost *host, HpPciDevice *dev)
{
	g_autofree gchar *driver = NULL;
	g_autofree gchar *group = NULL;
	g_autofree gchar *physfn = NULL;

	driver = hp_pci_device_link(host, dev, "driver", &dev->driver_unknown);
	if (driver != NULL && hp_host_name_is_valid(driver)) {
		dev->driver = g_steal_pointer(&driver);
	} else if (driver != NULL) {
		g_autofree gchar *shown = hp_echo(driver);
		dev->driver_unknown = TRUE;
		hp_pci_device_problem(dev, "driver", TRUE,
				      "sys/bus/pci/devices/%s/driver leads to '%s', which is not a kernel driver name", dev->bdf,
				      shown);
	}
	group = hp_pci_device_link(host, dev, "iommu_group", &dev->iommu_group_unknown);
	if (group != NULL) {
		guint64 n = 0;
		if (g_ascii_string_to_unsigned(group, 10, 0, G_MAXINT, &n, NULL)) {
			dev->iommu_group = (gint)n;
		} else {
			g_autofree gchar *shown = hp_echo(group);
			dev->iommu_group_unknown = TRUE;
			hp_pci_device_problem(dev, "iommu_group", TRUE,
					      "sys/bus/pci/devices/%s/iommu_group leads to '%s', not a group number", dev->bdf,
					      shown);
		}
	}
	physfn = hp_pci_device_link(host, dev, "physfn", &dev->physfn_unknown);
	dev->is_vf = physfn != NULL;
}

/**
 * hp_pci_device_read:
 * @host: the host context
 * @addr: the function
 *
 * Reads what there is; files that are missing or garbled leave their fields
 * unknown and are listed in `problems` (and `malformed`).
 *
 * Returns: (transfer full) (nullable): the device, or %NULL with
 * HP_ERROR_NOT_FOUND when the host has no such device (or another error
 * when its directory cannot be reached inside the root).
 */
HpPciDevice *
hp_pci_device_read(const HpHost *host, const HpPciAddress *addr, GError **error)
{
	g_autoptr(HpPciDevice) dev = g_new0(HpPciDevice, 1);
	g_autofree gchar *dir_rel = hp_pci_device_rel(addr, NULL);
	g_autoptr(GPtrArray) names = NULL;
	g_autoptr(GError) list_error = NULL;
	g_autofree gchar *config = NULL;
	g_autofree gchar *config_rel = NULL;
	g_autoptr(GError) config_error = NULL;
	gsize config_len = 0;
	guint64 v = 0, d = 0, sv = 0, sd = 0, cls = 0;

	/* the directory, listed once: it says the device is there (and is a
	 * directory), and holds its virtfnN links */
	names = hp_host_list_dir(host, dir_rel, &list_error);
	if (names == NULL) {
		gchar bdf[HP_PCI_ADDRESS_STRLEN];
		if (g_error_matches(list_error, HP_ERROR, HP_ERROR_NOT_FOUND))
			g_set_error(error, HP_ERROR, HP_ERROR_NOT_FOUND, "no PCI device %s",
				    hp_pci_address_to_string(addr, bdf));
		else
			g_propagate_error(error, g_steal_pointer(&list_error));
		return NULL;
	}
	dev->addr = *addr;
	hp_pci_address_to_string(addr, dev->bdf);
	dev->problems = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	dev->malformed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	dev->header_type = -1;
	dev->iommu_group = -1;

	dev->ids_known = hp_pci_device_read_hex(host, dev, "vendor", TRUE, 0xffff, &v) &&
			 hp_pci_device_read_hex(host, dev, "device", TRUE, 0xffff, &d);
	dev->vendor = (guint)v;
	dev->device = (guint)d;
	if (hp_pci_device_read_hex(host, dev, "subsystem_vendor", FALSE, 0xffff, &sv) &&
	    hp_pci_device_read_hex(host, dev, "subsystem_device", FALSE, 0xffff, &sd)) {
		dev->subsystem_vendor = (guint)sv;
		dev->subsystem_device = (guint)sd;
	}
	dev->class_known = hp_pci_device_read_hex(host, dev, "class", FALSE, 0xffffff, &cls);
	dev->class_code = (guint32)cls;
	{
		g_autofree gchar *rel = hp_pci_device_rel(addr, "modalias");
		g_autoptr(GError) e = NULL;
		g_autofree gchar *line = hp_host_read_line(host, rel, &e);
		if (line != NULL && g_str_has_prefix(line, "pci:") && g_utf8_validate(line, -1, NULL) && strlen(line) < 128) {
			dev->modalias = g_steal_pointer(&line);
		} else if (line != NULL) {
			g_autofree gchar *shown = hp_echo(line);
			hp_pci_device_problem(dev, "modalias", TRUE, "%s holds '%s', not a PCI modalias", rel, shown);
		} else if (!g_error_matches(e, HP_ERROR, HP_ERROR_NOT_FOUND)) {
			hp_pci_device_read_failed(dev, "modalias", e);
		}
	}

	/* the header's byte 0x0e, and the capabilities in the standard space
	 * (what an unprivileged reader gets is the first 64 bytes) */
	config_rel = hp_pci_device_rel(addr, "config");
	if (hp_host_read(host, config_rel, HP_PCI_CONFIG_HEAD, &config, &config_len, &config_error)) {
		if (config_len > 0x0e) {
			dev->header_type = (guint8)config[0x0e];
			dev->config_len = config_len;
			dev->config = (guint8 *)g_steal_pointer(&config);
		} else
			hp_pci_device_problem(dev, "config", TRUE,
					      "%s is %" G_GSIZE_FORMAT " bytes, too short for its header", config_rel,
					      config_len);
	} else if (!g_error_matches(config_error, HP_ERROR, HP_ERROR_NOT_FOUND)) {
		hp_pci_device_read_failed(dev, "config", config_error);
	}

	hp_pci_device_read_links(host, dev);
	{
		g_autofree gchar *rel = hp_pci_device_rel(addr, "vfio-dev");
		dev->has_vfio_dev = hp_host_exists(host, rel);
	}
	for (guint i = 0; i < names->len; i++) {
		if (g_str_has_prefix(g_ptr_array_index(names, i), "virtfn"))
			dev->num_vfs++;
	}
	return g_steal_pointer(&dev);
}

void
hp_pci_device_free(HpPciDevice *dev)
{
	if (dev == NULL)
		return;
	g_free(dev->modalias);
	g_free(dev->driver);
	g_free(dev->config);
	if (dev->problems != NULL)
		g_hash_table_unref(dev->problems);
	if (dev->malformed != NULL)
		g_hash_table_unref(dev->malformed);
	g_free(dev);
}

/* A bridge or root port: header type 1, a bridge class, or pcieport. */
gboolean
hp_pci_device_is_bridge(const HpPciDevice *dev)
{
	if (dev->header_type >= 0 && (dev->header_type & 0x7f) == 1)
		return TRUE;
	if (dev->class_known && (dev->class_code >> 8) == 0x0604)
		return TRUE;
	return g_strcmp0(dev->driver, "pcieport") == 0;
}

/* What VFIO cannot take (host-device-not-endpoint): a PCI-to-PCI bridge or
 * root port (header type 1), a CardBus bridge (header type 2), a device of
 * the PCI bridge class (0x0604) or the CardBus bridge class (0x0607), or one
 * the kernel's port driver holds. */
gboolean
hp_pci_device_is_not_endpoint(const HpPciDevice *dev)
{
	gint type = dev->header_type >= 0 ? dev->header_type & 0x7f : -1;

	if (type == 1 || type == 2)
		return TRUE;
	if (dev->class_known && ((dev->class_code >> 8) == 0x0604 || (dev->class_code >> 8) == 0x0607))
		return TRUE;
	return g_strcmp0(dev->driver, "pcieport") == 0;
}

/* Bit 0x80 of the header type; *ret_known FALSE when config could not say. */
gboolean
hp_pci_device_multifunction_bit(const HpPciDevice *dev, gboolean *ret_known)
{
	*ret_known = dev->header_type >= 0;
	return dev->header_type >= 0 && (dev->header_type & 0x80) != 0;
}
