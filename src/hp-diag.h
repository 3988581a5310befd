/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-pci-address.h"

G_BEGIN_DECLS

typedef enum {
	HP_SEVERITY_NOTE,
	HP_SEVERITY_WARNING,
	HP_SEVERITY_ERROR,
} HpSeverity;

typedef enum {
	HP_LAYER_STATIC,
	HP_LAYER_HOST,
} HpLayer;

/* One stable rule id of the contract (SPEC section 4). */
typedef struct {
	const gchar *id;
	HpSeverity severity;
	HpLayer layer;
	const gchar *summary;
} HpRule;

/* A finding: data, not an error. */
typedef struct {
	const HpRule *rule;
	HpSeverity severity;
	guint line;   /* 1-based; 0 when the finding has no place in the file */
	guint column; /* 1-based; 0 when unknown */
	gboolean has_device;
	HpPciAddress device;
	gchar *message;
} HpDiag;

typedef struct {
	GPtrArray *items; /* of HpDiag */
} HpDiagList;

const HpRule *hp_rule_lookup(const gchar *id);
const HpRule *hp_rules_all(guint *ret_count);
const gchar *hp_severity_to_string(HpSeverity severity);

HpDiagList *hp_diag_list_new(void);
void hp_diag_list_free(HpDiagList *list);
HpDiag *hp_diag_list_add(HpDiagList *list, const gchar *rule_id, guint line, guint column,
			 const HpPciAddress *device, const gchar *fmt, ...) G_GNUC_PRINTF(6, 7);
guint hp_diag_list_count(const HpDiagList *list, HpSeverity severity);
void hp_diag_list_sort(HpDiagList *list);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpDiagList, hp_diag_list_free)

G_END_DECLS
