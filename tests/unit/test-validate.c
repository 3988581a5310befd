/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include "hp-validate.h"

static const gchar *
libvirt_dir(void)
{
	const gchar *dir = g_getenv("HP_LIBVIRT_SCHEMADIR");
	g_autofree gchar *rng = g_build_filename(dir != NULL ? dir : "", "domain.rng", NULL);
	return dir != NULL && g_file_test(rng, G_FILE_TEST_IS_REGULAR) ? dir : NULL;
}

static HpDiagList *
check(HpValidator *v, const gchar *xml)
{
	HpDiagList *diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(HpDomain) domain = NULL;
	assert_non_null(hdoc);
	domain = hp_validator_check(v, hdoc, diags);
	assert_non_null(domain);
	return diags;
}

#define DOMAIN(devices) \
	"<domain type='kvm'>\n  <name>v</name>\n  <memory>1024</memory>\n  <os><type>hvm</type></os>\n  <devices>\n" devices "  </devices>\n</domain>\n"

static void
test_builtin_only(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpValidator) v = hp_validator_new(NULL, &error);
	g_autoptr(HpDiagList) ok = NULL;
	g_autoptr(HpDiagList) bad = NULL;

	assert_non_null(v);
	assert_false(hp_validator_has_libvirt(v));
	ok = check(v, DOMAIN("    <hostdev mode='subsystem' type='pci' assigned='no'><source><address bus='1'/></source></hostdev>\n"
			     "    <hostdev mode='subsystem' type='pci'><source><address bus='1' function='1'/></source></hostdev>\n"));
	assert_int_equal(hp_diag_list_count(ok, HP_SEVERITY_ERROR), 0);
	/* findings of every layer, in file order */
	bad = check(v, DOMAIN("    <hostdev mode='subsystem' type='pci' assigned='maybe'><source><address bus='1'/></source></hostdev>\n"
			      "    <hostdev mode='subsystem' type='pci'><source><address bus='1'/></source></hostdev>\n"));
	assert_true(hp_test_count(bad, "schema") >= 1);
	assert_int_equal(hp_test_count(bad, "hostdev-duplicate"), 1);
	for (guint i = 1; i < bad->items->len; i++) {
		const HpDiag *a = g_ptr_array_index(bad->items, i - 1);
		const HpDiag *b = g_ptr_array_index(bad->items, i);
		assert_true(a->span.line <= b->span.line);
	}
}

static void
test_with_libvirt(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpValidator) v = NULL;
	g_autoptr(HpDiagList) ext = NULL;
	g_autoptr(HpDiagList) bad = NULL;

	if (libvirt_dir() == NULL) {
		skip();
		return;
	}
	v = hp_validator_new(libvirt_dir(), &error);
	assert_non_null(v);
	assert_true(hp_validator_has_libvirt(v));
	/* our extensions are taken out before libvirt's grammar sees them */
	ext = check(v, DOMAIN("    <hostdev mode='subsystem' type='pci' managed='yes' assigned='no'>\n"
			      "      <driver model='vfio_pci'/>\n      <source><address domain='0' bus='1' slot='0' function='0'/></source>\n"
			      "    </hostdev>\n"
			      "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
			      "      <driver name='vfio' model='vfio_pci'/>\n      <source><address domain='0' bus='1' slot='0' function='1'/></source>\n"
			      "    </hostdev>\n"));
	assert_int_equal(hp_test_count(ext, "libvirt-schema"), 0);
	/* and what libvirt's grammar refuses is reported, on its line */
	bad = check(v, DOMAIN("    <disk type='file' device='nonsense'/>\n"));
	assert_true(hp_test_count(bad, "libvirt-schema") >= 1);
	assert_int_equal(hp_test_count(bad, "schema"), 0);
}

static void
test_libvirt_missing(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpValidator) v = hp_validator_new("/nonexistent", &error);
	assert_null(v);
	assert_non_null(error);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtin_only),
	    cmocka_unit_test(test_with_libvirt),
	    cmocka_unit_test(test_libvirt_missing),
	};
	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
