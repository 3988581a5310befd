/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-host.h"
#include "hp-host-data.h"
#include "hp-modalias.h"
#include "hp-pci-device.h"
#include "hp-pci-ids.h"

G_BEGIN_DECLS

/*
 * A host as one check sees it: devices read on demand and kept for the
 * view's life, modules.alias and pci.ids taken from the host's HpHostData
 * (read once, kept while their files are unchanged). Its cost follows the
 * domain's devices, not the host's.
 *
 * A view is for one check (or one run of the command line): make a new one
 * for each check of a long-lived server, so bindings changed since are seen;
 * it is cheap, the databases stay in the HpHostData. A view is used by one
 * thread at a time.
 */
typedef struct _HpHostView HpHostView;

/* A host file that is garbled, met while answering a question (a name in
 * sys/module/M/drivers that no driver can have): a host-file-malformed. */
typedef struct {
	gchar *file;    /* relative to the root */
	gchar *message; /* what is wrong and what was assumed */
} HpHostProblem;

typedef enum {
	HP_VFIO_NO,        /* not a VFIO driver (or no driver) */
	HP_VFIO_EXACT,     /* vfio-pci itself */
	HP_VFIO_VFIO_DEV,  /* the device has a vfio-dev/ directory */
	HP_VFIO_ALIASES,   /* the driver's module has vfio_pci: aliases */
	HP_VFIO_BY_NAME,   /* only its name says "vfio" */
} HpVfioClass;

HpHostView *hp_host_view_new(HpHost *host);
HpHostView *hp_host_view_new_for_data(HpHostData *data);
void hp_host_view_free(HpHostView *view);
const HpHost *hp_host_view_get_host(const HpHostView *view);
HpHostData *hp_host_view_get_data(const HpHostView *view);
GPtrArray *hp_host_view_steal_problems(HpHostView *view);
gboolean hp_host_view_has_pci(const HpHostView *view);
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
