/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-reset.h"

#include <string.h>

/* Config space offsets and bits (PCI Local Bus and PCI Express specifications). */
#define HP_CFG_STATUS        0x06
#define HP_CFG_STATUS_CAPS   0x10 /* Capabilities List */
#define HP_CFG_CAPS          0x34 /* capabilities pointer, header types 0 and 1 */
#define HP_CFG_CAPS_CARDBUS  0x14 /* capabilities pointer, header type 2 */
#define HP_CAP_PM            0x01
#define HP_CAP_EXP           0x10
#define HP_CAP_AF            0x13
#define HP_PM_CSR            4          /* PMCSR, from the PM capability */
#define HP_PM_NO_SOFT_RESET  0x0008
#define HP_EXP_DEVCAP        4          /* Device Capabilities, from the PCIe capability */
#define HP_EXP_DEVCAP_FLR    0x10000000u
#define HP_AF_CAP            3          /* AF capabilities byte */
#define HP_AF_CAP_TP         0x01
#define HP_AF_CAP_FLR        0x02

static gboolean
hp_cfg_has(const HpPciDevice *dev, guint off, guint len)
{
	return dev->config != NULL && off + len <= dev->config_len;
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
 * Walks the capability list of the standard config space. A reader that
 * is not root gets 64 bytes: the list then starts past what was read, and
 * the answer is HP_RESET_UNKNOWN unless the device has no capabilities.
 *
 * Returns: the first way to reset the function found, HP_RESET_NONE when
 * the whole list was read and has none.
 */
HpResetMethod
hp_reset_from_config(const HpPciDevice *dev)
{
	HpResetMethod found = HP_RESET_NONE;
	gboolean unknown = FALSE;
	guint pos;

	if (!hp_cfg_has(dev, HP_CFG_STATUS, 2) || dev->header_type < 0)
		return HP_RESET_UNKNOWN;
	if (!(hp_cfg_read(dev, HP_CFG_STATUS, 2) & HP_CFG_STATUS_CAPS))
		return HP_RESET_NONE;
	pos = (dev->header_type & 0x7f) == 2 ? HP_CFG_CAPS_CARDBUS : HP_CFG_CAPS;
	if (!hp_cfg_has(dev, pos, 1))
		return HP_RESET_UNKNOWN;
	pos = hp_cfg_read(dev, pos, 1) & 0xfc;
	/* 48 capabilities at most fit in the standard space: a loop ends there */
	for (guint n = 0; n < 48 && pos >= 0x40; n++) {
		guint id;
		if (!hp_cfg_has(dev, pos, 2))
			return HP_RESET_UNKNOWN;
		id = hp_cfg_read(dev, pos, 1);
		if (id == HP_CAP_EXP) {
			if (!hp_cfg_has(dev, pos + HP_EXP_DEVCAP, 4))
				unknown = TRUE;
			else if (hp_cfg_read(dev, pos + HP_EXP_DEVCAP, 4) & HP_EXP_DEVCAP_FLR)
				return HP_RESET_FLR;
		} else if (id == HP_CAP_AF) {
			if (!hp_cfg_has(dev, pos + HP_AF_CAP, 1))
				unknown = TRUE;
			else if ((hp_cfg_read(dev, pos + HP_AF_CAP, 1) & (HP_AF_CAP_TP | HP_AF_CAP_FLR)) ==
				 (HP_AF_CAP_TP | HP_AF_CAP_FLR))
				return HP_RESET_FLR;
		} else if (id == HP_CAP_PM) {
			if (!hp_cfg_has(dev, pos + HP_PM_CSR, 2))
				unknown = TRUE;
			else if (!(hp_cfg_read(dev, pos + HP_PM_CSR, 2) & HP_PM_NO_SOFT_RESET))
				found = HP_RESET_PM; /* FLR, later in the list, is the one tried first */
		}
		pos = hp_cfg_read(dev, pos + 1, 1) & 0xfc;
	}
	if (found == HP_RESET_NONE && unknown)
		return HP_RESET_UNKNOWN;
	return found;
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
