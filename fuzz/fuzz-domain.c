/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: load + validate + normalize a domain document. */
#include <stddef.h>
#include <stdint.h>

#include "hp-normalize.h"
#include "hp-validate.h"

static HpValidator *validator;
static HpNormalizer *normalizer;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* our grammar only: libvirt's is not ours to fuzz, and is slow */
	validator = hp_validator_new(NULL, NULL);
	normalizer = hp_normalizer_new(NULL);
	return validator == NULL || normalizer == NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GBytes) bytes = g_bytes_new(data, size);
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_document_new_from_bytes("fuzz.xml", bytes, diags);
	g_autoptr(HpDomain) domain = NULL;
	g_autofree gchar *out = NULL;

	if (hdoc == NULL)
		return 0;
	domain = hp_validator_check(validator, hdoc, diags);
	if (hp_diag_list_count(diags, HP_SEVERITY_ERROR) == 0) {
		out = hp_normalizer_apply(normalizer, hdoc->doc, size % 2 == 0, NULL, NULL, NULL);
		g_assert(out != NULL);
	}
	return 0;
}
