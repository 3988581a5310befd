/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include "hp-normalize.h"

static HpNormalizer *norm;

static int
setup(void **state)
{
	g_autoptr(GError) error = NULL;
	norm = hp_normalizer_new(&error);
	g_assert_no_error(error);
	return norm == NULL;
}

static int
teardown(void **state)
{
	g_clear_pointer(&norm, hp_normalizer_free);
	return 0;
}

static gchar *
normalize(const gchar *xml, gboolean compat)
{
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(GError) error = NULL;
	gchar *out;
	assert_non_null(hdoc);
	out = hp_normalizer_apply(norm, hdoc->doc, compat, &error);
	g_assert_no_error(error);
	return out;
}

static void
test_hostdev_order_and_numbers(void **state)
{
	const gchar *in =
	    "<domain type=\"kvm\"><!-- keep me --><name>a&amp;b</name><devices>"
	    "<hostdev type=\"pci\" managed=\"yes\" assigned=\"yes\"><address type=\"pci\" bus=\"1\" slot=\"010\" function=\"3\"/>"
	    "<rom bar=\"off\"/><alias name=\"ua-1\"/><boot order=\"1\"/><source><address domain=\"1\" bus=\"0x9\" slot=\"0\" function=\"2\"/></source>"
	    "<driver model=\"vfio_pci\" name=\"vfio\"/></hostdev></devices></domain>";
	const gchar *want =
	    "<domain type='kvm'>\n"
	    "  <!-- keep me -->\n"
	    "  <name>a&amp;b</name>\n"
	    "  <devices>\n"
	    "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
	    "      <driver name='vfio' model='vfio_pci'/>\n"
	    "      <source>\n"
	    "        <address domain='0x0001' bus='0x09' slot='0x00' function='0x2'/>\n"
	    "      </source>\n"
	    "      <boot order='1'/>\n"
	    "      <alias name='ua-1'/>\n"
	    "      <rom bar='off'/>\n"
	    "      <address type='pci' domain='0x0000' bus='0x01' slot='0x08' function='0x3'/>\n"
	    "    </hostdev>\n"
	    "  </devices>\n"
	    "</domain>\n";
	g_autofree gchar *out = normalize(in, FALSE);
	g_autofree gchar *again = normalize(out, FALSE);
	assert_string_equal(out, want);
	assert_string_equal(again, want);
}

static void
test_unassigned_spellings(void **state)
{
	const gchar *a = "<domain><devices><hostdev mode='subsystem' type='pci' assigned='no'><source><address domain='0' bus='1' slot='0' function='1'/></source></hostdev></devices></domain>";
	const gchar *b = "<domain><devices><hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='1'/></source><address type='unassigned'/></hostdev></devices></domain>";
	g_autofree gchar *na = normalize(a, FALSE);
	g_autofree gchar *nb = normalize(b, FALSE);
	g_autofree gchar *ca = normalize(a, TRUE);
	g_autofree gchar *cb = normalize(b, TRUE);
	assert_string_equal(na, nb);
	assert_string_equal(ca, cb);
	assert_non_null(strstr(na, "<hostdev mode='subsystem' type='pci' managed='no' assigned='no'>"));
	assert_null(strstr(na, "unassigned"));
	assert_null(strstr(ca, "assigned='"));
	assert_non_null(strstr(ca, "<address type='unassigned'/>\n    </hostdev>"));
}

static void
test_compat_drops_model(void **state)
{
	const gchar *in = "<domain><devices><hostdev mode='subsystem' type='pci'><driver name='vfio' model='mlx5_vfio_pci'/><source><address/></source></hostdev></devices></domain>";
	g_autofree gchar *out = normalize(in, TRUE);
	assert_non_null(strstr(out, "<driver name='vfio'/>"));
	assert_non_null(strstr(out, "<address domain='0x0000' bus='0x00' slot='0x00' function='0x0'/>"));
}

static void
test_outside_kept(void **state)
{
	const gchar *in = "<?xml version='1.0'?>\n<!-- top -->\n<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
			  "<description>two  spaces\n and a 'quote' &lt;tag&gt;</description>\n"
			  "<devices><disk type='file'><address type='pci' bus='010'/></disk>"
			  "<interface type='hostdev'><source><address type='pci' bus='3' slot='0x10' function='1'/></source><mac address='52:54:00:00:00:01'/></interface>"
			  "</devices><qemu:commandline><qemu:arg value='a&apos;b\"c'/></qemu:commandline></domain>";
	g_autofree gchar *out = normalize(in, FALSE);
	g_autofree gchar *again = normalize(out, FALSE);
	assert_string_equal(out, again);
	assert_true(g_str_has_prefix(out, "<!-- top -->\n<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"));
	assert_non_null(strstr(out, "<description>two  spaces\n and a 'quote' &lt;tag&gt;</description>"));
	/* not a host device: kept as written */
	assert_non_null(strstr(out, "<address type='pci' bus='010'/>"));
	assert_non_null(strstr(out, "<address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x1'/>"));
	assert_non_null(strstr(out, "<qemu:arg value='a&apos;b&quot;c'/>"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hostdev_order_and_numbers),
	    cmocka_unit_test(test_unassigned_spellings),
	    cmocka_unit_test(test_compat_drops_model),
	    cmocka_unit_test(test_outside_kept),
	};
	return cmocka_run_group_tests_name("normalize", tests, setup, teardown);
}
