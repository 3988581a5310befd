/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer: the modules.alias parser and the vfio_pci: matcher. The first
 * line of the input is a device modalias, the rest a modules.alias. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hp-host.h"
#include "hp-modalias.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	gsize first = nl != NULL ? (gsize)(nl - data) : size;
	g_autofree gchar *modalias = g_strndup((const gchar *)data, first);
	g_autoptr(HpModAlias) ma = hp_modalias_new_from_data((const gchar *)data + first, size - first);
	const HpVfioAlias *alias = hp_modalias_match_vfio(ma, modalias);

	if (alias != NULL)
		g_assert(alias->module != NULL && alias->wildcards <= HP_MODALIAS_FIELDS);
	/* a module that can reach a plan is always a kernel name (SPEC section 8) */
	for (guint i = 0; i < ma->vfio->len; i++)
		g_assert(hp_host_name_is_kernel_name(((const HpVfioAlias *)g_ptr_array_index(ma->vfio, i))->module));
	g_assert(ma->malformed == 0 || ma->first_malformed_line > 0);
	(void)hp_modalias_module_is_vfio(ma, modalias);
	return 0;
}
