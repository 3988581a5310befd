/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "hp-test.h"

#include "hp-plan-step.h"

static const HpPciAddress dev0 = {0, 1, 0, 0};
static const HpPciAddress dev1 = {0, 1, 0, 1};

static const HpPlanStep *
at(GPtrArray *steps, guint i)
{
	return g_ptr_array_index(steps, i);
}

static void
test_kinds(void **state)
{
	assert_string_equal(hp_step_kind_to_string(HP_STEP_KIND_MODPROBE), "modprobe");
	assert_string_equal(hp_step_kind_to_string(HP_STEP_KIND_SET_OVERRIDE), "set-override");
	assert_string_equal(hp_step_kind_to_string(HP_STEP_KIND_UNBIND), "unbind");
	assert_string_equal(hp_step_kind_to_string(HP_STEP_KIND_PROBE), "probe");
	assert_string_equal(hp_step_kind_to_string(HP_STEP_KIND_VERIFY), "verify");
	assert_string_equal(hp_step_kind_to_string(HP_STEP_KIND_RESTORE_OVERRIDE), "restore-override");
	assert_int_equal(hp_step_kind_action(HP_STEP_KIND_MODPROBE), HP_STEP_MODPROBE);
	assert_int_equal(hp_step_kind_action(HP_STEP_KIND_UNBIND), HP_STEP_WRITE);
	assert_int_equal(hp_step_kind_action(HP_STEP_KIND_RESTORE_OVERRIDE), HP_STEP_WRITE);
	assert_int_equal(hp_step_kind_action(HP_STEP_KIND_VERIFY), HP_STEP_VERIFY);
	assert_string_equal(hp_step_action_to_string(HP_STEP_WRITE), "write");
}

/* Each kind knows its undo, and records what it replaces. */
static void
test_undo_each_kind(void **state)
{
	g_autoptr(HpPlanStep) mod = hp_plan_step_new(HP_STEP_KIND_MODPROBE, &dev0, "vfio_pci", NULL, HP_STEP_BIND_NONE);
	g_autoptr(HpPlanStep) set = hp_plan_step_new(HP_STEP_KIND_SET_OVERRIDE, &dev0, "vfio-pci", "e1000e", HP_STEP_BIND_NONE);
	g_autoptr(HpPlanStep) unbind = hp_plan_step_new(HP_STEP_KIND_UNBIND, &dev0, "e1000e", "e1000e", HP_STEP_BIND_NONE);
	g_autoptr(HpPlanStep) unknown = hp_plan_step_new(HP_STEP_KIND_UNBIND, &dev0, NULL, NULL, HP_STEP_BIND_NONE);
	g_autoptr(HpPlanStep) probe = hp_plan_step_new(HP_STEP_KIND_PROBE, &dev0, "vfio-pci", "", HP_STEP_BIND_PROBE);
	g_autoptr(HpPlanStep) verify = hp_plan_step_new(HP_STEP_KIND_VERIFY, &dev0, "vfio-pci", NULL, HP_STEP_BIND_NONE);
	g_autoptr(HpPlanStep) restore = hp_plan_step_new(HP_STEP_KIND_RESTORE_OVERRIDE, &dev0, "", "vfio-pci", HP_STEP_BIND_NONE);
	g_autoptr(GPtrArray) u = NULL;

	assert_string_equal(mod->module, "vfio_pci");
	assert_null(mod->path);
	u = hp_plan_step_undo(mod); /* a module is never unloaded */
	assert_int_equal(u->len, 0);
	g_clear_pointer(&u, g_ptr_array_unref);
	u = hp_plan_step_undo(verify);
	assert_int_equal(u->len, 0);
	g_clear_pointer(&u, g_ptr_array_unref);

	/* the override it had is written back, not cleared */
	u = hp_plan_step_undo(set);
	assert_int_equal(u->len, 1);
	assert_int_equal(at(u, 0)->kind, HP_STEP_KIND_RESTORE_OVERRIDE);
	assert_string_equal(at(u, 0)->value, "e1000e");
	assert_string_equal(at(u, 0)->previous, "vfio-pci");
	assert_string_equal(at(u, 0)->path, "/sys/bus/pci/devices/0000:01:00.0/driver_override");
	g_clear_pointer(&u, g_ptr_array_unref);
	u = hp_plan_step_undo(restore);
	assert_int_equal(u->len, 1);
	assert_int_equal(at(u, 0)->kind, HP_STEP_KIND_SET_OVERRIDE);
	assert_string_equal(at(u, 0)->value, "vfio-pci");
	assert_string_equal(at(u, 0)->previous, "");
	g_clear_pointer(&u, g_ptr_array_unref);

	/* the driver it had is bound again through its own bind file, and checked */
	u = hp_plan_step_undo(unbind);
	assert_int_equal(u->len, 2);
	assert_int_equal(at(u, 0)->kind, HP_STEP_KIND_PROBE);
	assert_true(at(u, 0)->by_bind);
	assert_string_equal(at(u, 0)->path, "/sys/bus/pci/drivers/e1000e/bind");
	assert_string_equal(at(u, 0)->value, "0000:01:00.0");
	assert_int_equal(at(u, 1)->kind, HP_STEP_KIND_VERIFY);
	assert_string_equal(at(u, 1)->value, "e1000e");
	g_clear_pointer(&u, g_ptr_array_unref);
	/* a driver whose name was unknown: the kernel picks, and it must have one */
	assert_string_equal(unknown->path, "/sys/bus/pci/devices/0000:01:00.0/driver/unbind");
	u = hp_plan_step_undo(unknown);
	assert_int_equal(u->len, 2);
	assert_false(at(u, 0)->by_bind);
	assert_string_equal(at(u, 0)->path, "/sys/bus/pci/drivers_probe");
	assert_null(at(u, 1)->driver);
	g_clear_pointer(&u, g_ptr_array_unref);

	/* a probe is undone by unbinding what it bound, back to no driver */
	u = hp_plan_step_undo(probe);
	assert_int_equal(u->len, 2);
	assert_int_equal(at(u, 0)->kind, HP_STEP_KIND_UNBIND);
	assert_string_equal(at(u, 0)->path, "/sys/bus/pci/drivers/vfio-pci/unbind");
	assert_string_equal(at(u, 0)->previous, "vfio-pci");
	assert_string_equal(at(u, 1)->value, "");
}

static GPtrArray *
prepare_two(void)
{
	GPtrArray *p = g_ptr_array_new_with_free_func((GDestroyNotify)hp_plan_step_free);
	HpPlanStep *s = hp_plan_step_new(HP_STEP_KIND_MODPROBE, &dev0, "vfio_pci", NULL, HP_STEP_BIND_NONE);
	g_ptr_array_add(p, s);
	for (guint d = 0; d < 2; d++) {
		const HpPciAddress *a = d == 0 ? &dev0 : &dev1;
		s = hp_plan_step_new(HP_STEP_KIND_SET_OVERRIDE, a, "vfio-pci", d == 0 ? "" : "tg3", HP_STEP_BIND_NONE);
		hp_plan_step_set_pending(s, "vfio_pci");
		g_ptr_array_add(p, s);
		g_ptr_array_add(p, hp_plan_step_new(HP_STEP_KIND_UNBIND, a, "tg3", "tg3", HP_STEP_BIND_NONE));
		s = hp_plan_step_new(HP_STEP_KIND_PROBE, a, "vfio-pci", "", HP_STEP_BIND_PROBE);
		hp_plan_step_set_pending(s, "vfio_pci");
		g_ptr_array_add(p, s);
		g_ptr_array_add(p, hp_plan_step_new(HP_STEP_KIND_VERIFY, a, "vfio-pci", NULL, HP_STEP_BIND_NONE));
	}
	return p;
}

/* The release is derived: reverse order, each step's undo, the override
 * given back before the device is bound again (the kernel lets only the
 * override's driver bind while one is set). */
static void
test_release_derived(void **state)
{
	g_autoptr(GPtrArray) prep = prepare_two();
	g_autoptr(GPtrArray) rel = hp_plan_steps_undo(prep, prep->len);
	const HpStepKind want[] = {HP_STEP_KIND_UNBIND, HP_STEP_KIND_VERIFY, HP_STEP_KIND_RESTORE_OVERRIDE,
				   HP_STEP_KIND_PROBE, HP_STEP_KIND_VERIFY};
	const guint origins[] = {7, 7, 5, 6, 6, 3, 3, 1, 2, 2};

	assert_int_equal(rel->len, 10);
	for (guint i = 0; i < rel->len; i++) {
		assert_int_equal(at(rel, i)->kind, want[i % 5]);
		assert_int_equal(at(rel, i)->device.function, i < 5 ? 1 : 0);
		assert_int_equal(at(rel, i)->origin, origins[i]);
	}
	/* the module that provided vfio-pci is followed into the release */
	assert_true(at(rel, 0)->driver_pending);
	assert_string_equal(at(rel, 0)->module, "vfio_pci");
	/* 0000:01:00.1 had the override tg3: it gets it back */
	assert_string_equal(at(rel, 2)->value, "tg3");
	assert_string_equal(at(rel, 7)->value, "");
	assert_string_equal(at(rel, 8)->path, "/sys/bus/pci/drivers/tg3/bind");
}

/* The rollback after n steps is the release filtered to origins below n. */
static void
test_rollback_is_filtered_release(void **state)
{
	g_autoptr(GPtrArray) prep = prepare_two();
	g_autoptr(GPtrArray) rel = hp_plan_steps_undo(prep, prep->len);

	for (guint n = 0; n <= prep->len; n++) {
		g_autoptr(GPtrArray) back = hp_plan_steps_undo(prep, n);
		guint j = 0;
		for (guint i = 0; i < rel->len; i++) {
			if (at(rel, i)->origin >= n)
				continue;
			assert_true(j < back->len);
			assert_int_equal(at(back, j)->kind, at(rel, i)->kind);
			assert_int_equal(at(back, j)->origin, at(rel, i)->origin);
			assert_string_equal(at(back, j)->path, at(rel, i)->path);
			j++;
		}
		assert_int_equal(j, back->len);
	}
	/* after the override and the unbind of the first device: override back, then tg3 */
	{
		g_autoptr(GPtrArray) back = hp_plan_steps_undo(prep, 3);
		assert_int_equal(back->len, 3);
		assert_int_equal(at(back, 0)->kind, HP_STEP_KIND_RESTORE_OVERRIDE);
		assert_int_equal(at(back, 1)->kind, HP_STEP_KIND_PROBE);
		assert_int_equal(at(back, 2)->kind, HP_STEP_KIND_VERIFY);
	}
}

/* Undoing the release prepares again: the model is symmetric. */
static void
test_undo_of_release(void **state)
{
	g_autoptr(GPtrArray) prep = prepare_two();
	g_autoptr(GPtrArray) rel = hp_plan_steps_undo(prep, prep->len);
	g_autoptr(GPtrArray) again = hp_plan_steps_undo(rel, rel->len);
	/* device 0 first: unbind tg3, check none, override vfio-pci, bind vfio-pci, check it */
	assert_int_equal(again->len, 10);
	assert_int_equal(at(again, 0)->device.function, 0);
	assert_int_equal(at(again, 0)->kind, HP_STEP_KIND_UNBIND);
	assert_string_equal(at(again, 0)->path, "/sys/bus/pci/drivers/tg3/unbind");
	assert_int_equal(at(again, 2)->kind, HP_STEP_KIND_SET_OVERRIDE);
	assert_string_equal(at(again, 2)->value, "vfio-pci");
	assert_int_equal(at(again, 3)->kind, HP_STEP_KIND_PROBE);
	assert_string_equal(at(again, 3)->path, "/sys/bus/pci/drivers/vfio-pci/bind");
	assert_string_equal(at(again, 4)->value, "vfio-pci");
}

static void
test_copy(void **state)
{
	g_autoptr(HpPlanStep) s = hp_plan_step_new(HP_STEP_KIND_SET_OVERRIDE, &dev1, "vfio-pci", "tg3", HP_STEP_BIND_NONE);
	g_autoptr(HpPlanStep) c = NULL;
	hp_plan_step_set_pending(s, "vfio_pci");
	c = hp_plan_step_copy(s);
	assert_true(c->path != s->path);
	assert_string_equal(c->path, s->path);
	assert_string_equal(c->previous, "tg3");
	assert_true(c->driver_pending);
	assert_string_equal(c->module, "vfio_pci");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kinds),
	    cmocka_unit_test(test_undo_each_kind),
	    cmocka_unit_test(test_release_derived),
	    cmocka_unit_test(test_rollback_is_filtered_release),
	    cmocka_unit_test(test_undo_of_release),
	    cmocka_unit_test(test_copy),
	};
	return cmocka_run_group_tests_name("plan-step", tests, NULL, NULL);
}
