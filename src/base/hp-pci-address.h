/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A PCI function address, host or guest side. */
typedef struct {
	guint domain;
	guint bus;
	guint slot;
	guint function;
} HpPciAddress;

#define HP_PCI_ADDRESS_STRLEN 13 /* "dddd:bb:ss.f" and NUL */

typedef enum {
	HP_NUMBER_OK,
	HP_NUMBER_OCTAL,     /* parsed; a leading zero makes it octal, and octal differs from decimal */
	HP_NUMBER_NOT_A_NUMBER,
	HP_NUMBER_OUT_OF_RANGE,
} HpNumberResult;

typedef enum {
	HP_PCI_FIELD_DOMAIN,
	HP_PCI_FIELD_BUS,
	HP_PCI_FIELD_SLOT,
	HP_PCI_FIELD_FUNCTION,
	HP_PCI_FIELD_LAST,
} HpPciField;

HpNumberResult hp_number_parse(const gchar *str, guint64 max, guint64 *ret_value);
const gchar *hp_pci_field_name(HpPciField field);
guint64 hp_pci_field_max(HpPciField field);
void hp_pci_address_set_field(HpPciAddress *addr, HpPciField field, guint value);

gboolean hp_pci_address_parse_bdf(const gchar *str, HpPciAddress *ret_addr);
gchar *hp_pci_address_to_string(const HpPciAddress *addr, gchar *buf);
gboolean hp_pci_address_equal(const HpPciAddress *a, const HpPciAddress *b);
gboolean hp_pci_address_same_slot(const HpPciAddress *a, const HpPciAddress *b);
gint hp_pci_address_compare(const HpPciAddress *a, const HpPciAddress *b);
guint64 hp_pci_address_key(const HpPciAddress *addr);

G_END_DECLS
