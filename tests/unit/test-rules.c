/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include "hp-domain.h"
#include "hp-rules.h"

#define SRC(f) "domain='0x0001' bus='0x09' slot='0x00' function='" f "'"
#define GUEST(slot, f, extra) "      <address type='pci' domain='0x0000' bus='0x01' slot='" slot "' function='" f "'" extra "/>\n"

/* Runs the model and the static rules on a domain with @devices. */
static HpDiagList *
check(const gchar *devices)
{
	g_autofree gchar *xml = hp_test_domain(devices);
	HpDiagList *diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(HpDomain) domain = NULL;
	assert_non_null(hdoc);
	domain = hp_domain_parse(hdoc, diags);
	hp_rules_check_static(hdoc, domain, diags);
	return diags;
}

static void
test_seed_passes(void **state)
{
	g_autoptr(HpDiagList) diags = check(HP_HOSTDEV("", SRC("0x0"), GUEST("0x01", "0x0", " multifunction='on'"))
					    HP_HOSTDEV(" assigned='no'", SRC("0x1"), "")
					    HP_HOSTDEV(" assigned='no'", SRC("0x2"), "")
					    HP_HOSTDEV("", SRC("0x3"), GUEST("0x01", "0x3", "")));
	assert_int_equal(diags->items->len, 0);
}

static void
test_model(void **state)
{
	g_autofree gchar *xml = hp_test_domain(
	    HP_HOSTDEV(" assigned='no'", SRC("0x1"), "      <driver model='mlx5_vfio_pci'/>\n")
		"    <hostdev mode='subsystem' type='pci'>\n      <source><address domain='0' bus='9' slot='0' function='2'/></source>\n"
		"      <address type='unassigned'/>\n    </hostdev>\n"
		"    <interface type='hostdev' managed='yes'>\n      <source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x1'/></source>\n    </interface>\n"
		"    <interface type='hostdev'>\n      <source><address type='usb' bus='1' device='2'/></source>\n    </interface>\n"
		"    <hostdev mode='subsystem' type='usb'>\n      <source><vendor id='0x1'/><product id='0x2'/></source>\n    </hostdev>\n");
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(HpDomain) domain = hp_domain_parse(hdoc, diags);
	HpHostdev *a, *b, *c;

	assert_string_equal(domain->name, "t");
	assert_int_equal(domain->hostdevs->len, 3);
	a = g_ptr_array_index(domain->hostdevs, 0);
	b = g_ptr_array_index(domain->hostdevs, 1);
	c = g_ptr_array_index(domain->hostdevs, 2);
	assert_false(a->assigned);
	assert_true(a->assigned_attr);
	assert_true(a->managed);
	assert_string_equal(a->driver_model, "mlx5_vfio_pci");
	assert_false(b->assigned);
	assert_true(b->unassigned_address);
	assert_false(b->managed);
	assert_int_equal(b->source.bus, 9);
	assert_int_equal(b->source.function, 2);
	assert_int_equal(c->kind, HP_HOSTDEV_KIND_INTERFACE);
	assert_true(c->assigned);
	assert_int_equal(c->source.slot, 0x10);
}

static void
test_address_invalid_and_octal(void **state)
{
	g_autoptr(HpDiagList) bad = check(HP_HOSTDEV("", "domain='0x10000' bus='x' slot='0x20' function='8'", ""));
	g_autoptr(HpDiagList) octal = check(HP_HOSTDEV("", "domain='0' bus='010' slot='00' function='0'", ""));
	/* libvirt's own files write bus='00': the same in both readings */
	g_autoptr(HpDiagList) same = check(HP_HOSTDEV("", "domain='0000' bus='00' slot='07' function='0'", ""));
	g_autoptr(HpDiagList) good = check(HP_HOSTDEV("", "domain='65535' bus='255' slot='31' function='7'", ""));
	const HpDiag *d;

	assert_int_equal(hp_test_count(bad, "pci-address-invalid"), 4);
	assert_int_equal(hp_test_count(octal, "pci-address-octal"), 1);
	assert_int_equal(hp_test_count(octal, "pci-address-invalid"), 0);
	assert_int_equal(same->items->len, 0);
	d = hp_test_first(octal, "pci-address-octal");
	assert_non_null(strstr(d->message, "octal 8"));
	/* at the attribute: "      <source><address domain='0' bus=" */
	assert_int_equal(d->span.line, 5);
	assert_int_equal(d->span.column, 35);
	assert_int_equal(d->span.end_column, 35 + (guint)strlen("bus='010'"));
	assert_int_equal(d->severity, HP_SEVERITY_WARNING);
	assert_int_equal(good->items->len, 0);
}

static void
test_duplicate(void **state)
{
	g_autoptr(HpDiagList) dup = check(HP_HOSTDEV("", SRC("0x0"), "")
					      "    <interface type='hostdev'>\n      <source><address type='pci' domain='1' bus='9' slot='0' function='0'/></source>\n    </interface>\n");
	g_autoptr(HpDiagList) fine = check(HP_HOSTDEV("", SRC("0x0"), "") HP_HOSTDEV("", SRC("0x1"), ""));
	const HpDiag *d = hp_test_first(dup, "hostdev-duplicate");
	gchar bdf[HP_PCI_ADDRESS_STRLEN];

	assert_non_null(d);
	assert_true(d->has_device);
	assert_string_equal(hp_pci_address_to_string(&d->device, bdf), "0001:09:00.0");
	assert_int_equal(hp_test_count(fine, "hostdev-duplicate"), 0);
}

static void
test_unassigned_guest_address(void **state)
{
	g_autoptr(HpDiagList) bad = check(HP_HOSTDEV("", SRC("0x0"), GUEST("0x01", "0x0", " multifunction='on'"))
					      HP_HOSTDEV(" assigned='no'", SRC("0x1"), GUEST("0x01", "0x1", "")));
	g_autoptr(HpDiagList) good = check(HP_HOSTDEV("", SRC("0x0"), GUEST("0x01", "0x0", ""))
					       HP_HOSTDEV(" assigned='no'", SRC("0x1"), ""));
	const HpDiag *d = hp_test_first(bad, "unassigned-has-guest-address");
	assert_non_null(d);
	assert_int_equal(d->device.function, 1);
	assert_int_equal(hp_test_count(good, "unassigned-has-guest-address"), 0);
}

static void
test_unassigned_guest_settings(void **state)
{
	g_autoptr(HpDiagList) bad = check(HP_HOSTDEV("", SRC("0x0"), "")
					      HP_HOSTDEV(" assigned='no'", SRC("0x1"),
							 "      <alias name='ua-x'/>\n      <boot order='1'/>\n      <rom bar='off'/>\n"
							 "      <acpi index='3'/>\n      <teaming type='persistent'/>\n"));
	g_autoptr(HpDiagList) unassigned_form = check(HP_HOSTDEV("", SRC("0x0"), "")
							  HP_HOSTDEV("", SRC("0x1"), "      <boot order='1'/>\n      <address type='unassigned'/>\n"));
	g_autoptr(HpDiagList) good = check(HP_HOSTDEV("", SRC("0x0"), "      <boot order='1'/>\n      <alias name='ua-x'/>\n")
					       HP_HOSTDEV(" assigned='no'", SRC("0x1"), ""));
	assert_int_equal(hp_test_count(bad, "unassigned-has-guest-settings"), 5);
	assert_int_equal(hp_test_count(unassigned_form, "unassigned-has-guest-settings"), 1);
	assert_int_equal(hp_test_count(good, "unassigned-has-guest-settings"), 0);
}

static void
test_guest_conflict(void **state)
{
	g_autoptr(HpDiagList) bad = check(HP_HOSTDEV("", SRC("0x0"), GUEST("0x02", "0x0", ""))
					      "    <disk type='file' device='disk'>\n"
					      "      <address type='pci' domain='0' bus='1' slot='2' function='0'/>\n    </disk>\n");
	g_autoptr(HpDiagList) console = check("    <serial type='pty'>\n      <address type='pci' domain='0' bus='0' slot='4' function='0'/>\n    </serial>\n"
					      "    <console type='pty'>\n      <address type='pci' domain='0' bus='0' slot='4' function='0'/>\n    </console>\n");
	g_autoptr(HpDiagList) autofill = check(HP_HOSTDEV("", SRC("0x0"), "      <address type='pci'/>\n")
					       HP_HOSTDEV("", SRC("0x1"), "      <address type='pci'/>\n"));
	g_autoptr(HpDiagList) good = check(HP_HOSTDEV("", SRC("0x0"), GUEST("0x02", "0x0", ""))
					       HP_HOSTDEV("", SRC("0x1"), GUEST("0x03", "0x0", "")));
	assert_int_equal(hp_test_count(bad, "guest-address-conflict"), 1);
	assert_int_equal(hp_test_count(console, "guest-address-conflict"), 0);
	assert_int_equal(hp_test_count(autofill, "guest-address-conflict"), 0);
	assert_int_equal(good->items->len, 0);
}

static void
test_guest_function_zero(void **state)
{
	g_autoptr(HpDiagList) bad = check(HP_HOSTDEV("", SRC("0x0"), GUEST("0x02", "0x1", ""))
					      HP_HOSTDEV("", SRC("0x1"), GUEST("0x02", "0x2", "")));
	/* emulated devices only: machine types have implicit function 0 devices */
	g_autoptr(HpDiagList) emulated = check("    <controller type='usb'>\n      <address type='pci' domain='0' bus='0' slot='1' function='2'/>\n    </controller>\n");
	/* function 0 held by an emulated device counts */
	g_autoptr(HpDiagList) mixed = check("    <controller type='usb'>\n      <address type='pci' domain='0' bus='1' slot='2' function='0' multifunction='on'/>\n    </controller>\n"
					    HP_HOSTDEV("", SRC("0x1"), GUEST("0x02", "0x1", "")));
	const HpDiag *d = hp_test_first(bad, "guest-function-zero-missing");
	assert_non_null(d);
	assert_non_null(strstr(d->message, "0000:01:02"));
	assert_int_equal(hp_test_count(bad, "guest-function-zero-missing"), 1);
	assert_int_equal(emulated->items->len, 0);
	assert_int_equal(mixed->items->len, 0);
}

static void
test_guest_multifunction_off(void **state)
{
	g_autoptr(HpDiagList) bad = check(HP_HOSTDEV("", SRC("0x0"), GUEST("0x02", "0x0", ""))
					      HP_HOSTDEV("", SRC("0x1"), GUEST("0x02", "0x1", "")));
	g_autoptr(HpDiagList) good = check(HP_HOSTDEV("", SRC("0x0"), GUEST("0x02", "0x0", " multifunction='on'"))
					       HP_HOSTDEV("", SRC("0x1"), GUEST("0x02", "0x1", "")));
	g_autoptr(HpDiagList) alone = check(HP_HOSTDEV("", SRC("0x0"), GUEST("0x02", "0x0", "")));
	const HpDiag *d = hp_test_first(bad, "guest-multifunction-off");
	assert_non_null(d);
	assert_int_equal(d->severity, HP_SEVERITY_WARNING);
	assert_int_equal(good->items->len, 0);
	assert_int_equal(alone->items->len, 0);
}

static void
test_all_functions_unassigned(void **state)
{
	g_autoptr(HpDiagList) bad = check(HP_HOSTDEV(" assigned='no'", SRC("0x0"), "")
					      HP_HOSTDEV("", SRC("0x1"), "      <address type='unassigned'/>\n"));
	g_autoptr(HpDiagList) good = check(HP_HOSTDEV(" assigned='no'", SRC("0x0"), "") HP_HOSTDEV("", SRC("0x1"), ""));
	const HpDiag *d = hp_test_first(bad, "all-functions-unassigned");
	assert_non_null(d);
	assert_int_equal(hp_test_count(bad, "all-functions-unassigned"), 1);
	assert_int_equal(d->severity, HP_SEVERITY_WARNING);
	assert_int_equal(hp_test_count(good, "all-functions-unassigned"), 0);
}

/* libvirt's parser reads the hostdevs of every <devices> (./devices/hostdev),
 * and so do the schema layer and the model. */
static void
test_several_devices(void **state)
{
	const gchar *xml = "<domain type='kvm'><name>t</name>\n"
			   "<devices>\n" HP_HOSTDEV("", SRC("0x0"), "") "</devices>\n"
			   "<devices>\n" HP_HOSTDEV("", SRC("0x0"), "") "</devices>\n</domain>\n";
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(HpDomain) domain = hp_domain_parse(hdoc, diags);
	const HpDiag *d;

	assert_int_equal(domain->hostdevs->len, 2);
	hp_rules_check_static(hdoc, domain, diags);
	d = hp_test_first(diags, "hostdev-duplicate");
	assert_non_null(d);
	assert_int_equal(d->span.line, 8);
	assert_int_equal(d->span.column, 5);
	assert_non_null(strstr(d->message, "on line 3"));
}

/* Spans come from the model; two same-named elements on one line each have
 * their own. */
static void
test_spans_one_line(void **state)
{
	const gchar *xml = "<domain><name>\xc3\xa9</name><devices>"
			   "<hostdev mode='subsystem' type='pci' assigned='no'><source><address domain='0' bus='1' slot='0' function='0'/></source><boot order='1'/></hostdev>"
			   "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>"
			   "</devices></domain>";
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(HpDomain) domain = hp_domain_parse(hdoc, diags);
	const HpHostdev *a, *b;
	const HpDiag *d;
	guint second = (guint)g_utf8_pointer_to_offset(xml, strstr(xml, "<hostdev mode='subsystem' type='pci'>")) + 1;

	assert_int_equal(domain->hostdevs->len, 2);
	a = g_ptr_array_index(domain->hostdevs, 0);
	b = g_ptr_array_index(domain->hostdevs, 1);
	assert_int_equal(a->span.column, 32); /* é is one character */
	assert_int_equal(b->span.column, second);
	assert_int_equal(a->guest_setting_spans[1].column,
			 (guint)g_utf8_pointer_to_offset(xml, strstr(xml, "<boot")) + 1);
	assert_int_equal(b->source_span.column,
			 (guint)g_utf8_pointer_to_offset(xml, strstr(xml + second, "<address")) + 1);
	hp_rules_check_static(hdoc, domain, diags);
	d = hp_test_first(diags, "hostdev-duplicate");
	assert_non_null(d);
	assert_int_equal(d->span.column, second);
	d = hp_test_first(diags, "unassigned-has-guest-settings");
	assert_non_null(d);
	assert_int_equal(d->span.column, a->guest_setting_spans[1].column);
}

/* 10,000 host devices: every rule still right (and each one linear: the
 * timing is benchmarks/domain-scale.py's, never a test's). */
static void
test_ten_thousand_hostdevs(void **state)
{
	g_autoptr(GString) devices = g_string_new(NULL);
	g_autoptr(HpDiagList) diags = NULL;
	guint n = 0;

	/* 1,250 host slots of 8 functions; slots whose number is a multiple
	 * of 10 have every function unassigned; guest slot = host slot % 32 on
	 * guest bus host slot / 32 + 1, function 0 multifunction except on
	 * guest bus 7, and every 100th device repeats the one before it */
	for (guint slot = 0; slot < 1250; slot++) {
		for (guint f = 0; f < 8; f++) {
			gboolean unassigned = slot % 10 == 0;
			guint host = slot % 100 == 99 && f == 7 ? 6 : f; /* a duplicate */
			g_string_append_printf(devices,
					       "<hostdev mode='subsystem' type='pci'%s><source><address domain='0' bus='0x%x' slot='0x%x' function='%u'/></source>",
					       unassigned ? " assigned='no'" : "", 0x10 + slot / 32, slot % 32, host);
			if (!unassigned)
				g_string_append_printf(devices,
						       "<address type='pci' domain='0' bus='0x%x' slot='0x%x' function='%u'%s/>",
						       slot / 32 + 1, slot % 32, f,
						       f == 0 && slot / 32 + 1 != 7 ? " multifunction='on'" : "");
			g_string_append(devices, "</hostdev>\n");
			n++;
		}
	}
	assert_int_equal(n, 10000);
	diags = check(devices->str);
	/* slots 99, 199, ... 1199: 12, none of them unassigned */
	assert_int_equal(hp_test_count(diags, "hostdev-duplicate"), 12);
	assert_int_equal(hp_test_count(diags, "all-functions-unassigned"), 125);
	/* guest bus 7 holds host slots 192..223: 32 slots, minus the 3
	 * unassigned ones (200, 210, 220) */
	assert_int_equal(hp_test_count(diags, "guest-multifunction-off"), 29);
	assert_int_equal(hp_test_count(diags, "guest-address-conflict"), 0);
	assert_int_equal(hp_test_count(diags, "guest-function-zero-missing"), 0);
	assert_int_equal(diags->items->len, 12 + 125 + 29);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed_passes),
	    cmocka_unit_test(test_model),
	    cmocka_unit_test(test_address_invalid_and_octal),
	    cmocka_unit_test(test_several_devices),
	    cmocka_unit_test(test_spans_one_line),
	    cmocka_unit_test(test_ten_thousand_hostdevs),
	    cmocka_unit_test(test_duplicate),
	    cmocka_unit_test(test_unassigned_guest_address),
	    cmocka_unit_test(test_unassigned_guest_settings),
	    cmocka_unit_test(test_guest_conflict),
	    cmocka_unit_test(test_guest_function_zero),
	    cmocka_unit_test(test_guest_multifunction_off),
	    cmocka_unit_test(test_all_functions_unassigned),
	};
	return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
