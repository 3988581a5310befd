/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-host.h"
#include "hp-modalias.h"
#include "hp-pci-ids.h"

G_BEGIN_DECLS

/*
 * What is fixed for a host, kept across checks: its modules.alias and the
 * pci.ids database. Each is read once and kept while its file is unchanged
 * (device, inode, size and modification time, compared when a new check asks
 * for it), so a long-running server neither re-parses them on every change of
 * a document nor misses a new modules.alias after a depmod. What changes
 * between checks (bindings, groups) is read by each HpHostView anew.
 *
 * Thread contract: an HpHostData may be shared by views on several threads;
 * the reload is under its mutex, and what it hands out (HpHostLoaded) is
 * immutable and reference-counted, so a view keeps the version it started
 * with while a newer one replaces it.
 */
typedef struct _HpHostData HpHostData;

/* One version of a database, or why there is none. */
typedef struct _HpHostLoaded HpHostLoaded;

HpHostData *hp_host_data_new(HpHost *host);
HpHostData *hp_host_data_ref(HpHostData *data);
void hp_host_data_unref(HpHostData *data);
const HpHost *hp_host_data_get_host(const HpHostData *data);
HpHostLoaded *hp_host_data_modalias(HpHostData *data);
HpHostLoaded *hp_host_data_pci_ids(HpHostData *data);
guint hp_host_data_get_loads(HpHostData *data);

HpHostLoaded *hp_host_loaded_ref(HpHostLoaded *loaded);
void hp_host_loaded_unref(HpHostLoaded *loaded);
gconstpointer hp_host_loaded_get(const HpHostLoaded *loaded, const GError **ret_error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpHostData, hp_host_data_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpHostLoaded, hp_host_loaded_unref)

G_END_DECLS
