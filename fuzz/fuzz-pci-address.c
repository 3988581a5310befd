/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: PCI address numbers and sysfs names, and modalias fields. */
#include <stddef.h>
#include <stdint.h>

#include "hp-modalias.h"
#include "hp-pci-address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree gchar *s = g_strndup((const gchar *)data, size);
	gchar *fields[HP_MODALIAS_FIELDS];
	HpPciAddress addr;
	guint64 v = 0;

	for (HpPciField f = 0; f < HP_PCI_FIELD_LAST; f++) {
		HpNumberResult r = hp_number_parse(s, hp_pci_field_max(f), &v);
		if (r == HP_NUMBER_OK || r == HP_NUMBER_OCTAL)
			g_assert(v <= hp_pci_field_max(f));
	}
	(void)hp_number_parse(s, G_MAXUINT64, &v);
	if (hp_pci_address_parse_bdf(s, &addr)) {
		gchar buf[HP_PCI_ADDRESS_STRLEN];
		HpPciAddress again;
		/* a name read is a name written, in lowercase */
		g_assert(hp_pci_address_parse_bdf(hp_pci_address_to_string(&addr, buf), &again));
		g_assert(hp_pci_address_equal(&addr, &again));
		g_assert(g_ascii_strcasecmp(buf, s) == 0);
	}
	if (hp_modalias_split(s, fields)) {
		for (guint i = 0; i < HP_MODALIAS_FIELDS; i++)
			g_free(fields[i]);
	}
	return 0;
}
