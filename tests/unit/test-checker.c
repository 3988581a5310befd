/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test-host.h"

#include "hp-checker.h"
#include "hp-error.h"

static const gchar *
libvirt_dir(void)
{
	const gchar *dir = g_getenv("HP_LIBVIRT_SCHEMADIR");
	g_autofree gchar *rng = g_build_filename(dir != NULL ? dir : "", "domain.rng", NULL);
	return dir != NULL && g_file_test(rng, G_FILE_TEST_IS_REGULAR) ? dir : NULL;
}

static HpCheckResult *
check(HpChecker *checker, const gchar *xml)
{
	g_autoptr(GBytes) bytes = g_bytes_new(xml, strlen(xml));
	HpCheckResult *result = hp_checker_check(checker, "test.xml", bytes);
	assert_non_null(result);
	assert_string_equal(result->name, "test.xml");
	return result;
}

static void
assert_sorted(const HpDiagList *diags)
{
	for (guint i = 1; i < diags->items->len; i++) {
		const HpDiag *a = g_ptr_array_index(diags->items, i - 1);
		const HpDiag *b = g_ptr_array_index(diags->items, i);
		assert_true(a->span.line < b->span.line || (a->span.line == b->span.line && a->span.column <= b->span.column));
	}
}

#define DOMAIN(devices) \
	"<domain type='kvm'>\n  <name>v</name>\n  <memory>1024</memory>\n  <os><type>hvm</type></os>\n  <devices>\n" devices "  </devices>\n</domain>\n"

/* A host tree with a PCI sysfs and no devices in it. */
static gchar *
empty_host(void)
{
	gchar *root = g_dir_make_tmp("hp-checker-XXXXXX", NULL);
	g_autofree gchar *devices = g_build_filename(root, "sys", "bus", "pci", "devices", NULL);
	g_assert(g_mkdir_with_parents(devices, 0755) == 0);
	return root;
}

static void
test_builtin_only(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpChecker) checker = hp_checker_new(NULL, &error);
	g_autoptr(HpCheckResult) ok = NULL;
	g_autoptr(HpCheckResult) bad = NULL;
	g_autoptr(HpCheckResult) malformed = NULL;

	assert_non_null(checker);
	assert_false(hp_checker_has_libvirt(checker));
	ok = check(checker, DOMAIN("    <hostdev mode='subsystem' type='pci' assigned='no'><source><address bus='1'/></source></hostdev>\n"
				   "    <hostdev mode='subsystem' type='pci'><source><address bus='1' function='1'/></source></hostdev>\n"));
	assert_int_equal(hp_check_result_errors(ok), 0);
	assert_non_null(ok->document);
	assert_non_null(ok->domain);
	assert_int_equal(ok->domain->hostdevs->len, 2);
	assert_false(ok->host_checked);
	/* findings of every layer, in file order */
	bad = check(checker, DOMAIN("    <hostdev mode='subsystem' type='pci' assigned='maybe'><source><address bus='1'/></source></hostdev>\n"
				    "    <hostdev mode='subsystem' type='pci'><source><address bus='1'/></source></hostdev>\n"));
	assert_true(hp_test_count(bad->diags, "schema") >= 1);
	assert_int_equal(hp_test_count(bad->diags, "hostdev-duplicate"), 1);
	assert_sorted(bad->diags);
	/* the loader is the first layer: no document, no model, one finding */
	malformed = check(checker, "<domain><devices></domain>");
	assert_null(malformed->document);
	assert_null(malformed->domain);
	assert_int_equal(hp_test_count(malformed->diags, "xml-malformed"), 1);
	assert_int_equal(malformed->diags->items->len, 1);
}

static void
test_with_libvirt(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpChecker) checker = NULL;
	g_autoptr(HpCheckResult) ext = NULL;
	g_autoptr(HpCheckResult) bad = NULL;

	if (libvirt_dir() == NULL) {
		skip();
		return;
	}
	checker = hp_checker_new(libvirt_dir(), &error);
	assert_non_null(checker);
	assert_true(hp_checker_has_libvirt(checker));
	/* our extensions are taken out before libvirt's grammar sees them */
	ext = check(checker, DOMAIN("    <hostdev mode='subsystem' type='pci' managed='yes' assigned='no'>\n"
				    "      <driver model='vfio_pci'/>\n      <source><address domain='0' bus='1' slot='0' function='0'/></source>\n"
				    "    </hostdev>\n"
				    "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
				    "      <driver name='vfio' model='vfio_pci'/>\n      <source><address domain='0' bus='1' slot='0' function='1'/></source>\n"
				    "    </hostdev>\n"));
	assert_int_equal(hp_test_count(ext->diags, "libvirt-schema"), 0);
	/* and what libvirt's grammar refuses is reported, on its line */
	bad = check(checker, DOMAIN("    <disk type='file' device='nonsense'/>\n"));
	assert_true(hp_test_count(bad->diags, "libvirt-schema") >= 1);
	assert_int_equal(hp_test_count(bad->diags, "schema"), 0);
}

static void
test_libvirt_missing(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpChecker) checker = hp_checker_new("/nonexistent", &error);
	assert_null(checker);
	assert_non_null(error);
}

#define ONE_DEVICE DOMAIN("    <hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>\n")

/* No host and no reason: the host rules are off without a word (--no-host). */
static void
test_host_off(void **state)
{
	g_autoptr(HpChecker) checker = hp_checker_new(NULL, NULL);
	g_autoptr(HpCheckResult) result = check(checker, ONE_DEVICE);

	assert_null(hp_checker_get_host_view(checker));
	assert_false(result->host_checked);
	assert_int_equal(result->diags->items->len, 0);
}

/* Skipped for a reason: exactly one note per document, on the root element,
 * whatever else is found, and none for a document that is not well-formed. */
static void
test_host_skipped(void **state)
{
	g_autoptr(HpChecker) checker = hp_checker_new(NULL, NULL);
	g_autoptr(HpCheckResult) result = NULL;
	g_autoptr(HpCheckResult) twice = NULL;
	g_autoptr(HpCheckResult) malformed = NULL;
	const HpDiag *note;

	hp_checker_skip_host(checker, "no PCI sysfs here");
	result = check(checker, ONE_DEVICE);
	assert_false(result->host_checked);
	assert_int_equal(hp_test_count(result->diags, "host-checks-skipped"), 1);
	note = hp_test_first(result->diags, "host-checks-skipped");
	assert_int_equal(note->severity, HP_SEVERITY_NOTE);
	assert_string_equal(note->message, "host checks skipped: no PCI sysfs here");
	assert_int_equal(note->span.line, 1);
	assert_int_equal(note->span.column, 1);
	twice = check(checker, DOMAIN("    <hostdev mode='subsystem' type='pci'><source><address bus='1'/></source></hostdev>\n"
				      "    <hostdev mode='subsystem' type='pci'><source><address bus='1'/></source></hostdev>\n"));
	assert_int_equal(hp_test_count(twice->diags, "host-checks-skipped"), 1);
	assert_int_equal(hp_test_count(twice->diags, "hostdev-duplicate"), 1);
	assert_sorted(twice->diags);
	malformed = check(checker, "<domain>");
	assert_int_equal(hp_test_count(malformed->diags, "host-checks-skipped"), 0);
}

/* With a host: the host rules run, no note, one sorted list of both layers. */
static void
test_host_set(void **state)
{
	g_autofree gchar *root = empty_host();
	g_autoptr(HpChecker) checker = hp_checker_new(NULL, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(HpCheckResult) result = NULL;
	const HpDiag *first;

	hp_checker_skip_host(checker, "replaced by the host below");
	assert_true(hp_checker_set_host(checker, hp_host_new(root, "6.12.0-hp", NULL), &error));
	assert_null(error);
	assert_non_null(hp_checker_get_host_view(checker));
	result = check(checker, DOMAIN("    <hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>\n"
				       "    <hostdev mode='subsystem' type='pci'><source><address domain='0' bus='010' slot='0' function='0'/></source></hostdev>\n"));
	assert_true(result->host_checked);
	assert_int_equal(hp_test_count(result->diags, "host-checks-skipped"), 0);
	assert_int_equal(hp_test_count(result->diags, "host-device-not-found"), 2);
	assert_int_equal(hp_test_count(result->diags, "pci-address-octal"), 1);
	/* the host finding of line 6 before the static one of line 7 */
	first = g_ptr_array_index(result->diags->items, 0);
	assert_string_equal(first->rule->id, "host-device-not-found");
	assert_int_equal(first->span.line, 6);
	assert_sorted(result->diags);
	hp_test_rm_tree(root);
}

/* A tree without sys/bus/pci/devices is refused once, and changes nothing. */
static void
test_host_without_sysfs(void **state)
{
	g_autofree gchar *root = g_dir_make_tmp("hp-checker-XXXXXX", NULL);
	g_autoptr(HpChecker) checker = hp_checker_new(NULL, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(HpCheckResult) result = NULL;

	hp_checker_skip_host(checker, "still skipped");
	assert_false(hp_checker_set_host(checker, hp_host_new(root, NULL, NULL), &error));
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND));
	assert_non_null(strstr(error->message, "sys/bus/pci/devices"));
	result = check(checker, ONE_DEVICE);
	assert_int_equal(hp_test_count(result->diags, "host-checks-skipped"), 1);
	hp_test_rm_tree(root);
}

static void
test_check_file(void **state)
{
	g_autoptr(HpChecker) checker = hp_checker_new(NULL, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("hp-checker-XXXXXX", NULL);
	g_autofree gchar *path = g_build_filename(dir, "vm.xml", NULL);
	g_autofree gchar *missing = g_build_filename(dir, "missing.xml", NULL);
	g_autoptr(HpCheckResult) result = NULL;
	g_autoptr(HpCheckResult) none = NULL;

	g_assert(g_file_set_contents(path, ONE_DEVICE, -1, NULL));
	result = hp_checker_check_file(checker, path, "shown.xml", &error);
	assert_non_null(result);
	assert_string_equal(result->name, "shown.xml");
	assert_int_equal(hp_check_result_errors(result), 0);
	none = hp_checker_check_file(checker, missing, NULL, &error);
	assert_null(none);
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_NOT_FOUND));
	hp_test_rm_tree(dir);
}

/* The hook's check: a managed='no' device not yet on VFIO is what it binds
 * next, no finding; everything else about the device is still checked. */
static void
test_unmanaged_prepared(void **state)
{
	g_autofree gchar *root = hp_test_host_build(NULL, "driver e1000e\n"
							  "driver vfio-pci module=vfio_pci\n"
							  "device 0000:01:00.0 vendor=8086 device=10d3 driver=e1000e group=1\n"
							  "device 0000:02:00.0 vendor=8086 device=10d3 group=2\n"
							  "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n");
	g_autoptr(HpChecker) checker = hp_checker_new(NULL, NULL);
	const gchar *xml = DOMAIN("    <hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>\n"
				  "    <hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0' bus='2' slot='0' function='0'/></source></hostdev>\n"
				  "    <hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0' bus='3' slot='0' function='0'/></source></hostdev>\n");
	g_autoptr(HpCheckResult) plain = NULL;
	g_autoptr(HpCheckResult) hook = NULL;
	g_autoptr(HpCheckResult) again = NULL;

	assert_true(hp_checker_set_host(checker, hp_host_new(root, "6.12.0-hp", NULL), NULL));
	plain = check(checker, xml);
	assert_int_equal(hp_test_count(plain->diags, "managed-no-not-bound"), 2); /* on e1000e, and driverless */
	hp_checker_set_unmanaged_prepared(checker, TRUE);
	hook = check(checker, xml);
	assert_int_equal(hp_test_count(hook->diags, "managed-no-not-bound"), 0);
	assert_int_equal(hp_test_count(hook->diags, "host-device-not-found"), 1); /* 0000:03:00.0: still an error */
	assert_int_equal(hp_check_result_errors(hook), 1);
	hp_checker_set_unmanaged_prepared(checker, FALSE);
	again = check(checker, xml);
	assert_int_equal(hp_test_count(again->diags, "managed-no-not-bound"), 2);
	hp_test_host_free(g_steal_pointer(&root));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtin_only),
	    cmocka_unit_test(test_with_libvirt),
	    cmocka_unit_test(test_libvirt_missing),
	    cmocka_unit_test(test_host_off),
	    cmocka_unit_test(test_host_skipped),
	    cmocka_unit_test(test_host_set),
	    cmocka_unit_test(test_host_without_sysfs),
	    cmocka_unit_test(test_check_file),
	    cmocka_unit_test(test_unmanaged_prepared),
	};
	return cmocka_run_group_tests_name("checker", tests, NULL, NULL);
}
