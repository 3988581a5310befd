/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-error.h"

#include <gio/gio.h>

G_DEFINE_QUARK(hostdev-preflight-error-quark, hp_error)

/* One table that maps the errors of the libraries we call into our domain. */
void
hp_error_convert(GError **error)
{
	struct {
		GQuark domain;
		gint code;
		HpError to;
	} map[] = {
	    {G_FILE_ERROR, G_FILE_ERROR_NOENT, HP_ERROR_NOT_FOUND},
	    {G_FILE_ERROR, G_FILE_ERROR_ISDIR, HP_ERROR_READ},
	    {G_FILE_ERROR, G_FILE_ERROR_ACCES, HP_ERROR_READ},
	    {G_FILE_ERROR, G_FILE_ERROR_PERM, HP_ERROR_READ},
	    {G_FILE_ERROR, G_FILE_ERROR_NOTDIR, HP_ERROR_NOT_FOUND},
	    {G_FILE_ERROR, G_FILE_ERROR_LOOP, HP_ERROR_READ},
	    {G_IO_ERROR, G_IO_ERROR_NOT_FOUND, HP_ERROR_NOT_FOUND},
	    {G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, HP_ERROR_READ},
	    {G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY, HP_ERROR_READ},
	};

	if (error == NULL || *error == NULL || (*error)->domain == HP_ERROR)
		return;
	for (guint i = 0; i < G_N_ELEMENTS(map); i++) {
		if (g_error_matches(*error, map[i].domain, map[i].code)) {
			(*error)->domain = HP_ERROR;
			(*error)->code = map[i].to;
			return;
		}
	}
	(*error)->code = (*error)->domain == G_FILE_ERROR ? HP_ERROR_READ : HP_ERROR_INTERNAL;
	(*error)->domain = HP_ERROR;
}
