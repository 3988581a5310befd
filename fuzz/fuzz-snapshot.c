/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: the snapshot parser, its writer and its reads. A snapshot that
 * parses is written canonically; that text must parse again and give the
 * same bytes, and every entry must read without a crash. Then the input is
 * given to hp_host_new() as a file, as `--root SNAPSHOT` gives it: every
 * path is read through HpHost (the walk a check takes), every PCI device as
 * the host view reads it, and the host is captured, as `capture --root
 * SNAPSHOT` does. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hp-capture.h"
#include "hp-error.h"
#include "hp-host-view.h"
#include "hp-host.h"
#include "hp-snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every path read the ways a host is read; what succeeds must agree. */
static void
hp_fuzz_host_reads(const HpHost *host, const gchar *rel)
{
	g_autofree gchar *real = hp_host_resolve(host, rel, NULL);
	g_autofree gchar *target = hp_host_readlink(host, rel, NULL);
	g_autofree gchar *name = hp_host_link_name(host, rel, NULL);
	g_autofree gchar *line = hp_host_read_line(host, rel, NULL);
	g_autofree gchar *bytes = NULL;
	g_autoptr(GPtrArray) names = hp_host_list_dir(host, rel, NULL);
	HpHostKind kind = hp_host_get_kind(host, rel, TRUE, NULL);
	HpHostKind lkind = hp_host_get_kind(host, rel, FALSE, NULL);
	HpHostStamp stamp;
	gsize n = 0;

	if (hp_host_read(host, rel, 64, &bytes, &n, NULL))
		g_assert(n <= 64 && kind == HP_HOST_KIND_FILE && real != NULL);
	if (names != NULL)
		g_assert(kind == HP_HOST_KIND_DIR);
	if (target != NULL)
		g_assert(lkind == HP_HOST_KIND_LINK);
	if (kind != HP_HOST_KIND_NONE)
		g_assert(hp_host_exists(host, rel) && hp_host_stat(host, rel, &stamp, NULL));
	g_clear_pointer(&bytes, g_free);
	if (hp_host_load(host, rel, HP_HOST_FILE_MAX, &bytes, &n, NULL, NULL))
		g_assert(n <= HP_HOST_FILE_MAX && kind == HP_HOST_KIND_FILE);
	(void)name;
	(void)line;
}

/* The input as a file, read as --root reads it. */
static void
hp_fuzz_host(const uint8_t *data, size_t size, gboolean parses, GPtrArray *paths)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpHost) host = NULL;
	g_autoptr(HpHostView) view = NULL;
	g_autoptr(HpSnapshot) captured = NULL;
	g_autoptr(GPtrArray) warnings = NULL;
	g_autoptr(GPtrArray) devices = NULL;
	g_autofree gchar *path = NULL;
	gint fd = memfd_create("fuzz-snapshot", MFD_CLOEXEC);

	if (fd < 0)
		return;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	path = g_strdup_printf("/proc/self/fd/%d", fd);
	host = hp_host_new(path, NULL, &error);
	close(fd);
	/* the same verdict as the parser's, and a refusal names the file */
	g_assert((host != NULL) == parses);
	if (host == NULL) {
		g_assert(error != NULL && strstr(error->message, path) != NULL);
		return;
	}
	g_assert(hp_host_is_snapshot(host));
	for (guint i = 0; i < paths->len; i++)
		hp_fuzz_host_reads(host, g_ptr_array_index(paths, i));
	hp_fuzz_host_reads(host, "sys/bus/pci/devices/../../../..");
	/* the PCI devices, as the checks read them */
	view = hp_host_view_new(host);
	host = NULL; /* the view's now */
	devices = hp_host_list_dir(hp_host_view_get_host(view), "sys/bus/pci/devices", NULL);
	for (guint i = 0; devices != NULL && i < devices->len; i++) {
		HpPciAddress addr;
		const HpPciDevice *dev;
		if (!hp_pci_address_parse_bdf(g_ptr_array_index(devices, i), &addr))
			continue;
		dev = hp_host_view_device(view, &addr, NULL);
		if (dev != NULL) {
			g_autofree gchar *describe = hp_host_view_describe(view, dev);
			g_autoptr(GArray) members = dev->iommu_group >= 0 ? hp_host_view_group_members(view, dev->iommu_group)
									   : NULL;
			(void)hp_host_view_classify(view, dev);
		}
	}
	(void)hp_host_view_modalias(view, NULL);
	/* and captured, as capture --root SNAPSHOT does */
	captured = hp_capture_host(hp_host_view_get_host(view), &warnings, NULL);
	if (captured != NULL) {
		gsize len = 0;
		g_autofree gchar *text = hp_snapshot_to_data(captured, &len);
		g_assert(text != NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpSnapshot) snap = hp_snapshot_new_from_data((const gchar *)data, size, "fuzz", &error);
	g_autoptr(HpSnapshot) again = NULL;
	g_autoptr(GPtrArray) paths = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *text2 = NULL;
	gsize len = 0, len2 = 0;

	if (snap == NULL) {
		g_assert(error != NULL && g_str_has_prefix(error->message, "fuzz:"));
		paths = g_ptr_array_new();
		hp_fuzz_host(data, size, FALSE, paths);
		return 0;
	}
	text = hp_snapshot_to_data(snap, &len);
	again = hp_snapshot_new_from_data(text, len, "canonical", &error);
	if (again == NULL)
		g_error("the canonical text does not parse: %s", error->message);
	text2 = hp_snapshot_to_data(again, &len2);
	g_assert(len == len2 && memcmp(text, text2, len) == 0);

	paths = hp_snapshot_get_paths(snap);
	for (guint i = 0; i < paths->len; i++) {
		const gchar *rel = g_ptr_array_index(paths, i);
		g_autofree gchar *real = hp_snapshot_resolve(snap, rel, NULL);
		g_autofree gchar *bytes = NULL;
		g_autofree gchar *target = hp_snapshot_readlink(snap, rel, NULL);
		g_autoptr(GPtrArray) names = hp_snapshot_list_dir(snap, rel, NULL);
		gsize n = 0;
		(void)hp_snapshot_lookup(snap, rel);
		if (hp_snapshot_read(snap, rel, 64, &bytes, &n, NULL))
			g_assert(n <= 64 && real != NULL);
		if (names != NULL)
			g_assert(real != NULL);
		(void)target;
	}
	hp_fuzz_host(data, size, TRUE, paths);
	return 0;
}
