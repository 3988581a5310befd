/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include "hp-pci-ids.h"

static const gchar *ids_text =
    "# comment\n"
    "1002  Advanced Micro Devices, Inc. [AMD/ATI]\n"
    "\t67df  Ellesmere [Radeon RX 470/480/570/570X/580/580X/590]\n"
    "1af4  Red Hat, Inc.\n"
    "\t1041  Virtio 1.0 network device\n"
    "\t\t1af4 1100  QEMU Virtual Machine\n"
    "8086  Intel Corporation\n"
    "\t1533  I210 Gigabit Network Connection\n"
    "C 02  Network controller\n"
    "\t00  Ethernet controller\n";

static void
test_describe(void **state)
{
	g_autoptr(HpPciIds) ids = hp_pci_ids_new_from_data(ids_text, strlen(ids_text));
	g_autofree gchar *a = hp_pci_ids_describe(ids, 0x1002, 0x67df);
	g_autofree gchar *b = hp_pci_ids_describe(ids, 0x1af4, 0x1041);
	g_autofree gchar *c = hp_pci_ids_describe(ids, 0x8086, 0x1533);
	g_autofree gchar *d = hp_pci_ids_describe(ids, 0x8086, 0x9999);
	g_autofree gchar *e = hp_pci_ids_describe(NULL, 0x8086, 0x1533);
	assert_string_equal(a, "AMD/ATI Ellesmere [Radeon RX 470/480/570/570X/580/580X/590]");
	assert_string_equal(b, "Red Hat Virtio 1.0 network device");
	assert_string_equal(c, "Intel I210 Gigabit Network Connection");
	assert_string_equal(d, "[8086:9999]");
	assert_string_equal(e, "[8086:1533]");
}

static void
test_garbage(void **state)
{
	const gchar junk[] = "\xff\xfe\t\t\tzz\n1234\n\tabcd\n12345678\n";
	g_autoptr(HpPciIds) ids = hp_pci_ids_new_from_data(junk, sizeof(junk) - 1);
	g_autofree gchar *a = hp_pci_ids_describe(ids, 0x1234, 0xabcd);
	assert_string_equal(a, "[1234:abcd]");
}

static void
test_missing_file(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpPciIds) ids = hp_pci_ids_load("/nonexistent/pci.ids", &error);
	assert_null(ids);
	assert_non_null(error);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_describe),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_missing_file),
	};
	return cmocka_run_group_tests_name("pci-ids", tests, NULL, NULL);
}
