/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: the snapshot parser, its writer and its reads. A snapshot that
 * parses is written canonically; that text must parse again and give the
 * same bytes, and every entry must read without a crash. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hp-host.h"
#include "hp-snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpSnapshot) snap = hp_snapshot_new_from_data((const gchar *)data, size, "fuzz", &error);
	g_autoptr(HpSnapshot) again = NULL;
	g_autoptr(GPtrArray) paths = NULL;
	g_autoptr(HpHost) host = NULL;
	g_autofree gchar *text = NULL;
	g_autofree gchar *text2 = NULL;
	gsize len = 0, len2 = 0;

	if (snap == NULL) {
		g_assert(error != NULL && g_str_has_prefix(error->message, "fuzz:"));
		return 0;
	}
	text = hp_snapshot_to_data(snap, &len);
	again = hp_snapshot_new_from_data(text, len, "canonical", &error);
	if (again == NULL)
		g_error("the canonical text does not parse: %s", error->message);
	text2 = hp_snapshot_to_data(again, &len2);
	g_assert(len == len2 && memcmp(text, text2, len) == 0);

	/* read through HpHost, as --root SNAPSHOT reads it */
	paths = hp_snapshot_get_paths(snap);
	host = hp_host_new_for_snapshot(g_steal_pointer(&again), "fuzz", NULL);
	for (guint i = 0; i < paths->len; i++) {
		const gchar *rel = g_ptr_array_index(paths, i);
		g_autofree gchar *real = hp_host_resolve(host, rel, NULL);
		g_autofree gchar *bytes = NULL;
		g_autofree gchar *target = hp_host_readlink(host, rel, NULL);
		g_autofree gchar *name = hp_host_link_name(host, rel, NULL);
		g_autoptr(GPtrArray) names = hp_host_list_dir(host, rel, NULL);
		gsize n = 0;
		(void)hp_snapshot_lookup(snap, rel);
		(void)hp_host_lookup(host, rel, NULL);
		if (hp_host_read_head(host, rel, 64, &bytes, &n, NULL))
			g_assert(n <= 64 && real != NULL);
		g_free(g_steal_pointer(&bytes));
		if (hp_host_read(host, rel, 64, &bytes, &n, NULL))
			g_assert(n <= 64 && real != NULL);
		if (names != NULL)
			g_assert(real != NULL);
		(void)target;
	}
	return 0;
}
