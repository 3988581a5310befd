/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-host.h"
#include "hp-modalias.h"
#include "hp-pci-device.h"
#include "hp-pci-ids.h"

G_BEGIN_DECLS

/*
 * A host as the rules and the plan see it: devices read on demand and kept,
 * modules.alias and pci.ids read at most once. Its cost follows the domain's
 * devices, not the host's.
 */
typedef struct _HpHostView HpHostView;

typedef enum {
	HP_VFIO_NO,        /* not a VFIO driver (or no driver) */
	HP_VFIO_EXACT,     /* vfio-pci itself */
	HP_VFIO_VFIO_DEV,  /* the device has a vfio-dev/ directory */
	HP_VFIO_ALIASES,   /* the driver's module has vfio_pci: aliases */
	HP_VFIO_BY_NAME,   /* only its name says "vfio" */
} HpVfioClass;

HpHostView *hp_host_view_new(HpHost *host);
void hp_host_view_free(HpHostView *view);
const HpHost *hp_host_view_get_host(const HpHostView *view);
gboolean hp_host_view_has_pci(const HpHostView *view);
GPtrArray *hp_host_view_take_notes(HpHostView *view);
const HpPciDevice *hp_host_view_device(HpHostView *view, const HpPciAddress *addr, const GError **ret_error);
const HpModAlias *hp_host_view_modalias(HpHostView *view, const GError **ret_error);
const HpModAlias *hp_host_view_modalias_if_read(const HpHostView *view);
gchar *hp_host_view_describe(HpHostView *view, const HpPciDevice *dev);
GArray *hp_host_view_group_members(HpHostView *view, gint group);
gchar *hp_host_view_driver_module(HpHostView *view, const gchar *driver);
HpVfioClass hp_host_view_classify(HpHostView *view, const HpPciDevice *dev);
gboolean hp_host_view_has_driver_or_module(HpHostView *view, const gchar *name);
gboolean hp_host_view_resolve_driver(HpHostView *view, const gchar *name, gchar **ret_driver, gchar **ret_module,
				     gboolean *ret_loaded);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpHostView, hp_host_view_free)

G_END_DECLS
