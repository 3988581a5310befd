/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include "hp-host-view.h"

static gchar *root;

static void
mk(const gchar *rel, const gchar *content, gssize len)
{
	hp_test_mk(root, rel, content, len);
}

static void
ln(const gchar *rel, const gchar *target)
{
	hp_test_ln(root, rel, target);
}

/* A device under sys/devices/pci0000:00 with the usual files. */
static void
device(const gchar *bdf, const gchar *vendor, const gchar *driver, gint group, guint8 header, gboolean group_dir)
{
	g_autofree gchar *d = g_strdup_printf("sys/devices/pci0000:00/%s", bdf);
	g_autofree gchar *f = NULL;
	gchar config[64] = {0};

	config[0x0e] = (gchar)header;
	f = g_strdup_printf("%s/vendor", d);
	mk(f, vendor, -1);
	g_clear_pointer(&f, g_free);
	f = g_strdup_printf("%s/device", d);
	mk(f, "0x1657\n", -1);
	g_clear_pointer(&f, g_free);
	f = g_strdup_printf("%s/subsystem_vendor", d);
	mk(f, "0x15b3\n", -1);
	g_clear_pointer(&f, g_free);
	f = g_strdup_printf("%s/subsystem_device", d);
	mk(f, "0x0052\n", -1);
	g_clear_pointer(&f, g_free);
	f = g_strdup_printf("%s/class", d);
	mk(f, "0x020000\n", -1);
	g_clear_pointer(&f, g_free);
	f = g_strdup_printf("%s/modalias", d);
	mk(f, "pci:v000015B3d0000101Esv000015B3sd00000052bc02sc00i00\n", -1);
	g_clear_pointer(&f, g_free);
	f = g_strdup_printf("%s/config", d);
	mk(f, config, sizeof(config));
	g_clear_pointer(&f, g_free);
	f = g_strdup_printf("sys/bus/pci/devices/%s", bdf);
	{
		g_autofree gchar *t = g_strdup_printf("../../../devices/pci0000:00/%s", bdf);
		ln(f, t);
	}
	g_clear_pointer(&f, g_free);
	if (driver != NULL) {
		g_autofree gchar *t = g_strdup_printf("../../../bus/pci/drivers/%s", driver);
		g_autofree gchar *drvdir = g_strdup_printf("sys/bus/pci/drivers/%s/bind", driver);
		mk(drvdir, "", -1);
		f = g_strdup_printf("%s/driver", d);
		ln(f, t);
		g_clear_pointer(&f, g_free);
	}
	if (group >= 0) {
		g_autofree gchar *t = g_strdup_printf("../../../kernel/iommu_groups/%d", group);
		f = g_strdup_printf("%s/iommu_group", d);
		ln(f, t);
		g_clear_pointer(&f, g_free);
		if (group_dir) {
			g_autofree gchar *m = g_strdup_printf("sys/kernel/iommu_groups/%d/devices/%s", group, bdf);
			g_autofree gchar *mt = g_strdup_printf("../../../../devices/pci0000:00/%s", bdf);
			ln(m, mt);
		}
	}
}

static int
setup(void **state)
{
	root = g_dir_make_tmp("hp-view-XXXXXX", NULL);
	device("0000:01:00.0", "0x15b3\n", "mlx5_core", 3, 0x80, TRUE);
	device("0000:01:00.1", "0x15b3\n", "vfio-pci", 3, 0x80, TRUE);
	device("0000:01:00.2", "0x15b3\n", "mlx5_vfio_pci", 4, 0x00, TRUE);
	device("0000:01:00.3", "0x15b3\n", "acme_vfio", 5, 0x00, TRUE);
	device("0000:01:00.4", "0x15b3\n", "vfiodev_drv", 5, 0x00, TRUE);
	mk("sys/devices/pci0000:00/0000:01:00.4/vfio-dev/vfio3/dev", "", -1);
	ln("sys/devices/pci0000:00/0000:01:00.2/physfn", "../0000:01:00.0");
	/* garbled: a short config, junk in vendor, no group dir */
	device("0000:02:00.0", "zz-not-hex\n", NULL, 9, 0, FALSE);
	mk("sys/devices/pci0000:00/0000:02:00.0/config", "\x01\x02", 2);
	device("0000:02:00.1", "0x8086\n", "e1000e", 9, 0, FALSE);
	/* modules: vfio-pci's module is vfio_pci; mlx5_vfio_pci is a variant */
	ln("sys/bus/pci/drivers/vfio-pci/module", "../../../../module/vfio_pci");
	ln("sys/module/vfio_pci/drivers/pci:vfio-pci", "../../../bus/pci/drivers/vfio-pci");
	mk("sys/module/vfio_pci/refcnt", "1\n", -1);
	mk("sys/module/loaded_only/refcnt", "1\n", -1);
	mk("lib/modules/6.1.0/modules.alias",
	   "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
	   "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n"
	   "alias pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_core\n"
	   "alias vfio_pci:v0000ABCDd*sv*sd*bc*sc*i* not_loaded_mod\n"
	   "alias pci:v*d*sv*sd*bc*sc*i* plain_mod\n",
	   -1);
	/* unknown drivers: a loop, a link out of the root, a name no kernel name can be */
	device("0000:03:00.0", "0x8086\n", NULL, 11, 0, TRUE);
	ln("sys/devices/pci0000:00/0000:03:00.0/driver", "driver");
	device("0000:03:00.1", "0x8086\n", NULL, 11, 0, TRUE);
	ln("sys/devices/pci0000:00/0000:03:00.1/driver", "../../../../../../../../etc");
	device("0000:03:00.2", "0x8086\n", NULL, 11, 0, TRUE);
	mk("sys/bus/pci/drivers/x$(touch PWNED)/bind", "", -1);
	ln("sys/devices/pci0000:00/0000:03:00.2/driver", "../../../bus/pci/drivers/x$(touch PWNED)");
	/* a physfn link to nowhere: not known to be a VF */
	ln("sys/devices/pci0000:00/0000:03:00.2/physfn", "../../../../../../../../etc");
	/* a group directory with no entries (as a capture records one it could
	 * not list): the members come from the links, as for a missing one */
	device("0000:04:00.0", "0x8086\n", NULL, 12, 0, FALSE);
	device("0000:04:00.1", "0x8086\n", NULL, 12, 0, FALSE);
	{
		g_autofree gchar *empty = g_build_filename(root, "sys/kernel/iommu_groups/12/devices", NULL);
		g_assert(g_mkdir_with_parents(empty, 0755) == 0);
	}
	/* a loaded module whose pci: entry names no kernel name */
	mk("sys/module/odd_mod/drivers/pci:bad name/x", "", -1);
	mk("pci.ids", "15b3  Mellanox Technologies\n\t1657  Made-up Adapter\n8086  Intel Corporation\n", -1);
	return 0;
}

static int
teardown(void **state)
{
	hp_test_rm_tree(root);
	g_clear_pointer(&root, g_free);
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
	g_autoptr(GArray) g12 = hp_host_view_group_members(view, 12); /* an empty group dir */
	assert_int_equal(g12->len, 2);
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
	/* a module only modules.alias' other lines name is no VFIO driver a
	 * <driver model> can mean (and a snapshot does not hold those lines) */
	assert_false(hp_host_view_has_driver_or_module(view, "plain_mod"));
	assert_false(hp_host_view_has_driver_or_module(view, "nonesuch"));
	assert_false(hp_host_view_has_driver_or_module(view, "../../etc"));
}

/* A driver link that is present but cannot be resolved is unknown, never
 * "no driver" (SPEC section 8); a name no kernel name can be is not used. */
static void
test_driver_unknown(void **state)
{
	g_autoptr(HpHostView) view = view_new();
	const gchar *const bdfs[] = {"0000:03:00.0", "0000:03:00.1", "0000:03:00.2"};
	g_autoptr(GPtrArray) notes = NULL;
	g_autofree gchar *driver = NULL;
	g_autofree gchar *module = NULL;
	gboolean loaded = FALSE;

	for (guint i = 0; i < G_N_ELEMENTS(bdfs); i++) {
		const HpPciDevice *d = dev(view, bdfs[i]);
		g_autofree gchar *desc = hp_host_view_describe(view, d);
		assert_non_null(d);
		assert_null(d->driver);
		assert_true(d->driver_unknown);
		assert_non_null(g_hash_table_lookup(d->problems, "driver"));
		assert_int_equal(hp_host_view_classify(view, d), HP_VFIO_NO);
		assert_non_null(strstr(desc, "bound to a driver that cannot be read"));
	}
	assert_non_null(strstr(g_hash_table_lookup(dev(view, "0000:03:00.2")->problems, "driver"), "not a kernel driver name"));
	assert_false(dev(view, "0000:03:00.2")->is_vf);
	assert_true(dev(view, "0000:03:00.2")->vf_unknown);
	/* a device with no driver link: no driver, known */
	assert_false(dev(view, "0000:02:00.0")->driver_unknown);
	assert_false(dev(view, "0000:02:00.0")->vf_unknown);
	/* a bad pci: entry is noted, and not used */
	notes = hp_host_view_take_notes(view);
	assert_int_equal(notes->len, 0);
	g_ptr_array_unref(g_steal_pointer(&notes));
	/* loaded, but its only pci: entry is garbled: as if it had none */
	assert_true(hp_host_view_resolve_driver(view, "odd_mod", &driver, &module, &loaded));
	assert_string_equal(driver, "odd_mod");
	assert_false(loaded);
	g_clear_pointer(&driver, g_free);
	g_clear_pointer(&module, g_free);
	assert_false(hp_host_view_resolve_driver(view, "x$(touch PWNED)", &driver, &module, &loaded));
	notes = hp_host_view_take_notes(view);
	assert_int_equal(notes->len, 1);
	assert_non_null(strstr(g_ptr_array_index(notes, 0), "sys/module/odd_mod/drivers/pci:bad name"));
	g_ptr_array_unref(g_steal_pointer(&notes));
	notes = hp_host_view_take_notes(view);
	assert_int_equal(notes->len, 0);
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
	    cmocka_unit_test(test_driver_unknown),
	};
	return cmocka_run_group_tests_name("host-view", tests, setup, teardown);
}
