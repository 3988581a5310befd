/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Replays inputs through a fuzz harness without libFuzzer: every crash the
 * fuzzers found is kept in fuzz/regressions/NAME/ and run by the test suite
 * (plain and sanitized) from then on.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	guint n = 0;
	if (LLVMFuzzerInitialize != NULL && LLVMFuzzerInitialize(&argc, &argv) != 0)
		return 1;
	for (int i = 1; i < argc; i++) {
		g_autoptr(GDir) dir = g_dir_open(argv[i], 0, NULL);
		const gchar *name;
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *path = g_build_filename(argv[i], name, NULL);
			g_autofree gchar *data = NULL;
			gsize len = 0;
			if (name[0] == '.' || !g_file_get_contents(path, &data, &len, NULL))
				continue;
			LLVMFuzzerTestOneInput((const uint8_t *)data, len);
			printf("ok %u - %s\n", ++n, path);
		}
	}
	printf("1..%u\n", n);
	return 0;
}
