/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The long-lived host data: databases kept while their files are unchanged,
 * read again when they change; device reads fresh in each view. */
#include "hp-test-host.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "hp-host-view.h"

static const gchar *desc = "release 6.1.0\n"
			   "driver e1000e\n"
			   "driver vfio-pci module=vfio_pci\n"
			   "device 0000:01:00.0 vendor=8086 device=10d3 driver=e1000e group=1\n"
			   "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
			   "file pci.ids 8086  Intel Corporation\\n\\t10d3  82574L\\n\n";

static HpHostData *
data_new(const gchar *root)
{
	HpHost *host = hp_host_new(root, "6.1.0", NULL);
	g_autofree gchar *ids = g_build_filename(root, "pci.ids", NULL);
	hp_host_set_pci_ids(host, ids);
	return hp_host_data_new(host);
}

/* Sets the file's modification time @secs into the future: a change of the
 * same size within one clock tick is still a change. */
static void
touch_ahead(const gchar *path, gint secs)
{
	struct stat st;
	struct timespec times[2];
	g_assert(stat(path, &st) == 0);
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	times[1].tv_sec += secs;
	g_assert(utimensat(AT_FDCWD, path, times, 0) == 0);
}

static void
test_modalias_reread(void **state)
{
	g_autofree gchar *root = hp_test_host_build(NULL, desc);
	g_autofree gchar *path = g_build_filename(root, "lib/modules/6.1.0/modules.alias", NULL);
	g_autoptr(HpHostData) data = data_new(root);
	g_autoptr(HpHostView) v1 = hp_host_view_new_for_data(data);
	g_autoptr(HpHostView) v2 = NULL;
	g_autoptr(HpHostView) v3 = NULL;
	g_autoptr(HpHostView) v4 = NULL;
	const HpModAlias *a1, *a2, *a3, *a4;

	a1 = hp_host_view_modalias(v1, NULL);
	assert_non_null(a1);
	assert_int_equal(hp_host_data_get_loads(data), 1);
	/* unchanged: not read again */
	v2 = hp_host_view_new_for_data(data);
	a2 = hp_host_view_modalias(v2, NULL);
	assert_ptr_equal(a2, a1);
	assert_int_equal(hp_host_data_get_loads(data), 1);
	/* changed (a depmod): the next check reads it again; a view keeps its version */
	assert_true(g_file_set_contents(path, "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
					      "alias vfio_pci:v00008086d000010D3sv*sd*bc*sc*i* e1000e_vfio\n", -1, NULL));
	v3 = hp_host_view_new_for_data(data);
	a3 = hp_host_view_modalias(v3, NULL);
	assert_ptr_not_equal(a3, a1);
	assert_int_equal(hp_host_data_get_loads(data), 2);
	assert_true(hp_modalias_module_is_vfio(a3, "e1000e_vfio"));
	assert_false(hp_modalias_module_is_vfio(a1, "e1000e_vfio"));
	assert_ptr_equal(hp_host_view_modalias(v1, NULL), a1);
	/* the same size, rewritten in place with a later time: read again */
	{
		g_autofree gchar *text = NULL;
		gsize len = 0;
		FILE *f;
		assert_true(g_file_get_contents(path, &text, &len, NULL));
		text[len - 2] = 'x';
		f = fopen(path, "r+");
		assert_non_null(f);
		assert_int_equal(fwrite(text, 1, len, f), len);
		fclose(f);
		touch_ahead(path, 5);
	}
	v4 = hp_host_view_new_for_data(data);
	a4 = hp_host_view_modalias(v4, NULL);
	assert_int_equal(hp_host_data_get_loads(data), 3);
	assert_true(hp_modalias_module_is_vfio(a4, "e1000e_vfix"));
	/* gone: none, and said why */
	g_clear_pointer(&v4, hp_host_view_free);
	assert_int_equal(g_unlink(path), 0);
	v4 = hp_host_view_new_for_data(data);
	{
		const GError *error = NULL;
		assert_null(hp_host_view_modalias(v4, &error));
		assert_non_null(error);
	}
	hp_test_host_free(g_steal_pointer(&root));
}

static void
test_pci_ids_kept(void **state)
{
	g_autofree gchar *root = hp_test_host_build(NULL, desc);
	g_autofree gchar *ids = g_build_filename(root, "pci.ids", NULL);
	g_autoptr(HpHostData) data = data_new(root);
	HpPciAddress a = {0, 1, 0, 0};

	for (guint i = 0; i < 3; i++) {
		g_autoptr(HpHostView) view = hp_host_view_new_for_data(data);
		g_autofree gchar *d = hp_host_view_describe(view, hp_host_view_device(view, &a, NULL));
		assert_string_equal(d, "0000:01:00.0 (Intel 82574L, bound to e1000e)");
	}
	assert_int_equal(hp_host_data_get_loads(data), 1);
	assert_true(g_file_set_contents(ids, "8086  Intel Corporation\n\t10d3  82574L Gigabit\n", -1, NULL));
	{
		g_autoptr(HpHostView) view = hp_host_view_new_for_data(data);
		g_autofree gchar *d = hp_host_view_describe(view, hp_host_view_device(view, &a, NULL));
		assert_string_equal(d, "0000:01:00.0 (Intel 82574L Gigabit, bound to e1000e)");
	}
	assert_int_equal(hp_host_data_get_loads(data), 2);
	hp_test_host_free(g_steal_pointer(&root));
}

/* Each view reads the devices anew: a server sees a new binding. */
static void
test_views_see_bindings(void **state)
{
	g_autofree gchar *root = hp_test_host_build(NULL, desc);
	g_autofree gchar *link = g_build_filename(root, "sys/devices/pci0000:01/0000:01:00.0/driver", NULL);
	g_autoptr(HpHostData) data = data_new(root);
	g_autoptr(HpHostView) before = hp_host_view_new_for_data(data);
	g_autoptr(HpHostView) after = NULL;
	HpPciAddress a = {0, 1, 0, 0};

	assert_string_equal(hp_host_view_device(before, &a, NULL)->driver, "e1000e");
	assert_int_equal(g_unlink(link), 0);
	assert_int_equal(symlink("../../../bus/pci/drivers/vfio-pci", link), 0);
	after = hp_host_view_new_for_data(data);
	assert_string_equal(hp_host_view_device(after, &a, NULL)->driver, "vfio-pci");
	assert_string_equal(hp_host_view_device(before, &a, NULL)->driver, "e1000e"); /* one check, one view */
	hp_test_host_free(g_steal_pointer(&root));
}

typedef struct {
	HpHostData *data;
	const HpModAlias *seen;
	gboolean same;
} Worker;

static gpointer
worker_run(gpointer user_data)
{
	Worker *w = user_data;
	w->same = TRUE;
	for (guint i = 0; i < 50; i++) {
		g_autoptr(HpHostView) view = hp_host_view_new_for_data(w->data);
		const HpModAlias *ma = hp_host_view_modalias(view, NULL);
		if (w->seen == NULL)
			w->seen = ma;
		w->same = w->same && ma == w->seen;
	}
	return NULL;
}

/* One data, views on several threads: read once, the same for all. */
static void
test_threads(void **state)
{
	g_autofree gchar *root = hp_test_host_build(NULL, desc);
	g_autoptr(HpHostData) data = data_new(root);
	Worker workers[4] = {{0}};
	GThread *threads[4];

	for (guint i = 0; i < 4; i++) {
		workers[i].data = data;
		threads[i] = g_thread_new("check", worker_run, &workers[i]);
	}
	for (guint i = 0; i < 4; i++) {
		g_thread_join(threads[i]);
		assert_true(workers[i].same);
		assert_ptr_equal(workers[i].seen, workers[0].seen);
	}
	assert_int_equal(hp_host_data_get_loads(data), 1);
	hp_test_host_free(g_steal_pointer(&root));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_modalias_reread),
	    cmocka_unit_test(test_pci_ids_kept),
	    cmocka_unit_test(test_views_see_bindings),
	    cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests_name("host-data", tests, NULL, NULL);
}
