/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-pci-address.h"

G_BEGIN_DECLS

/*
 * A place in a document: 1-based line and column (columns count characters,
 * not bytes) of the first character, and of the character just past the end
 * (end-exclusive, as LSP and SARIF count). 0 means unknown.
 */
typedef struct {
	guint line, column;
	guint end_line, end_column;
} HpSpan;

/* A span that is only a start, for places that know no end. */
#define HP_SPAN(l, c) (&(HpSpan){(l), (c), 0, 0})

typedef enum {
	HP_SEVERITY_NOTE,
	HP_SEVERITY_WARNING,
	HP_SEVERITY_ERROR,
} HpSeverity;

typedef enum {
	HP_LAYER_STATIC,
	HP_LAYER_HOST,
} HpLayer;

/* The contract's rules (SPEC section 4), in its order: the compiler checks
 * every id a rule emits. */
typedef enum {
	HP_RULE_XML_MALFORMED,
	HP_RULE_SCHEMA,
	HP_RULE_LIBVIRT_SCHEMA,
	HP_RULE_PCI_ADDRESS_INVALID,
	HP_RULE_PCI_ADDRESS_OCTAL,
	HP_RULE_HOSTDEV_DUPLICATE,
	HP_RULE_UNASSIGNED_HAS_GUEST_ADDRESS,
	HP_RULE_UNASSIGNED_HAS_GUEST_SETTINGS,
	HP_RULE_GUEST_ADDRESS_CONFLICT,
	HP_RULE_GUEST_FUNCTION_ZERO_MISSING,
	HP_RULE_GUEST_MULTIFUNCTION_OFF,
	HP_RULE_ALL_FUNCTIONS_UNASSIGNED,
	HP_RULE_HOST_CHECKS_SKIPPED,
	HP_RULE_HOST_DEVICE_NOT_FOUND,
	HP_RULE_IOMMU_MISSING,
	HP_RULE_MULTIFUNCTION_INCOMPLETE,
	HP_RULE_ASSIGNED_NOT_MULTIFUNCTION,
	HP_RULE_IOMMU_GROUP_NOT_VIABLE,
	HP_RULE_MANAGED_NO_NOT_BOUND,
	HP_RULE_VFIO_DRIVER_BY_NAME,
	HP_RULE_VARIANT_DRIVER_UNKNOWN,
	HP_RULE_MODULES_ALIAS_MISSING,
	HP_RULE_MULTIFUNCTION_PARTIAL,
	HP_RULE_HOST_DEVICE_NOT_ENDPOINT,
	HP_RULE_INTERFACE_HOSTDEV_NOT_VF,
	HP_RULE_HOST_DEVICE_IN_USE,
	HP_RULE_DEVICE_RESET_UNAVAILABLE,
	HP_RULE_HOST_FILE_MALFORMED,
	HP_RULE_DOMAIN_TOO_LARGE,
	HP_RULE_COUNT,
} HpRuleId;

/* One stable rule id of the contract (SPEC section 4). */
typedef struct {
	HpRuleId rule_id;
	const gchar *id;
	HpSeverity severity;
	HpLayer layer;
	const gchar *summary;
} HpRule;

/* A finding: data, not an error. */
typedef struct {
	const HpRule *rule;
	HpSeverity severity;
	HpSpan span;  /* where in the file; line 0 when it has no place there */
	gboolean has_device;
	HpPciAddress device;
	gchar *message;
} HpDiag;

typedef struct {
	GPtrArray *items; /* of HpDiag */
} HpDiagList;

/* Values from an input are cut at this many characters in a message. */
#define HP_ECHO_MAX 200

gchar *hp_echo(const gchar *value);
gchar *hp_escape(const gchar *value);
const HpRule *hp_rule_get(HpRuleId id);
const HpRule *hp_rule_lookup(const gchar *id);
const HpRule *hp_rules_all(guint *ret_count);
const gchar *hp_severity_to_string(HpSeverity severity);

HpDiagList *hp_diag_list_new(void);
void hp_diag_list_free(HpDiagList *list);
HpDiag *hp_diag_list_add(HpDiagList *list, HpRuleId rule, const HpSpan *span, const HpPciAddress *device,
			 const gchar *fmt, ...) G_GNUC_PRINTF(5, 6);
guint hp_diag_list_count(const HpDiagList *list, HpSeverity severity);
void hp_diag_list_sort(HpDiagList *list);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HpDiagList, hp_diag_list_free)

G_END_DECLS
