/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tree changed while it is read cannot lead out of its root (SPEC section
 * 8): a thread swaps a directory with a link to outside the root, over and
 * over, while the host reads through it. Every read gets the inside file or
 * an error; the file outside is never opened (inotify watches it) and never
 * read. A resolve-then-open reader fails this within a few hundred reads.
 */
#include "hp-test-host.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/inotify.h>

#include "hp-host.h"

#define READS 20000

typedef struct {
	gchar *a, *b;
	gint stop;
	guint swaps;
} Swapper;

static gpointer
swapper_run(gpointer data)
{
	Swapper *s = data;
	while (!g_atomic_int_get(&s->stop)) {
		if (renameat2(AT_FDCWD, s->a, AT_FDCWD, s->b, RENAME_EXCHANGE) == 0)
			s->swaps++;
	}
	return NULL;
}

static void
race(gboolean openat2)
{
	g_autofree gchar *root = hp_test_host_build(NULL, "file sys/d/f inside\\n\n"
							  "link sys/alt ../../outside\n"
							  "file sys/keep x\n");
	g_autofree gchar *top = g_path_get_dirname(root);
	g_autofree gchar *outside = g_build_filename(top, "outside", NULL);
	g_autofree gchar *marker = g_build_filename(outside, "f", NULL);
	g_autofree gchar *secret = g_build_filename(outside, "secret", NULL);
	g_autoptr(HpHost) host = hp_host_new(root, NULL, NULL);
	Swapper s = {0};
	GThread *thread;
	guint inside = 0, refused = 0, escaped = 0, listed = 0;
	gint watch;
	gchar events[4096];

	g_mkdir(outside, 0755);
	assert_true(g_file_set_contents(marker, "OUTSIDE-MARKER\n", -1, NULL));
	assert_true(g_file_set_contents(secret, "", -1, NULL));
	watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(watch >= 0);
	assert_true(inotify_add_watch(watch, outside, IN_OPEN | IN_ACCESS) >= 0);
	hp_host_set_use_openat2(host, openat2);

	s.a = g_build_filename(root, "sys", "d", NULL);
	s.b = g_build_filename(root, "sys", "alt", NULL);
	thread = g_thread_new("swapper", swapper_run, &s);
	for (guint i = 0; i < READS; i++) {
		g_autofree gchar *line = hp_host_read_line(host, "sys/d/f", NULL);
		if (line == NULL)
			refused++;
		else if (strcmp(line, "inside") == 0)
			inside++;
		else
			escaped++;
		if (i % 8 == 0) {
			g_autoptr(GPtrArray) names = hp_host_list_dir(host, "sys/d", NULL);
			for (guint j = 0; names != NULL && j < names->len; j++) {
				if (strcmp(g_ptr_array_index(names, j), "secret") == 0)
					listed++;
			}
		}
	}
	g_atomic_int_set(&s.stop, 1);
	g_thread_join(thread);

	print_message("# %s: %u swaps, %u reads inside, %u refused, %u outside, %u listings outside\n",
		      openat2 ? "openat2" : "walk", s.swaps, inside, refused, escaped, listed);
	assert_int_equal(escaped, 0);
	assert_int_equal(listed, 0);
	assert_true(read(watch, events, sizeof(events)) < 0); /* no event: nothing outside was opened */
	/* the race was run: both states were seen */
	assert_true(inside > 0);
	assert_true(refused > 0);
	close(watch);
	g_free(s.a);
	g_free(s.b);
	hp_test_host_free(g_steal_pointer(&root));
}

static void
test_race_openat2(void **state)
{
	race(TRUE);
}

static void
test_race_walk(void **state)
{
	race(FALSE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_race_openat2),
	    cmocka_unit_test(test_race_walk),
	};
	return cmocka_run_group_tests_name("host-race", tests, NULL, NULL);
}
