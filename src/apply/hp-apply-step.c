/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One step on the live host: its sysfs write through the host context,
 * then the check that the kernel did it. */
#include "hp-apply-step.h"

#include "hp-error.h"
#include "hp-host-write.h"
#include "hp-modprobe.h"

#define HP_APPLY_POLL_US 50000

/* The device's driver now; NULL: none. */
gchar *
hp_apply_read_driver(const HpHost *host, const HpPciAddress *addr)
{
	gchar bdf[HP_PCI_ADDRESS_STRLEN];
	g_autofree gchar *rel = g_strdup_printf("sys/bus/pci/devices/%s/driver", hp_pci_address_to_string(addr, bdf));
	g_autofree gchar *name = hp_host_link_name(host, rel, NULL);
	return name != NULL && hp_host_name_is_valid(name) ? g_steal_pointer(&name) : NULL;
}

/* The device's driver_override now; NULL: none ("(null)", as the kernel shows it). */
gchar *
hp_apply_read_override(const HpHost *host, const HpPciAddress *addr)
{
	gchar bdf[HP_PCI_ADDRESS_STRLEN];
	g_autofree gchar *rel =
		g_strdup_printf("sys/bus/pci/devices/%s/driver_override", hp_pci_address_to_string(addr, bdf));
	g_autofree gchar *line = hp_host_read_line(host, rel, NULL);
	if (line == NULL || line[0] == '\0' || g_strcmp0(line, "(null)") == 0)
		return NULL;
	return g_steal_pointer(&line);
}

/**
 * hp_apply_wait_driver:
 * @want: (nullable): the driver the device should be on; %NULL: none
 * @ret_seen: (out) (optional): the driver it is on at the end
 *
 * The kernel reports success on drivers_probe even when no driver took the
 * device, and a bind may finish after the write returns: the `driver` link
 * is polled until it is @want, for at most the options' wait.
 */
gboolean
hp_apply_wait_driver(const HpApplyOptions *opts, const HpPciAddress *addr, const gchar *want, gchar **ret_seen)
{
	gint64 end = g_get_monotonic_time() + (gint64)(opts->wait_ms != 0 ? opts->wait_ms : 5000) * 1000;

	for (;;) {
		g_autofree gchar *seen = hp_apply_read_driver(opts->host, addr);
		if (g_strcmp0(seen, want) == 0 || g_get_monotonic_time() >= end) {
			gboolean ok = g_strcmp0(seen, want) == 0;
			if (ret_seen != NULL)
				*ret_seen = g_steal_pointer(&seen);
			return ok;
		}
		g_usleep(HP_APPLY_POLL_US);
	}
}

static const gchar *
hp_or_none(const gchar *s)
{
	return s != NULL && s[0] != '\0' ? s : "none";
}

static HpEntryResult
hp_apply_write(const HpApplyOptions *opts, const gchar *rel, const gchar *value, gchar **ret_message)
{
	g_autoptr(GError) error = NULL;
	if (hp_host_write(opts->host, rel, value, &error))
		return HP_ENTRY_DONE;
	*ret_message = g_strdup(error->message);
	return HP_ENTRY_FAILED;
}

/* The original driver back: through its own bind file first (the driver
 * recorded, not whatever the kernel would pick), else drivers_probe. */
static HpEntryResult
hp_apply_bind(const HpApplyOptions *opts, const gchar *bdf, const gchar *driver, gchar **ret_message)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *bind = g_strdup_printf("sys/bus/pci/drivers/%s/bind", driver);

	if (hp_host_name_is_valid(driver) && hp_host_write(opts->host, bind, bdf, &error))
		return HP_ENTRY_DONE;
	return hp_apply_write(opts, "sys/bus/pci/drivers_probe", bdf, ret_message);
}

/**
 * hp_apply_step_perform:
 * @bind_driver: (nullable): for a PROBE of a release, the driver to give
 *   the device back to; %NULL for a prepare's PROBE (the override decides)
 * @ret_message: (out): what went wrong, on HP_ENTRY_FAILED
 *
 * Runs @step and checks it: an override is read back, an unbind waits for
 * the driver link to go, a verify waits for the driver wanted. A PROBE is
 * checked by the VERIFY after it.
 */
HpEntryResult
hp_apply_step_perform(const HpApplyOptions *opts, const HpPlanStep *step, const gchar *bind_driver,
		      gchar **ret_message)
{
	gchar bdf[HP_PCI_ADDRESS_STRLEN];
	g_autofree gchar *rel = NULL;
	g_autofree gchar *seen = NULL;
	g_autoptr(GError) error = NULL;
	HpEntryResult res;

	*ret_message = NULL;
	hp_pci_address_to_string(&step->device, bdf);
	switch (step->kind) {
	case HP_STEP_MODPROBE:
		if (!opts->run_modprobe) {
			*ret_message = g_strdup_printf("not loaded: the host is a copy (%s), nothing is loaded there",
						       hp_host_get_root(opts->host));
			return HP_ENTRY_SKIPPED;
		}
		if (!hp_modprobe_load(step->value, &error)) {
			*ret_message = g_strdup(error->message);
			return HP_ENTRY_FAILED;
		}
		return HP_ENTRY_DONE;
	case HP_STEP_SET_OVERRIDE:
	case HP_STEP_RESTORE_OVERRIDE:
		rel = g_strdup_printf("sys/bus/pci/devices/%s/driver_override", bdf);
		res = hp_apply_write(opts, rel, step->value, ret_message);
		if (res == HP_ENTRY_DONE) {
			seen = hp_apply_read_override(opts->host, &step->device);
			if (g_strcmp0(seen, step->value[0] != '\0' ? step->value : NULL) != 0) {
				*ret_message = g_strdup_printf("%s: driver_override reads %s after writing %s", bdf,
							       hp_or_none(seen), hp_or_none(step->value));
				return HP_ENTRY_FAILED;
			}
		}
		return res;
	case HP_STEP_UNBIND:
		seen = hp_apply_read_driver(opts->host, &step->device);
		if (seen == NULL) {
			*ret_message = g_strdup_printf("%s has no driver already: nothing to unbind", bdf);
			return HP_ENTRY_SKIPPED;
		}
		g_clear_pointer(&seen, g_free);
		rel = g_strdup_printf("sys/bus/pci/devices/%s/driver/unbind", bdf);
		res = hp_apply_write(opts, rel, bdf, ret_message);
		if (res == HP_ENTRY_DONE && !hp_apply_wait_driver(opts, &step->device, NULL, &seen)) {
			*ret_message = g_strdup_printf("%s is still on %s after the unbind", bdf, seen);
			return HP_ENTRY_FAILED;
		}
		return res;
	case HP_STEP_PROBE:
		if (bind_driver != NULL)
			return hp_apply_bind(opts, bdf, bind_driver, ret_message);
		return hp_apply_write(opts, "sys/bus/pci/drivers_probe", bdf, ret_message);
	case HP_STEP_VERIFY:
	default:
		if (!hp_apply_wait_driver(opts, &step->device, step->value[0] != '\0' ? step->value : NULL, &seen)) {
			*ret_message = step->value[0] != '\0'
					       ? g_strdup_printf("%s is on %s, not %s: the driver did not take it (see the kernel log, dmesg)",
								 bdf, hp_or_none(seen), step->value)
					       : g_strdup_printf("%s is on %s; it should have no driver", bdf, seen);
			return HP_ENTRY_FAILED;
		}
		return HP_ENTRY_DONE;
	}
}
