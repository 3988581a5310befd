/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who holds a VFIO group open: the processes' open files in proc/PID/fd. */
#include "hp-vfio-holders.h"

#include <stdlib.h>
#include <string.h>

#include "hp-diag.h"
#include "hp-host-write.h"

static gboolean
hp_is_number(const gchar *s)
{
	if (s[0] == '\0')
		return FALSE;
	for (; *s != '\0'; s++) {
		if (!g_ascii_isdigit(*s))
			return FALSE;
	}
	return TRUE;
}

/* The group a link target names: "/dev/vfio/N", or -1. */
static gint
hp_vfio_group_of(const gchar *target)
{
	const gchar *n;
	if (!g_str_has_prefix(target, "/dev/vfio/"))
		return -1;
	n = target + strlen("/dev/vfio/");
	if (!hp_is_number(n) || strlen(n) > 9)
		return -1;
	return atoi(n);
}

/**
 * hp_vfio_holders:
 * @groups: (element-type gint): IOMMU group numbers
 *
 * Every process that holds `/dev/vfio/N` open for a group in @groups, read
 * through the host context (the links in `proc/PID/fd/`, never followed). A
 * process that goes away, or whose files this user may not see, is passed
 * over.
 *
 * Returns: (transfer full) (element-type utf8): one line per holder:
 * "/dev/vfio/N is open in process PID (COMM)".
 */
GPtrArray *
hp_vfio_holders(const HpHost *host, GArray *groups)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) pids = NULL;

	if (groups->len == 0)
		return out;
	pids = hp_host_list_dir(host, "proc", NULL);
	for (guint p = 0; pids != NULL && p < pids->len; p++) {
		const gchar *pid = g_ptr_array_index(pids, p);
		g_autofree gchar *fd_dir = NULL;
		g_autoptr(GPtrArray) fds = NULL;

		if (!hp_is_number(pid))
			continue;
		fd_dir = g_strdup_printf("proc/%s/fd", pid);
		fds = hp_host_list_dir(host, fd_dir, NULL);
		for (guint f = 0; fds != NULL && f < fds->len; f++) {
			g_autofree gchar *rel = g_strdup_printf("%s/%s", fd_dir, (const gchar *)g_ptr_array_index(fds, f));
			g_autofree gchar *target = hp_host_read_link(host, rel, NULL);
			gint group = target != NULL ? hp_vfio_group_of(target) : -1;

			for (guint g = 0; group >= 0 && g < groups->len; g++) {
				if (g_array_index(groups, gint, g) == group) {
					g_autofree gchar *comm_rel = g_strdup_printf("proc/%s/comm", pid);
					g_autofree gchar *comm = hp_host_read_line(host, comm_rel, NULL);
					g_autofree gchar *shown = hp_echo(comm != NULL ? comm : "?");
					g_ptr_array_add(out, g_strdup_printf("/dev/vfio/%d is open in process %s (%s)", group,
									     pid, shown));
					break;
				}
			}
		}
	}
	return out;
}
