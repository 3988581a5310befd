/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-host.h"
#include "hp-snapshot.h"

G_BEGIN_DECLS

/* The first 64 bytes of a device's config space: all a non-root reader
 * gets, and all the host rules read (the header type at 0x0e). */
#define HP_CAPTURE_CONFIG_BYTES 64

HpSnapshot *hp_capture_host(const HpHost *host, GPtrArray **ret_warnings, GError **error);

G_END_DECLS
