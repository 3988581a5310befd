/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hp-host.h"

G_BEGIN_DECLS

GPtrArray *hp_vfio_holders(const HpHost *host, GArray *groups);

G_END_DECLS
