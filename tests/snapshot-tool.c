/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * For tests/capture.py: `snapshot-tool materialize SNAPSHOT DIR` writes a
 * snapshot's tree into the empty DIR (hp_snapshot_materialize), so that a
 * capture of DIR can be compared with SNAPSHOT byte for byte.
 */
#include <glib.h>

#include "hp-snapshot.h"

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpSnapshot) snap = NULL;

	if (argc != 4 || g_strcmp0(argv[1], "materialize") != 0) {
		g_printerr("usage: snapshot-tool materialize SNAPSHOT DIR\n");
		return 2;
	}
	snap = hp_snapshot_load(argv[2], &error);
	if (snap == NULL || !hp_snapshot_materialize(snap, argv[3], &error)) {
		g_printerr("snapshot-tool: %s\n", error->message);
		return 1;
	}
	return 0;
}
