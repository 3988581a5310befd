/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-reset.h"

#include <string.h>

/* Config space offsets and bits (PCI Local Bus and PCI Express specifications). */
#define HP_CFG_STATUS        0x06
#define HP_CFG_STATUS_CAPS   0x10 /* Capabilities List */

static gboolean
hp_cfg_has(const HpPciDevice *dev, guint off, guint len)
{
	return dev->config != NULL && off + len <= MIN(dev->config_len, 64);
}

static guint32
hp_cfg_read(const HpPciDevice *dev, guint off, guint len)
{
	guint32 v = 0;
	for (guint i = 0; i < len; i++)
		v |= (guint32)dev->config[off + i] << (8 * i);
	return v;
}

/**
 * hp_reset_from_config:
 *
 * What the head of config space says about resetting the function, for a
 * kernel that does not show reset_method. Only the first 64 bytes count:
 * that is what every reader gets (the kernel gives the rest to root only)
 * and what a snapshot holds, so a check as root, as a user and against a
 * capture give one answer. The capabilities that tell FLR and PM reset
 * start at 0x40 or later: a device with a capabilities list is
 * HP_RESET_UNKNOWN, one without is HP_RESET_NONE.
 *
 * Returns: HP_RESET_NONE when the device has no capabilities at all,
 * else HP_RESET_UNKNOWN.
 */
HpResetMethod
hp_reset_from_config(const HpPciDevice *dev)
{
	if (!hp_cfg_has(dev, HP_CFG_STATUS, 2) || dev->header_type < 0)
		return HP_RESET_UNKNOWN;
	if (!(hp_cfg_read(dev, HP_CFG_STATUS, 2) & HP_CFG_STATUS_CAPS))
		return HP_RESET_NONE;
	return HP_RESET_UNKNOWN;
}

/**
 * hp_reset_on_root_bus:
 * @ret_known: FALSE when the device's place in the tree cannot be resolved
 *
 * A function on a root bus (its parent in sys/devices is `pciDDDD:BB`, not
 * a bridge) has no bridge above it to reset its bus.
 */
gboolean
hp_reset_on_root_bus(const HpHost *host, const HpPciDevice *dev, gboolean *ret_known)
{
	g_autofree gchar *rel = hp_pci_device_rel(&dev->addr, NULL);
	g_autofree gchar *real = hp_host_resolve(host, rel, NULL);
	g_autofree gchar *parent = NULL;
	g_autofree gchar *name = NULL;
	HpPciAddress addr;

	*ret_known = FALSE;
	if (real == NULL)
		return FALSE;
	parent = g_path_get_dirname(real);
	name = g_path_get_basename(parent);
	if (g_str_has_prefix(name, "pci") && strlen(name) == 10) {
		*ret_known = TRUE;
		return TRUE;
	}
	if (hp_pci_address_parse_bdf(name, &addr)) {
		*ret_known = TRUE;
		return FALSE;
	}
	return FALSE;
}
