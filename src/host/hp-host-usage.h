/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-host.h"
#include "hp-pci-device.h"

G_BEGIN_DECLS

/*
 * What the host itself uses on a PCI device (host-device-in-use): a mounted
 * filesystem or an active swap on a disk or partition below it (directly, or
 * through device-mapper or md `slaves`/`holders`), a network interface that
 * carries a default route, the boot VGA device with a driver bound.
 *
 * Mounts come from proc/self/mountinfo (its major:minor field, and the mount
 * source), else proc/self/mounts (the source: /dev/NAME, /dev/mapper/NAME);
 * swaps from proc/swaps; routes from proc/net/route and proc/net/ipv6_route.
 * The tables are read once, on the first question, through the host root.
 */
typedef struct _HpHostUsage HpHostUsage;

/* One use the host makes of a device. */
typedef struct {
	gboolean severe; /* a filesystem or swap (an error), not a route or the display (a warning) */
	gchar *what;     /* "holds /dev/sda2 mounted on /boot" */
	gchar *fix;      /* what to do about it */
} HpUse;

HpHostUsage *hp_host_usage_new(const HpHost *host);
void hp_host_usage_free(HpHostUsage *usage);
GPtrArray *hp_host_usage_of(HpHostUsage *usage, const HpPciDevice *dev);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpHostUsage, hp_host_usage_free)

G_END_DECLS
