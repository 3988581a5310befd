/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>

#include "hp-test.h"

#include "hp-capture.h"
#include "hp-modalias.h"
#include "hp-error.h"
#include "hp-host.h"
#include "hp-snapshot.h"

#define DEV  "sys/devices/pci0000:00/0000:00:01.0"
#define VF   "sys/devices/pci0000:00/0000:00:01.2"
#define DISK DEV "/nvme/nvme0/nvme0n1"

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

static int
setup(void **state)
{
	gchar config[256];
	g_autofree gchar *big = g_malloc0(HP_SNAPSHOT_MAX_FILE + 1);
	g_autofree gchar *fifo = NULL;

	root = g_dir_make_tmp("hp-capture-XXXXXX", NULL);
	for (guint i = 0; i < sizeof(config); i++)
		config[i] = (gchar)i;
	mk(DEV "/vendor", "0x15b3\n", -1);
	mk(DEV "/device", "0x101d\n", -1);
	mk(DEV "/config", config, sizeof(config));
	mk(DEV "/reset_method", "flr bus\n", -1);
	mk(DEV "/sriov_numvfs", "1\n", -1);
	mk(DEV "/resource", "not captured\n", -1);
	mk(DEV "/net/ens1f0/address", "not captured\n", -1);
	mk(DEV "/vfio-dev/vfio0/dev", "not captured\n", -1);
	ln(DEV "/driver", "../../../bus/pci/drivers/mlx5_core");
	ln(DEV "/iommu_group", "../../../kernel/iommu_groups/7");
	ln(DEV "/virtfn0", "../0000:00:01.2");
	ln(DEV "/firmware_node", "../../LNXSYSTM:00");
	mk(VF "/vendor", "0x15b3\n", -1);
	ln(VF "/physfn", "../0000:00:01.0");
	ln(VF "/driver", "../../../../../../../etc"); /* leads out: recorded, not followed */
	mk(VF "/modalias", big, HP_SNAPSHOT_MAX_FILE + 1); /* past the limit: unreadable */
	ln("sys/bus/pci/devices/0000:00:01.0", "../../../devices/pci0000:00/0000:00:01.0");
	ln("sys/bus/pci/devices/0000:00:01.2", "../../../devices/pci0000:00/0000:00:01.2");
	ln("sys/kernel/iommu_groups/7/devices/0000:00:01.0", "../../../../devices/pci0000:00/0000:00:01.0");
	mk("sys/bus/pci/drivers/mlx5_core/bind", "", -1);
	ln("sys/bus/pci/drivers/mlx5_core/module", "../../../../module/mlx5_core");
	ln("sys/module/mlx5_core/drivers/pci:mlx5_core", "../../../bus/pci/drivers/mlx5_core");
	ln("sys/module/mlx5_core/drivers/auxiliary:mlx5_core.eth", "../../../bus/auxiliary/drivers/x");
	mk("sys/module/mlx5_core/parameters/debug", "0\n", -1);
	mk("sys/module/mlx5_vfio_pci/refcnt", "0\n", -1);
	mk(DISK "/dev", "259:0\n", -1);
	mk(DISK "/size", "not captured\n", -1);
	mk(DISK "/nvme0n1p1/dev", "259:1\n", -1);
	mk(DISK "/nvme0n1p1/partition", "1\n", -1);
	mk(DISK "/queue/rotational", "0\n", -1);
	ln("sys/block/nvme0n1", "../devices/pci0000:00/0000:00:01.0/nvme/nvme0/nvme0n1");
	mk("sys/devices/virtual/block/dm-0/dev", "252:0\n", -1);
	ln("sys/devices/virtual/block/dm-0/slaves/nvme0n1p1", "../../../../pci0000:00/0000:00:01.0/nvme/nvme0/nvme0n1/nvme0n1p1");
	ln("sys/block/dm-0", "../devices/virtual/block/dm-0");
	ln("sys/class/net/ens1f0", "../../devices/pci0000:00/0000:00:01.0/net/ens1f0");
	mk("sys/devices/virtual/net/lo/address", "00:00:00:00:00:00\n", -1);
	ln("sys/class/net/lo", "../../devices/virtual/net/lo");
	mk("sys/devices/system/cpu/online", "0-3\n", -1);
	mk("lib/modules/6.1.0-hp/modules.alias", "# Aliases extracted from modules themselves.\n"
						  "alias pci:v000015B3d0000101Dsv*sd*bc*sc*i* mlx5_core\n"
						  "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n"
						  "alias  vfio_pci:v*d*sv*sd*bc*sc*i* vfio-pci\n"
						  "alias usb:v1234* usbthing\n",
	   -1);
	mk("proc/1234/mountinfo", "22 1 259:1 / / rw - ext4 /dev/nvme0n1p1 rw\n", -1);
	ln("proc/self", "1234");
	mk("proc/cmdline", "intel_iommu=on\n", -1);
	mk("proc/swaps", "Filename Type Size Used Priority\n", -1);
	mk("proc/net/route", "Iface\tDestination\nens1f0\t00000000\n", -1);
	fifo = g_build_filename(root, "proc/net/ipv6_route", NULL);
	g_assert(mkfifo(fifo, 0644) == 0);
	return 0;
}

static int
teardown(void **state)
{
	hp_test_rm_tree(root);
	g_clear_pointer(&root, g_free);
	return 0;
}

static HpSnapshot *
capture(const gchar *dir, GPtrArray **ret_warnings)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpHost) host = hp_host_new(dir, "6.1.0-hp", &error);
	HpSnapshot *snap;
	assert_non_null(host);
	snap = hp_capture_host(host, ret_warnings, &error);
	assert_non_null(snap);
	return snap;
}

/* The snapshot as --root SNAPSHOT reads it (a copy: the host takes it). */
static HpHost *
snap_host(const HpSnapshot *snap)
{
	gsize len = 0;
	g_autofree gchar *text = hp_snapshot_to_data(snap, &len);
	HpSnapshot *copy = hp_snapshot_new_from_data(text, len, "test.snapshot", NULL);
	assert_non_null(copy);
	return hp_host_new_for_snapshot(copy, "test.snapshot", NULL);
}

static gchar *
read_all(const HpSnapshot *snap, const gchar *rel)
{
	g_autoptr(HpHost) host = snap_host(snap);
	gchar *data = NULL;
	gsize len = 0;
	if (!hp_host_read(host, rel, HP_HOST_MAX_ALIAS, &data, &len, NULL))
		return NULL;
	return data;
}

/* What is recorded, and what is not. */
static void
test_contents(void **state)
{
	g_autoptr(GPtrArray) warnings = NULL;
	g_autoptr(HpSnapshot) snap = capture(root, &warnings);
	g_autofree gchar *alias = read_all(snap, "lib/modules/6.1.0-hp/modules.alias");
	g_autofree gchar *mounts = read_all(snap, "proc/self/mountinfo");
	g_autofree gchar *config = NULL;
	gsize len = 0;

	assert_string_equal(hp_snapshot_get_kernel_release(snap), "6.1.0-hp");
	assert_int_equal(hp_snapshot_lookup(snap, "sys/bus/pci/devices/0000:00:01.0"), HP_SNAPSHOT_LINK);
	assert_int_equal(hp_snapshot_lookup(snap, DEV "/vendor"), HP_SNAPSHOT_FILE);
	assert_int_equal(hp_snapshot_lookup(snap, DEV "/reset_method"), HP_SNAPSHOT_FILE);
	assert_int_equal(hp_snapshot_lookup(snap, DEV "/virtfn0"), HP_SNAPSHOT_LINK);
	assert_int_equal(hp_snapshot_lookup(snap, VF "/physfn"), HP_SNAPSHOT_LINK);
	assert_int_equal(hp_snapshot_lookup(snap, DEV "/vfio-dev/vfio0"), HP_SNAPSHOT_DIR);
	assert_int_equal(hp_snapshot_lookup(snap, DEV "/net/ens1f0"), HP_SNAPSHOT_DIR);
	assert_int_equal(hp_snapshot_lookup(snap, "sys/kernel/iommu_groups/7/devices/0000:00:01.0"), HP_SNAPSHOT_LINK);
	assert_int_equal(hp_snapshot_lookup(snap, "sys/module/mlx5_core/drivers/pci:mlx5_core"), HP_SNAPSHOT_LINK);
	assert_int_equal(hp_snapshot_lookup(snap, "sys/module/mlx5_vfio_pci"), HP_SNAPSHOT_DIR);
	assert_int_equal(hp_snapshot_lookup(snap, DISK "/dev"), HP_SNAPSHOT_FILE);
	assert_int_equal(hp_snapshot_lookup(snap, DISK "/nvme0n1p1/partition"), HP_SNAPSHOT_FILE);
	assert_int_equal(hp_snapshot_lookup(snap, "sys/devices/virtual/block/dm-0/slaves/nvme0n1p1"), HP_SNAPSHOT_LINK);
	assert_int_equal(hp_snapshot_lookup(snap, "sys/class/net/ens1f0"), HP_SNAPSHOT_LINK);
	/* the config header only */
	{
		g_autoptr(HpHost) shost = snap_host(snap);
		assert_true(hp_host_read(shost, DEV "/config", 4096, &config, &len, NULL));
	}
	assert_int_equal(len, HP_CAPTURE_CONFIG_BYTES);
	/* links out of the root are kept, and not followed */
	assert_int_equal(hp_snapshot_lookup(snap, VF "/driver"), HP_SNAPSHOT_LINK);
	assert_int_equal(hp_snapshot_lookup(snap, "etc"), HP_SNAPSHOT_NONE);
	/* past the size limit, or not a regular file: present, unreadable, said */
	assert_int_equal(hp_snapshot_lookup(snap, VF "/modalias"), HP_SNAPSHOT_UNREADABLE);
	assert_int_equal(hp_snapshot_lookup(snap, "proc/net/ipv6_route"), HP_SNAPSHOT_UNREADABLE);
	assert_int_equal(warnings->len, 2);
	/* only the vfio_pci: lines, where they were in the host's file */
	assert_string_equal(alias, HP_MODALIAS_LINE_MARKER "3\n"
				   "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n"
				   "alias  vfio_pci:v*d*sv*sd*bc*sc*i* vfio-pci\n");
	/* proc/self is recorded as a directory: the reading process's pid is no host state */
	assert_string_equal(mounts, "22 1 259:1 / / rw - ext4 /dev/nvme0n1p1 rw\n");
	assert_int_equal(hp_snapshot_lookup(snap, "proc/self"), HP_SNAPSHOT_DIR);
	assert_int_equal(hp_snapshot_lookup(snap, "proc/1234"), HP_SNAPSHOT_NONE);
	/* nothing else */
	assert_int_equal(hp_snapshot_lookup(snap, DEV "/resource"), HP_SNAPSHOT_NONE);
	assert_int_equal(hp_snapshot_lookup(snap, DEV "/firmware_node"), HP_SNAPSHOT_NONE);
	assert_int_equal(hp_snapshot_lookup(snap, DEV "/net/ens1f0/address"), HP_SNAPSHOT_NONE);
	assert_int_equal(hp_snapshot_lookup(snap, DISK "/size"), HP_SNAPSHOT_NONE);
	assert_int_equal(hp_snapshot_lookup(snap, DISK "/queue"), HP_SNAPSHOT_NONE);
	assert_int_equal(hp_snapshot_lookup(snap, "sys/module/mlx5_core/drivers/auxiliary:mlx5_core.eth"), HP_SNAPSHOT_NONE);
	assert_int_equal(hp_snapshot_lookup(snap, "sys/module/mlx5_core/parameters"), HP_SNAPSHOT_NONE);
	assert_int_equal(hp_snapshot_lookup(snap, "sys/class/net/lo"), HP_SNAPSHOT_NONE);
	assert_int_equal(hp_snapshot_lookup(snap, "sys/devices/system"), HP_SNAPSHOT_NONE);
}

/* Same bytes twice; parse + write gives the same bytes; a capture of the
 * materialized tree gives the same bytes. */
static void
test_round_trips(void **state)
{
	g_autoptr(HpSnapshot) snap = capture(root, NULL);
	g_autoptr(HpSnapshot) twice = capture(root, NULL);
	g_autoptr(HpSnapshot) parsed = NULL;
	g_autoptr(HpSnapshot) again = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("hp-capture-m-XXXXXX", NULL);
	gsize len = 0;
	g_autofree gchar *text = hp_snapshot_to_data(snap, &len);
	g_autofree gchar *text2 = hp_snapshot_to_data(twice, NULL);
	g_autofree gchar *text3 = NULL;
	g_autofree gchar *text4 = NULL;

	assert_string_equal(text, text2);
	parsed = hp_snapshot_new_from_data(text, len, "t.snapshot", &error);
	assert_non_null(parsed);
	text3 = hp_snapshot_to_data(parsed, NULL);
	assert_string_equal(text, text3);
	assert_true(hp_snapshot_materialize(parsed, dir, &error));
	again = capture(dir, NULL);
	text4 = hp_snapshot_to_data(again, NULL);
	assert_string_equal(text, text4);
	hp_test_rm_tree(dir);
}

/* Every file and link of the snapshot reads as the tree reads through
 * HpHost: the same bytes, the same link names, the same refusals. */
static void
test_reads_like_the_tree(void **state)
{
	g_autoptr(HpSnapshot) snap = capture(root, NULL);
	g_autoptr(HpHost) host = hp_host_new(root, "6.1.0-hp", NULL);
	g_autoptr(HpHost) shost = snap_host(snap);
	g_autoptr(GPtrArray) paths = hp_snapshot_get_paths(snap);
	guint files = 0, links = 0;

	for (guint i = 0; i < paths->len; i++) {
		const gchar *rel = g_ptr_array_index(paths, i);
		HpSnapshotKind kind = hp_snapshot_lookup(snap, rel);
		if (kind == HP_SNAPSHOT_FILE && !g_str_has_suffix(rel, "/config") && !g_str_has_suffix(rel, "modules.alias")) {
			g_autofree gchar *a = NULL;
			g_autofree gchar *b = NULL;
			gsize alen = 0, blen = 0;
			assert_true(hp_host_read(host, rel, 4096, &a, &alen, NULL));
			assert_true(hp_host_read(shost, rel, 4096, &b, &blen, NULL));
			assert_int_equal(alen, blen);
			assert_memory_equal(a, b, alen);
			files++;
		}
		if (kind == HP_SNAPSHOT_LINK) {
			g_autoptr(GError) e1 = NULL;
			g_autoptr(GError) e2 = NULL;
			g_autofree gchar *name = hp_host_link_name(host, rel, &e1);
			g_autofree gchar *base = hp_host_link_name(shost, rel, &e2);
			g_autofree gchar *t1 = hp_host_readlink(host, rel, NULL);
			g_autofree gchar *t2 = hp_host_readlink(shost, rel, NULL);
			assert_true((name == NULL) == (base == NULL));
			if (name != NULL)
				assert_string_equal(name, base);
			else
				assert_int_equal(e1->code, e2->code);
			assert_string_equal(t1, t2);
			assert_int_equal(hp_host_lookup(host, rel, NULL), HP_HOST_KIND_LINK);
			assert_int_equal(hp_host_lookup(shost, rel, NULL), HP_HOST_KIND_LINK);
			links++;
		}
	}
	assert_true(files > 10);
	assert_true(links > 10);
}

/* A root with no PCI sysfs: a snapshot all the same, and a warning. */
static void
test_no_pci(void **state)
{
	g_autofree gchar *dir = g_dir_make_tmp("hp-capture-e-XXXXXX", NULL);
	g_autoptr(GPtrArray) warnings = NULL;
	g_autoptr(HpSnapshot) snap = capture(dir, &warnings);
	g_autofree gchar *text = hp_snapshot_to_data(snap, NULL);

	assert_string_equal(text, "hostdev-preflight-snapshot 1\nkernel-release 6.1.0-hp\n");
	assert_int_equal(warnings->len, 1);
	assert_non_null(strstr(g_ptr_array_index(warnings, 0), "no PCI devices"));
	hp_test_rm_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_contents),
	    cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_reads_like_the_tree),
	    cmocka_unit_test(test_no_pci),
	};
	return cmocka_run_group_tests_name("capture", tests, setup, teardown);
}
