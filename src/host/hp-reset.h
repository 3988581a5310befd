/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-host.h"
#include "hp-pci-device.h"

G_BEGIN_DECLS

/*
 * How the kernel can reset a PCI function (device-reset-unavailable), as
 * libvirt and VFIO try it: a function-level reset (the PCI Express
 * capability's FLR bit, or the Advanced Features capability with both its
 * TP and FLR bits), a power-management reset (a PM capability whose PMCSR
 * has No_Soft_Reset clear), then a secondary bus reset, which needs a
 * bridge above the function and no device on its bus that stays with the
 * host.
 */
typedef enum {
	HP_RESET_UNKNOWN, /* config space cannot say (short, missing, or capabilities past its first 64 bytes) */
	HP_RESET_NONE,    /* no FLR and no PM reset */
	HP_RESET_FLR,
	HP_RESET_PM,
} HpResetMethod;

HpResetMethod hp_reset_from_config(const HpPciDevice *dev);
gboolean hp_reset_on_root_bus(const HpHost *host, const HpPciDevice *dev, gboolean *ret_known);

G_END_DECLS
