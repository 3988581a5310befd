/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: load + validate + normalize a domain document. */
#include <stddef.h>
#include <stdint.h>

#include "hp-normalize.h"
#include "hp-checker.h"

static HpChecker *checker;
static HpNormalizer *normalizer;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* our grammar only: libvirt's is not ours to fuzz, and is slow */
	checker = hp_checker_new(NULL, NULL);
	normalizer = hp_normalizer_new(NULL);
	return checker == NULL || normalizer == NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GBytes) bytes = g_bytes_new(data, size);
	g_autoptr(HpCheckResult) result = hp_checker_check(checker, "fuzz.xml", bytes);
	g_autofree gchar *out = NULL;

	if (result->document != NULL && hp_check_result_errors(result) == 0) {
		out = hp_normalizer_apply(normalizer, result->document->doc, size % 2 == 0, NULL, NULL, NULL);
		g_assert(out != NULL);
	}
	return 0;
}
