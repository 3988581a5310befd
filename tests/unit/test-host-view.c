/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test-host.h"

#include "hp-host-view.h"

static gchar *root;

static const gchar *desc =
    "release 6.1.0\n"
    "driver mlx5_core\n"
    "driver vfio-pci module=vfio_pci\n"
    "driver mlx5_vfio_pci\n"
    "driver acme_vfio\n"
    "driver vfiodev_drv\n"
    "driver e1000e\n"
    "module loaded_only\n"
    "device 0000:01:00.0 vendor=15b3 device=1657 subsystem=15b3:0052 driver=mlx5_core group=3 header=0x80\n"
    "device 0000:01:00.1 vendor=15b3 device=1657 subsystem=15b3:0052 driver=vfio-pci group=3 header=0x80\n"
    "device 0000:01:00.2 vendor=15b3 device=1657 driver=mlx5_vfio_pci group=4 physfn=0000:01:00.0\n"
    "device 0000:01:00.3 vendor=15b3 device=1657 driver=acme_vfio group=5\n"
    "device 0000:01:00.4 vendor=15b3 device=1657 driver=vfiodev_drv group=5 vfio-dev\n"
    /* garbled: a short config, junk in vendor, no group dir */
    "device 0000:02:00.0 vendor=15b3 device=1657 group=9 no-group-dir\n"
    "file sys/devices/pci0000:02/0000:02:00.0/vendor zz-not-hex\\n\n"
    "file sys/devices/pci0000:02/0000:02:00.0/config \\x01\\x02\n"
    "device 0000:02:00.1 vendor=8086 device=1657 driver=e1000e group=9 no-group-dir\n"
    /* links that cannot be read: a loop, out of the root, a name no driver has */
    "device 0000:03:00.0 vendor=8086 device=10d3 group=10\n"
    "link sys/devices/pci0000:03/0000:03:00.0/driver driver\n"
    "device 0000:03:00.1 vendor=8086 device=10d3 group=10\n"
    "link sys/devices/pci0000:03/0000:03:00.1/driver ../../../../../../../etc\n"
    "device 0000:03:00.2 vendor=8086 device=10d3 group=10\n"
    "link sys/devices/pci0000:03/0000:03:00.2/driver ../../../bus/pci/drivers/\\xff\\xfe\\x1b[31m\n"
    "device 0000:03:00.3 vendor=8086 device=10d3 group=10\n"
    "link sys/devices/pci0000:03/0000:03:00.3/physfn physfn\n"
    "link sys/devices/pci0000:03/0000:03:00.3/iommu_group /etc\n"
    /* a loaded module whose drivers/ entry is no driver name */
    "module badmod\n"
    "link sys/module/badmod/drivers/pci:x$(id) ../../../bus/pci/drivers/e1000e\n"
    "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
    "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n"
    "alias pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_core\n"
    "alias pci:v*d*sv*sd*bc*sc*i* not_loaded_mod\n"
    "file pci.ids 15b3  Mellanox Technologies\\n\\t1657  Made-up Adapter\\n8086  Intel Corporation\\n\n";

static int
setup(void **state)
{
	root = hp_test_host_build(NULL, desc);
	return 0;
}

static int
teardown(void **state)
{
	g_clear_pointer(&root, hp_test_host_free);
	return 0;
}

static HpHostView *
view_new(void)
{
	HpHost *host = hp_host_new(root, "6.1.0", NULL);
	g_autofree gchar *ids = g_build_filename(root, "pci.ids", NULL);
	hp_host_set_pci_ids(host, ids);
	return hp_host_view_new(host);
}

static const HpPciDevice *
dev(HpHostView *view, const gchar *bdf)
{
	HpPciAddress a;
	g_assert(hp_pci_address_parse_bdf(bdf, &a));
	return hp_host_view_device(view, &a, NULL);
}

static void
test_device(void **state)
{
	g_autoptr(HpHostView) view = view_new();
	const HpPciDevice *d = dev(view, "0000:01:00.0");
	const HpPciDevice *vf = dev(view, "0000:01:00.2");
	gboolean known = FALSE;
	HpPciAddress none = {0, 0x42, 0, 0};
	const GError *error = NULL;

	assert_true(hp_host_view_has_pci(view));
	assert_non_null(d);
	assert_true(d->ids_known);
	assert_int_equal(d->vendor, 0x15b3);
	assert_int_equal(d->device, 0x1657);
	assert_int_equal(d->class_code, 0x020000);
	assert_string_equal(d->driver, "mlx5_core");
	assert_int_equal(d->iommu_group, 3);
	assert_true(hp_pci_device_multifunction_bit(d, &known));
	assert_true(known);
	assert_false(d->is_vf);
	assert_int_equal(g_hash_table_size(d->problems), 0);
	assert_true(vf->is_vf);
	assert_ptr_equal(dev(view, "0000:01:00.0"), d); /* read once */
	assert_null(hp_host_view_device(view, &none, &error));
	assert_non_null(error);
}

static void
test_garbled(void **state)
{
	g_autoptr(HpHostView) view = view_new();
	const HpPciDevice *d = dev(view, "0000:02:00.0");
	gboolean known = TRUE;
	assert_non_null(d);
	assert_false(d->ids_known);
	assert_int_equal(d->header_type, -1);
	assert_false(hp_pci_device_multifunction_bit(d, &known));
	assert_false(known);
	assert_int_equal(g_hash_table_size(d->problems), 2); /* vendor, config */
	assert_non_null(g_hash_table_lookup(d->problems, "vendor"));
	assert_non_null(g_hash_table_lookup(d->problems, "config"));
}

static void
test_group_members(void **state)
{
	g_autoptr(HpHostView) view = view_new();
	g_autoptr(GArray) g3 = hp_host_view_group_members(view, 3);
	g_autoptr(GArray) g9 = hp_host_view_group_members(view, 9); /* no group dir */
	g_autoptr(GArray) g99 = hp_host_view_group_members(view, 99);
	assert_int_equal(g3->len, 2);
	assert_int_equal(g9->len, 2);
	assert_int_equal(g_array_index(g9, HpPciAddress, 1).function, 1);
	assert_int_equal(g99->len, 0);
}

static void
test_classify(void **state)
{
	g_autoptr(HpHostView) view = view_new();
	assert_int_equal(hp_host_view_classify(view, dev(view, "0000:01:00.0")), HP_VFIO_NO);
	assert_int_equal(hp_host_view_classify(view, dev(view, "0000:01:00.1")), HP_VFIO_EXACT);
	assert_int_equal(hp_host_view_classify(view, dev(view, "0000:01:00.2")), HP_VFIO_ALIASES);
	assert_int_equal(hp_host_view_classify(view, dev(view, "0000:01:00.3")), HP_VFIO_BY_NAME);
	assert_int_equal(hp_host_view_classify(view, dev(view, "0000:01:00.4")), HP_VFIO_VFIO_DEV);
	assert_int_equal(hp_host_view_classify(view, dev(view, "0000:02:00.0")), HP_VFIO_NO);
}

static void
test_driver_or_module(void **state)
{
	g_autoptr(HpHostView) view = view_new();
	g_autofree gchar *m = hp_host_view_driver_module(view, "vfio-pci");
	g_autofree gchar *m2 = hp_host_view_driver_module(view, "mlx5_core");
	assert_string_equal(m, "vfio_pci");
	assert_string_equal(m2, "mlx5_core");
	assert_true(hp_host_view_has_driver_or_module(view, "vfio-pci"));
	assert_true(hp_host_view_has_driver_or_module(view, "vfio_pci"));
	assert_true(hp_host_view_has_driver_or_module(view, "mlx5-vfio-pci"));
	assert_true(hp_host_view_has_driver_or_module(view, "loaded_only"));
	assert_true(hp_host_view_has_driver_or_module(view, "not-loaded-mod"));
	assert_false(hp_host_view_has_driver_or_module(view, "nonesuch"));
	assert_false(hp_host_view_has_driver_or_module(view, "../../etc"));
}

static void
test_describe(void **state)
{
	g_autoptr(HpHostView) view = view_new();
	g_autofree gchar *a = hp_host_view_describe(view, dev(view, "0000:01:00.0"));
	g_autofree gchar *b = hp_host_view_describe(view, dev(view, "0000:02:00.0"));
	g_autofree gchar *c = hp_host_view_describe(view, dev(view, "0000:02:00.1"));
	assert_string_equal(a, "0000:01:00.0 (Mellanox Technologies Made-up Adapter, bound to mlx5_core)");
	assert_string_equal(b, "0000:02:00.0 (no driver)");
	assert_string_equal(c, "0000:02:00.1 ([8086:1657], bound to e1000e)");
}

static void
test_resolve_driver(void **state)
{
	g_autoptr(HpHostView) view = view_new();
	struct {
		const gchar *name, *driver, *module;
		gboolean loaded;
	} cases[] = {
	    {"vfio_pci", "vfio-pci", "vfio_pci", TRUE},            /* module -> its driver's dashed name */
	    {"vfio-pci", "vfio-pci", "vfio_pci", TRUE},            /* the driver name itself */
	    {"mlx5_vfio_pci", "mlx5_vfio_pci", "mlx5_vfio_pci", TRUE}, /* driver and module alike */
	    {"mlx5-vfio-pci", "mlx5_vfio_pci", "mlx5_vfio_pci", TRUE}, /* written with dashes */
	    {"not_loaded_mod", "not_loaded_mod", "not_loaded_mod", FALSE}, /* modprobe first */
	    {"not-loaded-mod", "not-loaded-mod", "not_loaded_mod", FALSE},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *driver = NULL;
		g_autofree gchar *module = NULL;
		gboolean loaded = !cases[i].loaded;
		assert_true(hp_host_view_resolve_driver(view, cases[i].name, &driver, &module, &loaded));
		assert_string_equal(driver, cases[i].driver);
		assert_string_equal(module, cases[i].module);
		assert_int_equal(loaded, cases[i].loaded);
	}
	{
		g_autofree gchar *driver = NULL;
		g_autofree gchar *module = NULL;
		gboolean loaded = FALSE;
		assert_false(hp_host_view_resolve_driver(view, "nonesuch", &driver, &module, &loaded));
		assert_false(hp_host_view_resolve_driver(view, "../x", &driver, &module, &loaded));
		assert_null(driver);
	}
}

/* A link present but unreadable is an unknown value, never "none". */
static void
test_unknown_links(void **state)
{
	g_autoptr(HpHostView) view = view_new();
	const HpPciDevice *loop = dev(view, "0000:03:00.0");
	const HpPciDevice *out = dev(view, "0000:03:00.1");
	const HpPciDevice *bad = dev(view, "0000:03:00.2");
	const HpPciDevice *vf = dev(view, "0000:03:00.3");
	const HpPciDevice *clean = dev(view, "0000:01:00.0");
	g_autofree gchar *desc_loop = hp_host_view_describe(view, loop);
	const gchar *why;

	assert_null(loop->driver);
	assert_true(loop->driver_unknown);
	assert_non_null(g_hash_table_lookup(loop->problems, "driver"));
	assert_string_equal(desc_loop, "0000:03:00.0 ([8086:10d3], on a driver that cannot be read)");
	assert_null(out->driver);
	assert_true(out->driver_unknown);
	assert_non_null(strstr(g_hash_table_lookup(out->problems, "driver"), "out of the host root"));
	/* a name no kernel driver can have: unknown, and the file is malformed,
	 * its bytes escaped in the message */
	assert_null(bad->driver);
	assert_true(bad->driver_unknown);
	why = g_hash_table_lookup(bad->malformed, "driver");
	assert_non_null(why);
	assert_non_null(strstr(why, "\\xff\\xfe\\x1b[31m"));
	assert_null(strchr(why, '\x1b'));
	assert_true(vf->physfn_unknown);
	assert_false(vf->is_vf);
	assert_true(vf->iommu_group_unknown);
	assert_int_equal(vf->iommu_group, -1);
	assert_false(clean->driver_unknown);
	assert_false(clean->iommu_group_unknown);
	assert_false(clean->physfn_unknown);
	assert_int_equal(g_hash_table_size(clean->malformed), 0);
}

/* A drivers/ entry of a module that is no driver name is not used, and said. */
static void
test_bad_module_entry(void **state)
{
	g_autoptr(HpHostView) view = view_new();
	g_autofree gchar *driver = NULL;
	g_autofree gchar *module = NULL;
	g_autoptr(GPtrArray) problems = NULL;
	gboolean loaded = TRUE;
	const HpHostProblem *p;

	assert_true(hp_host_view_resolve_driver(view, "badmod", &driver, &module, &loaded));
	assert_string_equal(driver, "badmod");
	assert_false(loaded);
	problems = hp_host_view_steal_problems(view);
	assert_int_equal(problems->len, 1);
	p = g_ptr_array_index(problems, 0);
	assert_string_equal(p->file, "sys/module/badmod/drivers");
	assert_non_null(strstr(p->message, "pci:x$(id)"));
	g_ptr_array_unref(hp_host_view_steal_problems(view));
	assert_false(hp_host_view_resolve_driver(view, "x$(id)", &driver, &module, &loaded));
}

static void
test_modalias_once(void **state)
{
	g_autoptr(HpHostView) view = view_new();
	const HpModAlias *a = hp_host_view_modalias(view, NULL);
	assert_non_null(a);
	assert_ptr_equal(hp_host_view_modalias(view, NULL), a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_device),
	    cmocka_unit_test(test_garbled),
	    cmocka_unit_test(test_group_members),
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_driver_or_module),
	    cmocka_unit_test(test_describe),
	    cmocka_unit_test(test_resolve_driver),
	    cmocka_unit_test(test_modalias_once),
	    cmocka_unit_test(test_unknown_links),
	    cmocka_unit_test(test_bad_module_entry),
	};
	return cmocka_run_group_tests_name("host-view", tests, setup, teardown);
}
