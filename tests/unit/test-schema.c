/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include <libxml/tree.h>

#include "hp-schema.h"

static HpSchema *builtin;

static int
setup(void **state)
{
	g_autoptr(GError) error = NULL;
	builtin = hp_schema_new_builtin(&error);
	g_assert_no_error(error);
	return builtin == NULL;
}

static int
teardown(void **state)
{
	g_clear_pointer(&builtin, hp_schema_free);
	return 0;
}

static guint
schema_errors(const gchar *devices)
{
	g_autofree gchar *xml = hp_test_domain(devices);
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	assert_non_null(hdoc);
	hp_schema_validate(builtin, hdoc, diags);
	return hp_test_count(diags, "schema");
}

#define SRC "domain='0x0001' bus='0x09' slot='0x00' function='0x1'"

static void
test_accepts(void **state)
{
	assert_int_equal(schema_errors(HP_HOSTDEV("", SRC, "")), 0);
	assert_int_equal(schema_errors(HP_HOSTDEV(" assigned='no'", SRC, "      <driver name='vfio' model='mlx5_vfio_pci'/>\n")), 0);
	assert_int_equal(schema_errors(HP_HOSTDEV(" assigned='yes'", SRC, "      <address type='pci' bus='1' slot='2'/>\n      <boot order='2'/>\n")), 0);
	assert_int_equal(schema_errors(HP_HOSTDEV("", SRC, "      <address type='unassigned'/>\n")), 0);
	assert_int_equal(schema_errors(HP_HOSTDEV(" assigned='no'", SRC, "      <address type='unassigned'/>\n")), 0);
	/* anything outside PCI host devices */
	assert_int_equal(schema_errors("    <disk foo='bar'><whatever/></disk>\n"
				       "    <hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='1'/></source></hostdev>\n"
				       "    <hostdev mode='capabilities' type='storage'><source><block>/dev/x</block></source></hostdev>\n"
				       "    <interface type='hostdev'><source><address type='pci' bus='1'/></source><mac address='52:54:00:00:00:01'/></interface>\n"
				       "    <interface type='network'><source network='default'/></interface>\n"),
			 0);
}

static void
test_rejects(void **state)
{
	/* assigned where it does not belong */
	assert_int_equal(schema_errors("    <hostdev mode='subsystem' type='usb' assigned='no'><source><vendor id='1'/></source></hostdev>\n"), 1);
	assert_true(schema_errors("    <interface type='hostdev' assigned='no'><source><address type='pci' bus='1'/></source></interface>\n") >= 1);
	/* bad values, missing source (children we do not read are libvirt's:
	 * test_newer_libvirt_accepted) */
	assert_true(schema_errors(HP_HOSTDEV(" assigned='maybe'", SRC, "")) >= 1);
	assert_true(schema_errors("    <hostdev mode='subsystem' type='pci'/>\n") >= 1);
	assert_true(schema_errors(HP_HOSTDEV("", SRC, "      <driver model='bad name!'/>\n")) >= 1);
	/* the two spellings contradicting each other */
	assert_true(schema_errors(HP_HOSTDEV(" assigned='yes'", SRC, "      <address type='unassigned'/>\n")) >= 1);
	/* a source address of another kind */
	assert_true(schema_errors("    <hostdev mode='subsystem' type='pci'><source><address type='pci' bus='1'/></source></hostdev>\n") >= 1);
}

static void
test_root_must_be_domain(void **state)
{
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc("<network><name>x</name></network>", diags);
	hp_schema_validate(builtin, hdoc, diags);
	assert_int_equal(hp_test_count(diags, "schema"), 1);
}

static void
test_hint(void **state)
{
	g_autofree gchar *xml = hp_test_domain("    <hostdev mode='subsystem' type='usb' assigned='no'><source><vendor id='1'/></source></hostdev>\n");
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	const HpDiag *d;
	hp_schema_validate(builtin, hdoc, diags);
	d = hp_test_first(diags, "schema");
	assert_non_null(d);
	assert_int_equal(d->span.line, 4);
	assert_int_equal(d->span.column, 5);
	assert_non_null(strstr(d->message, "assigned= is only for <hostdev mode='subsystem' type='pci'>"));
}

/* SPEC section 6: ours constrains only what the tool reads; what a newer
 * libvirt added to host devices is libvirt's grammar's to judge. */
static void
test_newer_libvirt_accepted(void **state)
{
	assert_int_equal(schema_errors("    <hostdev mode='subsystem' type='pci' managed='yes' display='on' ramfb='on' future='1'>\n"
				       "      <driver name='vfio' iommufd='on' model='nvgrace_gpu_vfio_pci'/>\n"
				       "      <source startupPolicy='optional' future='x'><address " SRC " future='y'/></source>\n"
				       "      <rom file=''/>\n"
				       "      <rom bar='on' enabled='yes' file='/x.rom' future='z'/>\n"
				       "      <acpi nodeset='0-1'/>\n"
				       "      <some-future-child a='b'><nested/></some-future-child>\n"
				       "      <alias name='ua hostdev 1'/>\n"
				       "      <boot order='0'/>\n"
				       "      <address type='pci' " SRC " multifunction='on' future='1'><zpci uid='0x1'/></address>\n"
				       "    </hostdev>\n"),
			 0);
	assert_int_equal(schema_errors(HP_HOSTDEV(" assigned='no'", SRC, "      <driver iommufd='on'><future/></driver>\n")), 0);
	assert_int_equal(schema_errors(HP_HOSTDEV("", SRC, "      <address type='pci'/>\n")), 0);
}

/* What we read stays constrained. */
static void
test_read_parts_constrained(void **state)
{
	/* assigned= on a device that is not a PCI subsystem hostdev, on an interface */
	assert_int_equal(schema_errors("    <hostdev mode='subsystem' type='mdev' display='on' assigned='no'><source><address uuid='x'/></source></hostdev>\n"), 1);
	assert_int_equal(schema_errors("    <interface type='hostdev' assigned='no'><source><address type='pci' bus='1'/></source></interface>\n"), 1);
	/* assigned is yes or no; managed too; multifunction on or off */
	assert_int_equal(schema_errors(HP_HOSTDEV(" assigned='maybe'", SRC, "")), 1);
	assert_int_equal(schema_errors("    <hostdev mode='subsystem' type='pci' managed='sure'><source><address " SRC "/></source></hostdev>\n"), 1);
	assert_int_equal(schema_errors(HP_HOSTDEV("", SRC, "      <address type='pci' bus='1' multifunction='yes'/>\n")), 1);
	/* <driver model> is a kernel driver name */
	assert_int_equal(schema_errors(HP_HOSTDEV("", SRC, "      <driver model='a b;c'/>\n")), 1);
	/* the unassigned form: empty, and not with assigned='yes' */
	assert_int_equal(schema_errors(HP_HOSTDEV(" assigned='yes'", SRC, "      <address type='unassigned'/>\n")), 1);
	assert_int_equal(schema_errors(HP_HOSTDEV("", SRC, "      <address type='unassigned' bus='1'/>\n")), 1);
	/* a PCI hostdev names its host function, once */
	assert_int_equal(schema_errors("    <hostdev mode='subsystem' type='pci'><rom file=''/></hostdev>\n"), 1);
	assert_true(schema_errors("    <hostdev mode='subsystem' type='pci'><source/></hostdev>\n") >= 1);
	assert_true(schema_errors("    <hostdev mode='subsystem' type='pci'><source><address " SRC "/></source><source><address " SRC "/></source></hostdev>\n") >= 1);
	/* one guest address */
	assert_true(schema_errors(HP_HOSTDEV("", SRC, "      <address type='pci' bus='1'/>\n      <address type='pci' bus='2'/>\n")) >= 1);
	/* a source address of another kind */
	assert_true(schema_errors("    <hostdev mode='subsystem' type='pci'><source><address type='usb' bus='1'/></source></hostdev>\n") >= 1);
}

static void
test_strip_extensions(void **state)
{
	g_autofree gchar *with = hp_test_domain(HP_HOSTDEV(" assigned='no'", SRC, "      <driver name='vfio' model='x'/>\n"));
	g_autofree gchar *without = hp_test_domain(HP_HOSTDEV("", SRC, ""));
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) a = hp_test_doc(with, diags);
	g_autoptr(HpDocument) b = hp_test_doc(without, diags);
	g_autoptr(xmlDoc) stripped = hp_schema_strip_extensions(a->doc);
	xmlNode *hostdev;

	assert_non_null(stripped);
	assert_null(hp_schema_strip_extensions(b->doc));
	/* <domain><name/><devices><hostdev><source/><driver/></hostdev> */
	hostdev = xmlFirstElementChild(xmlLastElementChild(xmlDocGetRootElement(stripped)));
	assert_non_null(hostdev);
	assert_string_equal((const char *)hostdev->name, "hostdev");
	assert_null(xmlHasProp(hostdev, (const xmlChar *)"assigned"));
	assert_string_equal((const char *)xmlLastElementChild(hostdev)->name, "driver");
	assert_null(xmlHasProp(xmlLastElementChild(hostdev), (const xmlChar *)"model"));
	assert_non_null(xmlHasProp(xmlLastElementChild(hostdev), (const xmlChar *)"name"));
	/* line numbers survive the copy, so findings point at the original */
	assert_int_equal(xmlGetLineNo(hostdev), 4);
	/* the original is untouched */
	assert_non_null(strstr(with, "assigned='no'"));
}

static void
test_libvirt_missing(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpSchema) s = hp_schema_new_libvirt("/nonexistent", &error);
	assert_null(s);
	assert_non_null(error);
	assert_non_null(strstr(error->message, "--no-libvirt-schemas"));
}

/* hp-schema.h's thread contract: grammars compiled on several threads at
 * once, and one grammar shared by several validating threads. */
static gint thread_failures;

static gpointer
validate_worker(gpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpSchema) own = hp_schema_new_builtin(&error);

	if (own == NULL)
		g_atomic_int_inc(&thread_failures);
	for (guint i = 0; i < 30; i++) {
		if (schema_errors(HP_HOSTDEV(" assigned='no'", SRC, "      <driver iommufd='on' model='x'/>\n")) != 0 ||
		    schema_errors("    <hostdev mode='subsystem' type='usb' assigned='no'><source/></hostdev>\n") != 1)
			g_atomic_int_inc(&thread_failures);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	GThread *threads[4];
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		threads[i] = g_thread_new("validate", validate_worker, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
		g_thread_join(threads[i]);
	assert_int_equal(g_atomic_int_get(&thread_failures), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts),
	    cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_newer_libvirt_accepted),
	    cmocka_unit_test(test_read_parts_constrained),
	    cmocka_unit_test(test_root_must_be_domain),
	    cmocka_unit_test(test_hint),
	    cmocka_unit_test(test_strip_extensions),
	    cmocka_unit_test(test_libvirt_missing),
	    cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests_name("schema", tests, setup, teardown);
}
