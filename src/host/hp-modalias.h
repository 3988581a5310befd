/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-host.h"

G_BEGIN_DECLS

/* The fields of a PCI modalias, `pci:v…d…sv…sd…bc…sc…i…`, in that order. */
#define HP_MODALIAS_FIELDS 7

/* In a snapshot's modules.alias: "the next line was line N of the host's" */
#define HP_MODALIAS_LINE_MARKER "# hostdev-preflight: the next line is line "

/* One `alias vfio_pci:PATTERN MODULE` line: a VFIO (variant) driver. */
typedef struct {
	gchar *fields[HP_MODALIAS_FIELDS]; /* glob patterns */
	gchar *module;                     /* as written, e.g. mlx5_vfio_pci */
	guint wildcards;                   /* fields that are globs */
	guint line;
} HpVfioAlias;

typedef struct {
	GPtrArray *vfio;      /* of HpVfioAlias, in file order */
	GHashTable *modules;  /* the modules (underscored) with vfio_pci: aliases */
	guint malformed;      /* vfio_pci: alias lines refused (garbled, or a module name no kernel name can be) */
	guint first_malformed_line;
} HpModAlias;

HpModAlias *hp_modalias_new_from_data(const gchar *data, gsize len);
HpModAlias *hp_modalias_load(const HpHost *host, GError **error);
void hp_modalias_free(HpModAlias *ma);
gchar *hp_modalias_module_name(const gchar *name);
gchar *hp_modalias_rel(const HpHost *host);
gboolean hp_modalias_is_vfio_line(const gchar *line, gsize len);
gboolean hp_modalias_line_marker(const gchar *line, gsize len, guint *ret_next);
gboolean hp_modalias_module_is_vfio(const HpModAlias *ma, const gchar *name);
gboolean hp_modalias_split(const gchar *str, gchar **ret_fields);
const HpVfioAlias *hp_modalias_match_vfio(const HpModAlias *ma, const gchar *modalias);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpModAlias, hp_modalias_free)

G_END_DECLS
