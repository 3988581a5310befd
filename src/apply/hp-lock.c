/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One lock per domain (STATE_DIR/NAME.lock): two runs for one domain never
 * interleave, two domains go on at once. */
#include "hp-lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "hp-error.h"

/**
 * hp_lock_take:
 * @stem: the domain's file stem (hp_journal_file_stem()), or %HP_LOCK_ALL
 *
 * Takes STATE_DIR/@stem.lock with flock(2), waiting for a run that holds
 * it. The lock goes with the process: a run that is killed drops it.
 *
 * Returns: the descriptor that holds the lock, or -1 with @error.
 */
gint
hp_lock_take(const gchar *state_dir, const gchar *stem, GError **error)
{
	g_autofree gchar *path = g_strdup_printf("%s/%s.lock", state_dir, stem);
	gint fd;

	if (g_mkdir_with_parents(state_dir, 0700) != 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot make the state directory %s: %s", state_dir,
			    g_strerror(errno));
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot open the lock %s: %s", path, g_strerror(errno));
		return -1;
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		g_set_error(error, HP_ERROR, HP_ERROR_WRITE, "cannot lock %s: %s", path, g_strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void
hp_lock_drop(gint fd)
{
	if (fd >= 0)
		close(fd); /* the lock goes with the last descriptor */
}
