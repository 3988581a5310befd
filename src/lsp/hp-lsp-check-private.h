/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What hp-lsp-check.c and hp-lsp-actions.c share: the checker's and a
 * result's insides, and the one check both run. */

#include <pthread.h>

#include "hp-checker.h"
#include "hp-host-data.h"
#include "hp-lsp-check.h"
#include "hp-normalize.h"

struct _HpLspChecker {
	HpLspConfig config;
	HpChecker *checker;     /* the static layers, grammars compiled once per server */
	HpNormalizer *normalizer;
	pthread_mutex_t lock;   /* one normalization at a time (a pthread mutex: TSan sees it) */
	HpHostData *host_data;  /* NULL: no host rules, see host_skip */
	gchar *host_skip;       /* why there is no host, for the note */
};

struct _HpLspResult {
	gint ref;
	gchar *uri;
	gint64 version;
	HpLspText *text;
	HpDocument *hdoc;
	HpDomain *domain;
	HpDiagList *diags;
};

HpLspResult *hp_lsp_check(HpLspChecker *checker, const gchar *uri, gint64 version, GBytes *bytes);
