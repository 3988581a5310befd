/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-validate.h"

#include "hp-rules.h"

struct _HpValidator {
	HpSchema *builtin;
	HpSchema *libvirt; /* NULL: not used */
};

/**
 * hp_validator_new:
 * @libvirt_schema_dir: (nullable): where libvirt's domain.rng is, or %NULL
 *   to leave libvirt's grammar out
 *
 * Returns: (transfer full) (nullable): the validator, or %NULL with @error.
 */
HpValidator *
hp_validator_new(const gchar *libvirt_schema_dir, GError **error)
{
	g_autoptr(HpValidator) validator = g_new0(HpValidator, 1);

	validator->builtin = hp_schema_new_builtin(error);
	if (validator->builtin == NULL)
		return NULL;
	if (libvirt_schema_dir != NULL) {
		validator->libvirt = hp_schema_new_libvirt(libvirt_schema_dir, error);
		if (validator->libvirt == NULL)
			return NULL;
	}
	return g_steal_pointer(&validator);
}

void
hp_validator_free(HpValidator *validator)
{
	if (validator == NULL)
		return;
	hp_schema_free(validator->builtin);
	hp_schema_free(validator->libvirt);
	g_free(validator);
}

gboolean
hp_validator_has_libvirt(const HpValidator *validator)
{
	return validator->libvirt != NULL;
}

/**
 * hp_validator_get_libvirt:
 *
 * Returns: (transfer none) (nullable): libvirt's grammar in use, for
 * `normalize --libvirt-compat` to ask it what it accepts.
 */
HpSchema *
hp_validator_get_libvirt(const HpValidator *validator)
{
	return validator->libvirt;
}

/**
 * hp_validator_check:
 * @hdoc: a well-formed document
 * @diags: findings of every static layer go here, in file order
 *
 * Returns: (transfer full): the domain's model, for the host layer and plan.
 */
HpDomain *
hp_validator_check(HpValidator *validator, const HpDocument *hdoc, HpDiagList *diags)
{
	HpDomain *domain;

	hp_schema_validate(validator->builtin, hdoc, diags);
	if (validator->libvirt != NULL)
		hp_schema_validate(validator->libvirt, hdoc, diags);
	domain = hp_domain_parse(hdoc, diags);
	hp_rules_check_static(hdoc, domain, diags);
	hp_diag_list_sort(diags);
	return domain;
}
