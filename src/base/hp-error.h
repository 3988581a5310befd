/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Operational errors only: a file that cannot be read, a grammar that does
 * not compile. Findings about a domain or a host are HpDiag records, never
 * GErrors.
 */
#define HP_ERROR hp_error_quark()

typedef enum {
	HP_ERROR_INTERNAL,     /* a bug, or a resource we ship is broken */
	HP_ERROR_NOT_FOUND,    /* a file or directory does not exist */
	HP_ERROR_READ,         /* it exists but cannot be read */
	HP_ERROR_INVALID_DATA, /* it was read, but is not what it should be */
	HP_ERROR_WRITE,        /* an output could not be written */
	HP_ERROR_OUTSIDE_ROOT, /* a link in a host tree leads out of its root */
} HpError;

GQuark hp_error_quark(void);
void hp_error_convert(GError **error);

G_END_DECLS
