/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host rules against trees built from .host descriptions: each rule this
 * module changed has a case that trips it and one that passes. */
#include "hp-test-host.h"

#include "hp-domain.h"
#include "hp-host-rules.h"
#include "hp-reset.h"

#define BCM_HOST "bcm5719"

/* Runs the host rules on @devices (the inside of <devices>) against a tree
 * from @host_name plus @extra. */
static HpDiagList *
check(const gchar *host_name, const gchar *extra, const gchar *devices)
{
	g_autofree gchar *root = hp_test_host_build(host_name, extra);
	g_autofree gchar *xml = hp_test_domain(devices);
	HpDiagList *diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(HpDomain) domain = hp_domain_parse(hdoc, diags);
	g_autoptr(HpHostView) view = hp_host_view_new(hp_host_new(root, "6.12.0-hp", NULL));

	hp_host_rules_check(view, hdoc, domain, diags);
	hp_test_host_free(g_steal_pointer(&root));
	return diags;
}

static gchar *
hostdev(const gchar *bdf, const gchar *managed)
{
	HpPciAddress a;
	g_assert(hp_pci_address_parse_bdf(bdf, &a));
	return g_strdup_printf("    <hostdev mode='subsystem' type='pci' managed='%s'>\n"
			       "      <source><address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/></source>\n"
			       "    </hostdev>\n",
			       managed, a.domain, a.bus, a.slot, a.function);
}

static const gchar *group_host = "driver e1000e\n"
				 "driver vfio-pci module=vfio_pci\n"
				 "device 0000:01:00.0 vendor=8086 device=10d3 driver=e1000e group=1\n"
				 "device 0000:02:00.0 vendor=8086 device=10d3 group=1\n";

/* A group member whose driver link cannot be read may hold the group. */
static void
test_group_unknown_driver(void **state)
{
	g_autofree gchar *dev = hostdev("0000:01:00.0", "yes");
	g_autofree gchar *loop = g_strconcat(group_host, "link sys/devices/pci0000:02/0000:02:00.0/driver driver\n", NULL);
	g_autoptr(HpDiagList) bad = check(NULL, loop, dev);
	g_autoptr(HpDiagList) good = check(NULL, group_host, dev);
	const HpDiag *d = hp_test_first(bad, "iommu-group-not-viable");

	assert_non_null(d);
	assert_non_null(strstr(d->message, "driver link cannot be read"));
	assert_true(d->has_device);
	assert_int_equal(d->device.bus, 2);
	assert_int_equal(hp_test_count(good, "iommu-group-not-viable"), 0); /* no driver: viable */
}

/* A declared managed='no' device on an unknown driver is not known to be on VFIO. */
static void
test_declared_unknown_driver(void **state)
{
	g_autofree gchar *dev = hostdev("0000:01:00.0", "no");
	g_autofree gchar *out = g_strconcat(group_host, "link sys/devices/pci0000:01/0000:01:00.0/driver ../../../../../etc\n", NULL);
	g_autofree gchar *vfio = g_strconcat("driver vfio-pci module=vfio_pci\n",
					     "device 0000:01:00.0 vendor=8086 device=10d3 driver=vfio-pci group=1\n", NULL);
	g_autoptr(HpDiagList) bad = check(NULL, out, dev);
	g_autoptr(HpDiagList) good = check(NULL, vfio, dev);
	const HpDiag *d = hp_test_first(bad, "managed-no-not-bound");

	assert_non_null(d);
	assert_non_null(strstr(d->message, "driver link cannot be read"));
	assert_int_equal(hp_test_count(good, "managed-no-not-bound"), 0);
}

/* The hostile module name of issue 8: a finding, never a choice. */
static void
test_hostile_module_name(void **state)
{
	g_autofree gchar *f0 = hostdev("0001:09:00.0", "yes");
	g_autofree gchar *f1 = hostdev("0001:09:00.1", "yes");
	g_autofree gchar *f2 = hostdev("0001:09:00.2", "yes");
	g_autofree gchar *f3 = hostdev("0001:09:00.3", "yes");
	g_autofree gchar *all = g_strconcat(f0, f1, f2, f3, NULL);
	g_autoptr(HpDiagList) bad = check(BCM_HOST, "alias vfio_pci:v000014E4d00001657sv*sd*bc*sc*i* x$(touch${IFS}PWNED)\n", all);
	g_autoptr(HpDiagList) good = check(BCM_HOST, NULL, all);
	const HpDiag *d = hp_test_first(bad, "host-file-malformed");

	assert_non_null(d);
	assert_non_null(strstr(d->message, "lib/modules/6.12.0-hp/modules.alias:"));
	assert_non_null(strstr(d->message, "1 line is not 'alias PATTERN MODULE'"));
	assert_int_equal(d->span.line, 4); /* the first declared device */
	assert_int_equal(hp_test_count(bad, "host-file-malformed"), 1);
	assert_int_equal(hp_test_count(good, "host-file-malformed"), 0);
}

static void
test_hostile_module_never_chosen(void **state)
{
	g_autofree gchar *root = hp_test_host_build(BCM_HOST, "alias vfio_pci:v000014E4d00001657sv*sd*bc*sc*i* x$(touch${IFS}PWNED)\n");
	g_autoptr(HpHostView) view = hp_host_view_new(hp_host_new(root, "6.12.0-hp", NULL));
	HpPciAddress a = {1, 9, 0, 0};
	const HpPciDevice *pci = hp_host_view_device(view, &a, NULL);
	const HpModAlias *ma = hp_host_view_modalias(view, NULL);
	const HpVfioAlias *alias;

	assert_non_null(ma);
	alias = hp_modalias_match_vfio(ma, pci->modalias);
	assert_true(alias == NULL || g_strcmp0(alias->module, "vfio_pci") == 0);
	assert_false(hp_modalias_has_module(ma, "x$(touch${IFS}PWNED)"));
	assert_int_equal(ma->malformed, 1);
	hp_test_host_free(g_steal_pointer(&root));
}

/* A driver name with control bytes: host-file-malformed, its bytes escaped. */
static void
test_hostile_driver_name(void **state)
{
	g_autofree gchar *dev = hostdev("0000:01:00.0", "yes");
	g_autofree gchar *host = g_strconcat(group_host, "link sys/devices/pci0000:02/0000:02:00.0/driver ../../../bus/pci/drivers/\\xff\\xfe\\x1b[31m\n", NULL);
	g_autoptr(HpDiagList) diags = check(NULL, host, dev);
	const HpDiag *d = hp_test_first(diags, "host-file-malformed");

	assert_non_null(d);
	assert_non_null(strstr(d->message, "sys/bus/pci/devices/0000:02:00.0/driver"));
	assert_non_null(strstr(d->message, "\\xff\\xfe\\x1b[31m"));
	for (guint i = 0; i < diags->items->len; i++) {
		const HpDiag *any = g_ptr_array_index(diags->items, i);
		assert_null(strchr(any->message, '\x1b'));
		assert_true(g_utf8_validate(any->message, -1, NULL));
	}
	assert_int_equal(hp_test_count(diags, "iommu-group-not-viable"), 1); /* and the group is not viable */
}

static void
test_garbled_device_file(void **state)
{
	g_autofree gchar *dev = hostdev("0000:01:00.0", "yes");
	g_autofree gchar *fifo = g_strconcat(group_host, "fifo sys/devices/pci0000:01/0000:01:00.0/vendor\n",
					     "file sys/devices/pci0000:01/0000:01:00.0/class \\xff\\n\n", NULL);
	g_autoptr(HpDiagList) bad = check(NULL, fifo, dev);
	g_autoptr(HpDiagList) good = check(NULL, group_host, dev);

	assert_int_equal(hp_test_count(bad, "host-file-malformed"), 2); /* class, vendor */
	assert_non_null(strstr(hp_test_first(bad, "host-file-malformed")->message, "/class holds '\\xff', not a hex number"));
	assert_int_equal(hp_test_count(good, "host-file-malformed"), 0);
}

/* modules.alias over 64 MiB or a FIFO: refused with a finding, no hang. */
static void
test_modalias_refused(void **state)
{
	g_autofree gchar *dev = hostdev("0000:01:00.0", "yes");
	g_autofree gchar *big = g_strconcat(group_host, "sparse lib/modules/6.12.0-hp/modules.alias 65M\n", NULL);
	g_autofree gchar *fifo = g_strconcat(group_host, "fifo lib/modules/6.12.0-hp/modules.alias\n", NULL);
	g_autoptr(HpDiagList) d1 = check(NULL, big, dev);
	g_autoptr(HpDiagList) d2 = check(NULL, fifo, dev);
	g_autoptr(HpDiagList) d3 = check(NULL, group_host, dev);

	assert_int_equal(hp_test_count(d1, "host-file-malformed"), 1);
	assert_non_null(strstr(hp_test_first(d1, "host-file-malformed")->message, "over 64 MiB"));
	assert_int_equal(hp_test_count(d1, "modules-alias-missing"), 0);
	assert_non_null(strstr(hp_test_first(d2, "host-file-malformed")->message, "is a FIFO"));
	assert_int_equal(hp_test_count(d3, "host-file-malformed"), 0);
}

/* Many cards, function 0 of each left out: one finding per card, at its
 * first declared function (the slot index). */
static void
test_slots_indexed(void **state)
{
	g_autoptr(GString) host = g_string_new("driver tg3\n");
	g_autoptr(GString) devs = g_string_new(NULL);
	g_autoptr(HpDiagList) diags = NULL;

	for (guint bus = 1; bus <= 40; bus++) {
		for (guint f = 0; f < 4; f++) {
			g_autofree gchar *bdf = g_strdup_printf("0000:%02x:00.%u", bus, f);
			g_string_append_printf(host, "device %s vendor=14e4 device=1657 driver=tg3 group=%u header=0x80\n", bdf, bus);
			if (f > 0) {
				g_autofree gchar *hd = hostdev(bdf, "yes");
				g_string_append(devs, hd);
			}
		}
	}
	diags = check(NULL, host->str, devs->str);
	assert_int_equal(hp_test_count(diags, "multifunction-incomplete"), 40);
	for (guint i = 0; i < diags->items->len; i++) {
		const HpDiag *d = g_ptr_array_index(diags->items, i);
		if (g_strcmp0(d->rule->id, "multifunction-incomplete") != 0)
			continue;
		assert_int_equal(d->device.function, 0);
		/* each card's first declared function: 3 hostdevs of 3 lines each a card */
		assert_int_equal(d->span.line, 4 + (d->device.bus - 1) * 9);
	}
}

/* Functions without physfn links and no config: the message says the links
 * may be missing, not that VFs are "not SR-IOV VFs". */
static void
test_vf_message(void **state)
{
	g_autofree gchar *dev = hostdev("0000:03:00.1", "yes");
	const gchar *host = "device 0000:03:00.0 vendor=15b3 device=101e group=1 no-config\n"
			    "device 0000:03:00.1 vendor=15b3 device=101e group=1 no-config\n"
			    "device 0000:03:00.2 vendor=15b3 device=101e group=1 no-config\n";
	g_autoptr(HpDiagList) diags = check(NULL, host, dev);
	const HpDiag *d = hp_test_first(diags, "multifunction-incomplete");

	assert_non_null(d);
	assert_non_null(strstr(d->message, "3 functions without a physfn link"));
	assert_non_null(strstr(d->message, "physfn links are missing"));
	assert_null(strstr(d->message, "not SR-IOV VFs"));
}

static void
test_iommu_advice(void **state)
{
	g_autofree gchar *dev = hostdev("0000:05:00.0", "yes");
	g_autoptr(HpDiagList) diags = check("iommu-off", NULL, dev);
	const HpDiag *d = hp_test_first(diags, "iommu-missing");

	assert_non_null(d);
	assert_non_null(strstr(d->message, "intel_iommu=on"));
	assert_null(strstr(d->message, "amd_iommu=on"));
	assert_non_null(strstr(d->message, "amd_iommu=off"));
}

/* A device with @len bytes of config space, the capabilities @caps (id,
 * then the bytes after id and next) chained from 0x40. */
static HpPciDevice *
config_dev(gsize len, const guint8 *const *caps, guint ncaps)
{
	HpPciDevice *dev = g_new0(HpPciDevice, 1);
	guint pos = 0x40;

	dev->config = g_malloc0(256);
	dev->config_len = len;
	dev->header_type = 0;
	dev->problems = g_hash_table_new(g_str_hash, g_str_equal);
	dev->malformed = g_hash_table_new(g_str_hash, g_str_equal);
	if (ncaps > 0) {
		dev->config[0x06] = 0x10;
		dev->config[0x34] = 0x40;
	}
	for (guint i = 0; i < ncaps; i++) {
		dev->config[pos] = caps[i][0];
		dev->config[pos + 1] = i + 1 < ncaps ? pos + 0x10 : 0;
		memcpy(dev->config + pos + 2, caps[i] + 1, 6);
		pos += 0x10;
	}
	return dev;
}

/* Config space where the kernel shows no reset_method: only its first 64
 * bytes count, so the capabilities (PCI Express DevCap FLR, AF TP and FLR,
 * PM No_Soft_Reset), which start at 0x40, leave the answer unknown even when
 * root could read them. */
static void
test_reset_from_config(void **state)
{
	const guint8 pm[] = {0x01, 0x03, 0x00, 0x00, 0x00, 0, 0};
	const guint8 pm_nsr[] = {0x01, 0x03, 0x00, 0x08, 0x00, 0, 0};
	const guint8 exp[] = {0x10, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00};
	const guint8 exp_flr[] = {0x10, 0x02, 0x00, 0x00, 0x00, 0x00, 0x10};
	const guint8 af_flr[] = {0x13, 0x06, 0x03, 0, 0, 0, 0};
	const guint8 af_no_tp[] = {0x13, 0x06, 0x02, 0, 0, 0, 0};
	const guint8 *const none[] = {NULL};
	const guint8 *const l_pm[] = {pm};
	const guint8 *const l_nsr[] = {pm_nsr, exp};
	const guint8 *const l_flr[] = {pm, exp_flr};
	const guint8 *const l_af[] = {pm_nsr, af_flr};
	const guint8 *const l_af_no_tp[] = {af_no_tp};
	struct {
		gsize len;
		const guint8 *const *caps;
		guint n;
		HpResetMethod want;
	} cases[] = {
	    {256, none, 0, HP_RESET_NONE},      /* no capabilities list */
	    {64, none, 0, HP_RESET_NONE},       /* the same, as a user reads it */
	    {64, l_pm, 1, HP_RESET_UNKNOWN},    /* the list starts past 64 bytes */
	    /* read as root: the same answers (a snapshot holds 64 bytes) */
	    {256, l_pm, 1, HP_RESET_UNKNOWN},
	    {256, l_nsr, 2, HP_RESET_UNKNOWN},
	    {256, l_flr, 2, HP_RESET_UNKNOWN},
	    {256, l_af, 2, HP_RESET_UNKNOWN},
	    {256, l_af_no_tp, 1, HP_RESET_UNKNOWN},
	    {4, none, 0, HP_RESET_UNKNOWN},     /* cut before the status register */
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(HpPciDevice) dev = config_dev(cases[i].len, cases[i].caps, cases[i].n);
		assert_int_equal(hp_reset_from_config(dev), cases[i].want);
	}
	{
		g_autoptr(HpPciDevice) dev = config_dev(256, none, 0);
		g_clear_pointer(&dev->config, g_free);
		dev->config_len = 0;
		assert_int_equal(hp_reset_from_config(dev), HP_RESET_UNKNOWN);
	}
}

/* The safety rules on one tree: what trips, what passes, and what the
 * messages name. */
static void
test_safety_rules(void **state)
{
	/* the root port, the NVMe disk behind it, the NIC of the default
	 * route, a quiet NIC, a card whose other function has its own group */
	const gchar *const bdfs[] = {"0000:00:1c.0", "0000:01:00.0", "0000:02:00.0", "0000:03:00.0", "0000:0a:00.0"};
	g_autoptr(GString) all = g_string_new(NULL);
	g_autoptr(HpDiagList) diags = NULL;
	const HpDiag *d;
	guint in_use = 0;

	for (guint i = 0; i < G_N_ELEMENTS(bdfs); i++) {
		g_autofree gchar *one = hostdev(bdfs[i], "yes");
		g_string_append(all, one);
	}
	diags = check("safety", NULL, all->str);
	d = hp_test_first(diags, "host-device-not-endpoint");
	assert_non_null(d);
	assert_non_null(strstr(d->message, "0000:00:1c.0"));
	assert_non_null(strstr(d->message, "everything behind it (0000:01:00.0)"));
	for (guint i = 0; i < diags->items->len; i++) {
		d = g_ptr_array_index(diags->items, i);
		if (g_strcmp0(d->rule->id, "host-device-in-use") != 0)
			continue;
		in_use++;
		assert_int_not_equal(d->device.bus, 3); /* the NIC without the route */
		if (d->device.bus == 2) {
			assert_int_equal(d->severity, HP_SEVERITY_WARNING);
			assert_non_null(strstr(d->message, "default route (interface eno1)"));
		} else {
			assert_int_equal(d->severity, HP_SEVERITY_ERROR);
			assert_non_null(strstr(d->message, "/dev/mapper/vg-root mounted on /"));
		}
	}
	assert_int_equal(in_use, 3); /* the port, the NVMe behind it, the NIC */
	d = hp_test_first(diags, "multifunction-partial");
	assert_non_null(d);
	assert_int_equal(d->device.function, 1);
	assert_int_equal(d->severity, HP_SEVERITY_WARNING);
	assert_int_equal(hp_test_count(diags, "multifunction-incomplete"), 0);
	assert_int_equal(hp_test_count(diags, "device-reset-unavailable"), 0);
}

/* <interface type='hostdev'> on a PF: refused; on a VF: fine. */
static void
test_interface_not_vf(void **state)
{
	const gchar *host = "driver mlx5_core\n"
			    "device 0000:03:00.0 vendor=15b3 device=101d driver=mlx5_core group=20\n"
			    "device 0000:03:00.2 vendor=15b3 device=101e group=30 physfn=0000:03:00.0\n";
	const gchar *pf = "    <interface type='hostdev' managed='yes'>\n"
			  "      <source><address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source>\n"
			  "    </interface>\n";
	const gchar *vf = "    <interface type='hostdev' managed='yes'>\n"
			  "      <source><address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x2'/></source>\n"
			  "    </interface>\n";
	g_autofree gchar *loop = g_strconcat(host, "link sys/devices/pci0000:03/0000:03:00.0/physfn physfn\n", NULL);
	g_autoptr(HpDiagList) bad = check(NULL, host, pf);
	g_autoptr(HpDiagList) good = check(NULL, host, vf);
	g_autoptr(HpDiagList) unknown = check(NULL, loop, pf);
	const HpDiag *d = hp_test_first(bad, "interface-hostdev-not-vf");

	assert_non_null(d);
	assert_non_null(strstr(d->message, "libvirt refuses to start the domain"));
	assert_non_null(strstr(d->message, "1 VFs"));
	assert_int_equal(hp_test_count(good, "interface-hostdev-not-vf"), 0);
	/* a physfn link that cannot be read: unknown, no finding */
	assert_int_equal(hp_test_count(unknown, "interface-hostdev-not-vf"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_group_unknown_driver),
	    cmocka_unit_test(test_declared_unknown_driver),
	    cmocka_unit_test(test_hostile_module_name),
	    cmocka_unit_test(test_hostile_module_never_chosen),
	    cmocka_unit_test(test_hostile_driver_name),
	    cmocka_unit_test(test_garbled_device_file),
	    cmocka_unit_test(test_modalias_refused),
	    cmocka_unit_test(test_slots_indexed),
	    cmocka_unit_test(test_vf_message),
	    cmocka_unit_test(test_iommu_advice),
	    cmocka_unit_test(test_reset_from_config),
	    cmocka_unit_test(test_safety_rules),
	    cmocka_unit_test(test_interface_not_vf),
	};
	return cmocka_run_group_tests_name("host-rules", tests, NULL, NULL);
}
