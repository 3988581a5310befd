/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include "hp-domain.h"
#include "hp-error.h"
#include "hp-plan-output.h"
#include "hp-plan.h"

static gchar *root;

static void
device(const gchar *bdf, const gchar *driver, const gchar *modalias)
{
	g_autofree gchar *d = g_strdup_printf("sys/devices/pci0000:00/%s", bdf);
	g_autofree gchar *f = g_strdup_printf("%s/modalias", d);
	g_autofree gchar *link = g_strdup_printf("sys/bus/pci/devices/%s", bdf);
	g_autofree gchar *target = g_strdup_printf("../../../devices/pci0000:00/%s", bdf);
	hp_test_mk(root, f, modalias, -1);
	hp_test_ln(root, link, target);
	if (driver != NULL) {
		g_autofree gchar *dl = g_strdup_printf("%s/driver", d);
		g_autofree gchar *dt = g_strdup_printf("../../../bus/pci/drivers/%s", driver);
		g_autofree gchar *bind = g_strdup_printf("sys/bus/pci/drivers/%s/bind", driver);
		hp_test_mk(root, bind, "", -1);
		hp_test_ln(root, dl, dt);
	}
}

static int
setup(void **state)
{
	root = g_dir_make_tmp("hp-plan-XXXXXX", NULL);
	device("0000:01:00.0", "tg3", "pci:v000014E4d00001657sv000014E4sd00001657bc02sc00i00\n");
	device("0000:01:00.1", "tg3", "pci:v000014E4d00001657sv000014E4sd00001657bc02sc00i00\n");
	device("0000:02:00.0", "vfio-pci", "pci:v000014E4d00001657sv000014E4sd00001657bc02sc00i00\n");
	device("0000:03:00.0", NULL, "pci:v000015B3d0000101Esv000015B3sd00000052bc02sc00i00\n");
	hp_test_mk(root, "lib/modules/6.1/modules.alias",
		   "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
		   "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n",
		   -1);
	return 0;
}

static int
teardown(void **state)
{
	hp_test_rm_tree(root);
	g_clear_pointer(&root, g_free);
	return 0;
}

/* The plan for a domain with @devices, or NULL with @error. */
static HpPlan *
plan_try(const gchar *devices, const HpDiagList *extra, GError **error)
{
	g_autofree gchar *xml = hp_test_domain(devices);
	g_autoptr(HpDiagList) diags = hp_diag_list_new();
	g_autoptr(HpDocument) hdoc = hp_test_doc(xml, diags);
	g_autoptr(HpDomain) domain = hp_domain_parse(hdoc, diags);
	g_autoptr(HpHostView) view = hp_host_view_new(hp_host_new(root, "6.1", NULL));
	return hp_plan_build(view, domain, extra != NULL ? extra : diags, error);
}

static HpPlan *
plan_for(const gchar *devices)
{
	g_autoptr(GError) error = NULL;
	HpPlan *plan = plan_try(devices, NULL, &error);
	assert_null(error);
	assert_non_null(plan);
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
	assert_int_equal(d->selection, HP_SELECTION_GENERIC);
	assert_string_equal(d->target_driver, "vfio-pci");
	assert_string_equal(d->target_module, "vfio_pci");
	assert_string_equal(d->driver_override, ""); /* no file: none */
	assert_true(d->driver_confirmed); /* vfio-pci is registered on this host */
	/* override, unbind, probe, verify (SPEC section 7's order); twice */
	assert_int_equal(plan->prepare->len, 8);
	assert_int_equal(step(plan->prepare, 0)->kind, HP_STEP_KIND_SET_OVERRIDE);
	assert_string_equal(step(plan->prepare, 0)->path, "/sys/bus/pci/devices/0000:01:00.0/driver_override");
	assert_string_equal(step(plan->prepare, 0)->value, "vfio-pci");
	assert_string_equal(step(plan->prepare, 0)->previous, "");
	assert_null(step(plan->prepare, 0)->module);
	assert_int_equal(step(plan->prepare, 1)->kind, HP_STEP_KIND_UNBIND);
	assert_string_equal(step(plan->prepare, 1)->path, "/sys/bus/pci/drivers/tg3/unbind");
	assert_string_equal(step(plan->prepare, 1)->previous, "tg3");
	assert_int_equal(step(plan->prepare, 2)->kind, HP_STEP_KIND_PROBE);
	assert_string_equal(step(plan->prepare, 2)->path, "/sys/bus/pci/drivers_probe");
	assert_int_equal(step(plan->prepare, 3)->kind, HP_STEP_KIND_VERIFY);
	assert_int_equal(hp_step_kind_action(step(plan->prepare, 3)->kind), HP_STEP_VERIFY);
	for (guint i = 0; i < plan->prepare->len; i++)
		assert_int_equal(step(plan->prepare, i)->origin, i);
	/* release, derived: last device first; off vfio-pci, override back, tg3 bound again through its bind file */
	assert_int_equal(plan->release->len, 10);
	assert_int_equal(step(plan->release, 0)->device.function, 1);
	assert_int_equal(step(plan->release, 0)->kind, HP_STEP_KIND_UNBIND);
	assert_string_equal(step(plan->release, 0)->path, "/sys/bus/pci/drivers/vfio-pci/unbind");
	assert_int_equal(step(plan->release, 1)->kind, HP_STEP_KIND_VERIFY);
	assert_string_equal(step(plan->release, 1)->value, "");
	assert_int_equal(step(plan->release, 2)->kind, HP_STEP_KIND_RESTORE_OVERRIDE);
	assert_string_equal(step(plan->release, 2)->value, "");
	assert_string_equal(step(plan->release, 2)->previous, "vfio-pci");
	assert_int_equal(step(plan->release, 3)->kind, HP_STEP_KIND_PROBE);
	assert_string_equal(step(plan->release, 3)->path, "/sys/bus/pci/drivers/tg3/bind");
	assert_string_equal(step(plan->release, 3)->value, "0000:01:00.1");
	assert_string_equal(step(plan->release, 4)->value, "tg3");
	assert_int_equal(step(plan->release, 5)->device.function, 0);
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
	assert_int_equal(step(plan->prepare, 0)->kind, HP_STEP_KIND_MODPROBE);
	assert_string_equal(step(plan->prepare, 0)->module, "mlx5_vfio_pci");
	assert_string_equal(step(plan->prepare, 1)->module, "mlx5_vfio_pci"); /* the driver name is a guess */
	assert_true(step(plan->prepare, 1)->driver_pending);
	assert_int_equal(step(plan->prepare, 4)->kind, HP_STEP_KIND_VERIFY);
	assert_string_equal(step(plan->prepare, 4)->value, "vfio-pci");
	/* it had no driver: off the variant, checked driverless, override cleared; no probe */
	assert_int_equal(plan->release->len, 3);
	assert_int_equal(step(plan->release, 0)->kind, HP_STEP_KIND_UNBIND);
	assert_true(step(plan->release, 0)->driver_pending);
	assert_int_equal(step(plan->release, 2)->kind, HP_STEP_KIND_RESTORE_OVERRIDE);
}

static void
test_already_bound(void **state)
{
	g_autoptr(HpPlan) plan = NULL;
	hp_test_ln(root, "sys/module/vfio_pci/drivers/pci:vfio-pci", "../../../bus/pci/drivers/vfio-pci");
	plan = plan_for(DEV("yes", "2", "0"));
	assert_int_equal(((HpPlanDevice *)g_ptr_array_index(plan->devices, 0))->selection, HP_SELECTION_ALREADY_BOUND);
	assert_int_equal(plan->prepare->len, 0);
	assert_int_equal(plan->release->len, 0);
}

/* An override the device had is recorded and written back, not cleared. */
static void
test_override_restored(void **state)
{
	g_autoptr(HpPlan) plan = NULL;
	hp_test_mk(root, "sys/devices/pci0000:00/0000:01:00.0/driver_override", "tg3\n", -1);
	hp_test_mk(root, "sys/devices/pci0000:00/0000:01:00.1/driver_override", "(null)\n", -1);
	plan = plan_for(DEV("yes", "1", "0") DEV("yes", "1", "1"));
	assert_string_equal(((HpPlanDevice *)g_ptr_array_index(plan->devices, 0))->driver_override, "tg3");
	assert_string_equal(((HpPlanDevice *)g_ptr_array_index(plan->devices, 1))->driver_override, "");
	assert_string_equal(step(plan->prepare, 0)->previous, "tg3");
	assert_string_equal(step(plan->release, 7)->kind == HP_STEP_KIND_RESTORE_OVERRIDE ? step(plan->release, 7)->value : "?",
			    "tg3");
	assert_string_equal(step(plan->release, 2)->value, "");
	hp_test_mk(root, "sys/devices/pci0000:00/0000:01:00.0/driver_override", "(null)\n", -1);
}

static void
test_refuses_errors(void **state)
{
	g_autoptr(HpDiagList) findings = hp_diag_list_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(HpPlan) plan = NULL;

	hp_diag_list_add(findings, HP_RULE_PCI_ADDRESS_OCTAL, NULL, NULL, "a warning does not stop a plan");
	plan = plan_try(DEV("yes", "1", "0"), findings, &error);
	assert_non_null(plan);
	g_clear_pointer(&plan, hp_plan_free);
	hp_diag_list_add(findings, HP_RULE_MULTIFUNCTION_INCOMPLETE, NULL, NULL, "an error does");
	plan = plan_try(DEV("yes", "1", "0"), findings, &error);
	assert_null(plan);
	assert_true(g_error_matches(error, HP_ERROR, HP_ERROR_INVALID_DATA));
	assert_non_null(strstr(error->message, "1 error on this host: no plan"));
}

/* Names that are no kernel names never reach a plan, wherever they come from. */
static void
test_refuses_hostile_names(void **state)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HpPlan) plan = NULL;

	/* from the domain */
	plan = plan_try("    <hostdev mode='subsystem' type='pci' managed='yes'><driver model='x$(touch PWNED)'/>"
			"<source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>\n",
			NULL, &error);
	assert_null(plan);
	assert_non_null(strstr(error->message, "is no kernel name"));
	g_clear_error(&error);

	/* from the host: a driver_override, a driver */
	hp_test_mk(root, "sys/devices/pci0000:00/0000:01:00.0/driver_override", "a`id`\n", -1);
	plan = plan_try(DEV("yes", "1", "0"), NULL, &error);
	assert_null(plan);
	assert_non_null(strstr(error->message, "driver_override holds 'a`id`'"));
	g_clear_error(&error);
	hp_test_mk(root, "sys/devices/pci0000:00/0000:01:00.0/driver_override", "(null)\n", -1);

	hp_test_mk(root, "sys/bus/pci/drivers/t g3;x/bind", "", -1);
	hp_test_ln(root, "sys/devices/pci0000:00/0000:04:00.0/driver", "../../../bus/pci/drivers/t g3;x");
	device("0000:04:00.0", NULL, "pci:v000014E4d00001657sv000014E4sd00001657bc02sc00i00\n");
	plan = plan_try(DEV("yes", "4", "0"), NULL, &error);
	assert_null(plan);
	assert_non_null(strstr(error->message, "0000:04:00.0: its current driver 't g3;x' is no kernel name"));

	assert_true(hp_kernel_name_valid("hisi-acc-vfio-pci"));
	assert_true(hp_kernel_name_valid("mlx5_vfio_pci"));
	assert_false(hp_kernel_name_valid(".."));
	assert_false(hp_kernel_name_valid(""));
	assert_false(hp_kernel_name_valid("a/b"));
	assert_false(hp_kernel_name_valid("a\nb"));
	assert_true(hp_kernel_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));  /* 64 */
	assert_false(hp_kernel_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 65 */
}

/* A driver link that is there but leads nowhere: still unbound, through the link. */
static void
test_driver_unknown(void **state)
{
	g_autoptr(HpPlan) plan = NULL;
	const HpPlanDevice *d;

	device("0000:05:00.0", NULL, "pci:v000014E4d00001657sv000014E4sd00001657bc02sc00i00\n");
	hp_test_ln(root, "sys/devices/pci0000:00/0000:05:00.0/driver", "/nonexistent/outside/the/root");
	plan = plan_for(DEV("yes", "5", "0"));
	d = g_ptr_array_index(plan->devices, 0);
	assert_true(d->driver_unknown);
	assert_null(d->current_driver);
	assert_int_equal(plan->prepare->len, 4);
	assert_int_equal(step(plan->prepare, 1)->kind, HP_STEP_KIND_UNBIND);
	assert_null(step(plan->prepare, 1)->driver);
	assert_string_equal(step(plan->prepare, 1)->path, "/sys/bus/pci/devices/0000:05:00.0/driver/unbind");
	/* its release lets the kernel pick a driver again, and checks it has one */
	assert_int_equal(step(plan->release, 3)->kind, HP_STEP_KIND_PROBE);
	assert_false(step(plan->release, 3)->by_bind);
	assert_string_equal(step(plan->release, 3)->path, "/sys/bus/pci/drivers_probe");
	assert_int_equal(step(plan->release, 4)->kind, HP_STEP_KIND_VERIFY);
	assert_null(step(plan->release, 4)->value);
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
	assert_non_null(strstr(sh, "\thp_unbind '0000:01:00.0' 'tg3'\n"));
	assert_non_null(strstr(text, "0000:01:00.0 set-override"));
	assert_non_null(strstr(json, "\"selection\" : \"generic\""));
	assert_non_null(strstr(json, "\"kind\" : \"restore-override\""));
	assert_non_null(strstr(json, "\"previous\" : \"tg3\""));
	assert_true(hp_plan_format_parse("sh", &f));
	assert_false(hp_plan_format_parse("sarif", &f));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generic),
	    cmocka_unit_test(test_variant_unmanaged_and_bound),
	    cmocka_unit_test(test_already_bound),
	    cmocka_unit_test(test_override_restored),
	    cmocka_unit_test(test_refuses_errors),
	    cmocka_unit_test(test_refuses_hostile_names),
	    cmocka_unit_test(test_driver_unknown),
	    cmocka_unit_test(test_formats),
	};
	return cmocka_run_group_tests_name("plan", tests, setup, teardown);
}
