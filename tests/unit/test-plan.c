/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test-host.h"

#include "hp-domain.h"
#include "hp-plan-output.h"
#include "hp-plan.h"

static gchar *root;

/* Each test gets its own tree, built by mkhost.py from this description
 * (the Python tests' builder): two tg3 functions, one on vfio-pci, one with
 * no driver whose modalias a variant driver's vfio_pci: alias matches. */
static const gchar host_desc[] =
    "release 6.1\n"
    "driver tg3\n"
    "driver vfio-pci module=vfio_pci\n"
    "device 0000:01:00.0 vendor=14e4 device=1657 subsystem=14e4:1657 class=0x020000 driver=tg3 group=1\n"
    "device 0000:01:00.1 vendor=14e4 device=1657 subsystem=14e4:1657 class=0x020000 driver=tg3 group=1\n"
    "device 0000:02:00.0 vendor=14e4 device=1657 subsystem=14e4:1657 class=0x020000 driver=vfio-pci group=2\n"
    "device 0000:03:00.0 vendor=15b3 device=101e subsystem=15b3:0052 class=0x020000 group=3\n"
    "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
    "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n";

static int
setup(void **state)
{
	root = hp_test_host_build(NULL, host_desc);
	return 0;
}

static int
teardown(void **state)
{
	hp_test_host_free(g_steal_pointer(&root));
	return 0;
}

/* Writes a device's driver_override, as the kernel shows it. */
static void
set_override(const gchar *bdf, const gchar *value)
{
	g_autofree gchar *path = g_strdup_printf("%s/sys/bus/pci/devices/%s/driver_override", root, bdf);
	g_assert_true(g_file_set_contents(path, value, -1, NULL));
}

static HpPlan *
plan_for(const gchar *devices)
{
	g_autofree gchar *xml = hp_test_domain(devices);
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(HpDomain) domain = hp_domain_parse(hdoc, diags);
	g_autoptr(HpHostView) view = hp_host_view_new(hp_host_new(root, "6.1", NULL));
	g_autoptr(GError) error = NULL;
	HpPlan *plan = hp_plan_build(view, domain, diags, &error);
	g_assert_no_error(error);
	return plan;
}

#define DEV(managed, b, f) \
	"    <hostdev mode='subsystem' type='pci' managed='" managed "'><source><address domain='0' bus='" b "' slot='0' function='" f "'/></source></hostdev>\n"

static const HpPlanStep *
step(GPtrArray *steps, guint i)
{
	return g_ptr_array_index(steps, i);
}

static void
test_generic(void **state)
{
	g_autoptr(HpPlan) plan = plan_for(DEV("yes", "1", "0") DEV("yes", "1", "1"));
	const HpPlanDevice *d = g_ptr_array_index(plan->devices, 0);
	g_autofree gchar *p0 = NULL;
	g_autofree gchar *p1 = NULL;
	g_autofree gchar *p2 = NULL;
	assert_int_equal(d->selection, HP_SELECTION_GENERIC);
	assert_string_equal(d->target_driver, "vfio-pci");
	assert_string_equal(d->target_module, "vfio_pci");
	assert_true(d->driver_confirmed); /* vfio-pci is registered on this host */
	/* set-override, unbind, probe, verify; twice */
	assert_int_equal(plan->prepare->len, 8);
	p0 = hp_plan_step_path(step(plan->prepare, 0));
	p1 = hp_plan_step_path(step(plan->prepare, 1));
	p2 = hp_plan_step_path(step(plan->prepare, 2));
	assert_int_equal(step(plan->prepare, 0)->kind, HP_STEP_SET_OVERRIDE);
	assert_string_equal(p0, "/sys/bus/pci/devices/0000:01:00.0/driver_override");
	assert_string_equal(step(plan->prepare, 0)->value, "vfio-pci");
	assert_string_equal(step(plan->prepare, 0)->previous, ""); /* it had none */
	assert_null(step(plan->prepare, 0)->module);
	assert_int_equal(step(plan->prepare, 1)->kind, HP_STEP_UNBIND);
	assert_string_equal(step(plan->prepare, 1)->previous, "tg3");
	assert_string_equal(p1, "/sys/bus/pci/devices/0000:01:00.0/driver/unbind");
	assert_string_equal(p2, "/sys/bus/pci/drivers_probe");
	assert_int_equal(step(plan->prepare, 3)->kind, HP_STEP_VERIFY);
	assert_int_equal(hp_step_kind_action(step(plan->prepare, 4)->kind), HP_STEP_ACTION_WRITE);
	/* release, derived: last device first; override back, leave vfio-pci, probe, back on tg3 */
	assert_int_equal(plan->release->len, 8);
	assert_int_equal(step(plan->release, 0)->device.function, 1);
	assert_int_equal(step(plan->release, 0)->kind, HP_STEP_RESTORE_OVERRIDE);
	assert_string_equal(step(plan->release, 0)->value, "");
	assert_string_equal(step(plan->release, 0)->previous, "vfio-pci");
	assert_int_equal(step(plan->release, 1)->kind, HP_STEP_UNBIND);
	assert_string_equal(step(plan->release, 1)->previous, "vfio-pci");
	assert_int_equal(step(plan->release, 2)->kind, HP_STEP_PROBE);
	assert_int_equal(step(plan->release, 3)->kind, HP_STEP_VERIFY);
	assert_string_equal(step(plan->release, 3)->value, "tg3");
}

static void
test_previous_override(void **state)
{
	/* an override the device had before is written back, not cleared */
	g_autoptr(HpPlan) plan = NULL;
	set_override("0000:01:00.1", "tg3\n");
	plan = plan_for(DEV("yes", "1", "1"));
	assert_string_equal(((HpPlanDevice *)g_ptr_array_index(plan->devices, 0))->current_override, "tg3");
	assert_string_equal(step(plan->prepare, 0)->previous, "tg3");
	assert_int_equal(step(plan->release, 0)->kind, HP_STEP_RESTORE_OVERRIDE);
	assert_string_equal(step(plan->release, 0)->value, "tg3");
}

static void
test_undo(void **state)
{
	/* each kind's undo; a device that had no driver gets none again */
	g_autoptr(GPtrArray) prepare = g_ptr_array_new_with_free_func((GDestroyNotify)hp_plan_step_free);
	g_autoptr(GPtrArray) release = NULL;
	HpPciAddress a = {0, 5, 0, 0};
	g_ptr_array_add(prepare, hp_plan_step_new(HP_STEP_MODPROBE, &a, "vfio_pci", NULL, "vfio_pci"));
	g_ptr_array_add(prepare, hp_plan_step_new(HP_STEP_SET_OVERRIDE, &a, "vfio-pci", "", "vfio_pci"));
	g_ptr_array_add(prepare, hp_plan_step_new(HP_STEP_PROBE, &a, "0000:05:00.0", NULL, NULL));
	g_ptr_array_add(prepare, hp_plan_step_new(HP_STEP_VERIFY, &a, "vfio-pci", NULL, "vfio_pci"));
	release = hp_plan_steps_undo(prepare);
	assert_int_equal(release->len, 3); /* no module is unloaded */
	assert_int_equal(step(release, 0)->kind, HP_STEP_RESTORE_OVERRIDE);
	assert_int_equal(step(release, 1)->kind, HP_STEP_UNBIND);
	assert_string_equal(step(release, 1)->previous, "vfio-pci");
	assert_int_equal(step(release, 2)->kind, HP_STEP_VERIFY);
	assert_string_equal(step(release, 2)->value, "");
	assert_string_equal(hp_step_kind_to_string(HP_STEP_RESTORE_OVERRIDE), "restore-override");
}

static void
test_refusals(void **state)
{
	/* the library refuses a domain with errors, and a name no kernel has */
	g_autofree gchar *xml = hp_test_domain(DEV("yes", "1", "0"));
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(HpDomain) domain = hp_domain_parse(hdoc, diags);
	g_autoptr(HpHostView) view = hp_host_view_new(hp_host_new(root, "6.1", NULL));
	g_autoptr(GError) error = NULL;
	g_autoptr(HpPlan) plan = NULL;

	hp_diag_list_add(diags, HP_RULE_MULTIFUNCTION_INCOMPLETE, HP_SPAN(1, 1), NULL, "an error");
	plan = hp_plan_build(view, domain, diags, &error);
	assert_null(plan);
	assert_non_null(strstr(error->message, "does not validate"));
	g_clear_error(&error);

	g_ptr_array_set_size(diags->items, 0);
	set_override("0000:01:00.0", "x$(touch PWNED)\n");
	plan = hp_plan_build(view, domain, diags, &error);
	assert_null(plan);
	assert_non_null(strstr(error->message, "not a kernel driver or module name"));
}

static void
test_variant_unmanaged_and_bound(void **state)
{
	g_autoptr(HpPlan) plan = plan_for(DEV("yes", "3", "0") DEV("no", "2", "0") DEV("yes", "2", "0"));
	const HpPlanDevice *variant = g_ptr_array_index(plan->devices, 0);
	const HpPlanDevice *unmanaged = g_ptr_array_index(plan->devices, 1);

	assert_int_equal(plan->devices->len, 2); /* a duplicate claim is planned once */
	assert_int_equal(variant->selection, HP_SELECTION_VARIANT);
	assert_string_equal(variant->target_module, "mlx5_vfio_pci");
	assert_int_equal(unmanaged->selection, HP_SELECTION_UNMANAGED);
	/* the variant: modprobe (not loaded), override, probe (no driver to unbind), verify; unmanaged: verify */
	assert_int_equal(plan->prepare->len, 5);
	assert_int_equal(step(plan->prepare, 0)->kind, HP_STEP_MODPROBE);
	assert_string_equal(step(plan->prepare, 0)->module, "mlx5_vfio_pci");
	assert_string_equal(step(plan->prepare, 1)->module, "mlx5_vfio_pci"); /* the driver name is a guess */
	assert_int_equal(step(plan->prepare, 4)->kind, HP_STEP_VERIFY);
	assert_string_equal(step(plan->prepare, 4)->value, "vfio-pci");
	/* release: override back, leave the variant, verify no driver (it had none) */
	assert_int_equal(plan->release->len, 3);
	assert_int_equal(step(plan->release, 2)->kind, HP_STEP_VERIFY);
	assert_string_equal(step(plan->release, 2)->value, "");
}

static void
test_already_bound(void **state)
{
	g_autoptr(HpPlan) plan = plan_for(DEV("yes", "2", "0"));
	assert_int_equal(((HpPlanDevice *)g_ptr_array_index(plan->devices, 0))->selection, HP_SELECTION_ALREADY_BOUND);
	assert_int_equal(plan->prepare->len, 0);
	assert_int_equal(plan->release->len, 0);
}

static void
test_formats(void **state)
{
	g_autoptr(HpPlan) plan = plan_for(DEV("yes", "1", "0"));
	g_autofree gchar *sh = hp_plan_to_string(plan, HP_PLAN_FORMAT_SH);
	g_autofree gchar *text = hp_plan_to_string(plan, HP_PLAN_FORMAT_TEXT);
	g_autofree gchar *json = hp_plan_to_string(plan, HP_PLAN_FORMAT_JSON);
	HpPlanFormat f;
	assert_non_null(strstr(sh, "set -eu\n"));
	assert_non_null(strstr(sh, "\thp_unbind '0000:01:00.0'\n"));
	assert_non_null(strstr(sh, "\thp_save 1 '0000:01:00.0'\n"));
	assert_non_null(strstr(json, "\"kind\" : \"set-override\""));
	assert_non_null(strstr(json, "\"previous\" : \"tg3\""));
	assert_non_null(strstr(text, "0000:01:00.0"));
	assert_non_null(strstr(json, "\"selection\" : \"generic\""));
	assert_true(hp_plan_format_parse("sh", &f));
	assert_false(hp_plan_format_parse("sarif", &f));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_generic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_previous_override, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_undo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_variant_unmanaged_and_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_already_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_formats, setup, teardown),
	};
	return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
