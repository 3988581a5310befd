/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-pci-address.h"

#include <stdio.h>

/**
 * hp_number_parse:
 * @str: the attribute value as written
 * @max: the largest value the field may take
 * @ret_value: (out): the value, set only when the result is OK or OCTAL
 *
 * Reads a number as libvirt does (strtoul with base 0): decimal, `0x` or
 * `0X` hex, or octal when written with a leading zero, so `010` is 8 and
 * `08` is not a number. Surrounding white space, signs and trailing junk
 * make it not a number (libvirt's grammar refuses them too); overflow of 64
 * bits is out of range, never a wrap-around. This is the one definition in
 * C; tests/data/pci-numbers.tsv holds the vectors it and the normalizing
 * stylesheet must both pass.
 *
 * Returns: %HP_NUMBER_OCTAL for a leading-zero value whose octal reading
 * differs from its decimal one (`010`: the warning of SPEC section 2),
 * %HP_NUMBER_OK for any other number (`00`..`07` included).
 */
HpNumberResult
hp_number_parse(const gchar *str, guint64 max, guint64 *ret_value)
{
	guint base = 10;
	guint64 value = 0;
	guint64 decimal = 0; /* the same digits read in base 10 */
	gboolean overflow = FALSE;
	gboolean decimal_overflow = FALSE;
	const gchar *p = str;

	if (str == NULL || *str == '\0')
		return HP_NUMBER_NOT_A_NUMBER;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (*p == '\0')
			return HP_NUMBER_NOT_A_NUMBER;
	} else if (p[0] == '0' && p[1] != '\0') {
		base = 8;
		p += 1;
	}
	for (; *p != '\0'; p++) {
		gint digit = g_ascii_xdigit_value(*p);
		if (digit < 0 || (guint)digit >= base)
			return HP_NUMBER_NOT_A_NUMBER;
		if (value > (G_MAXUINT64 - (guint)digit) / base)
			overflow = TRUE;
		else
			value = value * base + (guint)digit;
		if (decimal > (G_MAXUINT64 - (guint)digit) / 10)
			decimal_overflow = TRUE;
		else
			decimal = decimal * 10 + (guint)digit;
	}
	if (overflow || value > max)
		return HP_NUMBER_OUT_OF_RANGE;
	*ret_value = value;
	return base == 8 && (decimal_overflow || decimal != value) ? HP_NUMBER_OCTAL : HP_NUMBER_OK;
}

const gchar *
hp_pci_field_name(HpPciField field)
{
	static const gchar *names[] = {"domain", "bus", "slot", "function"};
	g_return_val_if_fail(field < HP_PCI_FIELD_LAST, NULL);
	return names[field];
}

guint64
hp_pci_field_max(HpPciField field)
{
	static const guint64 max[] = {0xffff, 0xff, 0x1f, 0x7};
	g_return_val_if_fail(field < HP_PCI_FIELD_LAST, 0);
	return max[field];
}

void
hp_pci_address_set_field(HpPciAddress *addr, HpPciField field, guint value)
{
	switch (field) {
	case HP_PCI_FIELD_DOMAIN:
		addr->domain = value;
		break;
	case HP_PCI_FIELD_BUS:
		addr->bus = value;
		break;
	case HP_PCI_FIELD_SLOT:
		addr->slot = value;
		break;
	case HP_PCI_FIELD_FUNCTION:
	default:
		addr->function = value;
		break;
	}
}

/**
 * hp_pci_address_parse_bdf:
 * @str: a sysfs device name, `DDDD:BB:SS.F` in hex
 * @ret_addr: (out): the address, set only on success
 *
 * Returns: %TRUE when @str is exactly such a name.
 */
gboolean
hp_pci_address_parse_bdf(const gchar *str, HpPciAddress *ret_addr)
{
	guint v[4] = {0};
	const guint width[4] = {4, 2, 2, 1};
	const gchar sep[4] = {':', ':', '.', '\0'};
	const gchar *p = str;

	if (str == NULL)
		return FALSE;
	for (guint i = 0; i < 4; i++) {
		for (guint j = 0; j < width[i]; j++) {
			gint d = g_ascii_xdigit_value(*p);
			if (d < 0)
				return FALSE;
			v[i] = v[i] * 16 + (guint)d;
			p++;
		}
		if (*p != sep[i])
			return FALSE;
		if (sep[i] != '\0')
			p++;
	}
	if (v[2] > 0x1f || v[3] > 7)
		return FALSE;
	ret_addr->domain = v[0];
	ret_addr->bus = v[1];
	ret_addr->slot = v[2];
	ret_addr->function = v[3];
	return TRUE;
}

/* Writes the lowercase `DDDD:BB:SS.F` form into @buf (HP_PCI_ADDRESS_STRLEN). */
gchar *
hp_pci_address_to_string(const HpPciAddress *addr, gchar *buf)
{
	g_snprintf(buf, HP_PCI_ADDRESS_STRLEN, "%04x:%02x:%02x.%x",
		   addr->domain & 0xffff, addr->bus & 0xff, addr->slot & 0x1f,
		   addr->function & 0x7);
	return buf;
}

gboolean
hp_pci_address_equal(const HpPciAddress *a, const HpPciAddress *b)
{
	return hp_pci_address_same_slot(a, b) && a->function == b->function;
}

gboolean
hp_pci_address_same_slot(const HpPciAddress *a, const HpPciAddress *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot;
}

/* A number that orders addresses and identifies them in hash tables. */
guint64
hp_pci_address_key(const HpPciAddress *addr)
{
	return ((guint64)addr->domain << 16) | ((guint64)addr->bus << 8) |
	       ((guint64)addr->slot << 3) | addr->function;
}

gint
hp_pci_address_compare(const HpPciAddress *a, const HpPciAddress *b)
{
	guint64 ka = hp_pci_address_key(a);
	guint64 kb = hp_pci_address_key(b);
	return ka < kb ? -1 : (ka > kb ? 1 : 0);
}
