#!/bin/sh
# Host preparation for libvirt domain 'net', written by hostdev-preflight plan.
#   sh THIS prepare   before the domain starts: VFIO drivers take the devices
#   sh THIS release   after it stops: the devices go back to their drivers
# HOSTDEV_ROOT=DIR tries it on a copy of the host's tree: every path is under
# DIR, and the binding checks are skipped (no kernel acts on a copy).
set -eu

R="${HOSTDEV_ROOT:-}"

# hp_write FILE VALUE: a sysfs write, said on stderr first; with a
# newline as echo writes it (an empty write would not reach the kernel)
hp_write() {
	echo "write '$2' to $1" >&2
	printf '%s\n' "$2" > "$1"
}

# hp_verify BDF DRIVER: the device is bound to DRIVER ('' for none)
hp_verify() {
	if [ -n "$R" ]; then
		echo "(not checked on a copy: $1 bound to '$2')" >&2
		return 0
	fi
	now=''
	if [ -e "/sys/bus/pci/devices/$1/driver" ]; then
		now=$(basename "$(readlink "/sys/bus/pci/devices/$1/driver")")
	fi
	if [ "$now" != "$2" ]; then
		echo "hostdev-preflight: $1 is bound to '$now', not '$2'" >&2
		exit 1
	fi
}

# hp_module_driver MODULE GUESS: the PCI driver a loaded module registered
hp_module_driver() {
	for d in "$R/sys/module/$1/drivers/pci:"*; do
		if [ -e "$d" ]; then
			echo "${d##*/pci:}"
			return 0
		fi
	done
	echo "$2"
}

prepare() {
	# 0000:03:00.5: only this driver may take the device from now on
	hp_write "${HOSTDEV_ROOT:-}"'/sys/bus/pci/devices/0000:03:00.5/driver_override' 'mlx5_vfio_pci'
	# 0000:03:00.5: let the kernel bind it again, now to the override
	hp_write "${HOSTDEV_ROOT:-}"'/sys/bus/pci/drivers_probe' '0000:03:00.5'
	# 0000:03:00.5: check the binding
	hp_verify 0000:03:00.5 'mlx5_vfio_pci'
}

release() {
	# 0000:03:00.5: clear the override
	hp_write "${HOSTDEV_ROOT:-}"'/sys/bus/pci/devices/0000:03:00.5/driver_override' ''
	# 0000:03:00.5: take it from the VFIO driver
	hp_write "${HOSTDEV_ROOT:-}"'/sys/bus/pci/drivers/mlx5_vfio_pci/unbind' '0000:03:00.5'
	# 0000:03:00.5: let the kernel bind its own driver again
	hp_write "${HOSTDEV_ROOT:-}"'/sys/bus/pci/drivers_probe' '0000:03:00.5'
	# 0000:03:00.5: it had no driver before
	hp_verify 0000:03:00.5 ''
}

case "${1:-}" in
prepare) prepare ;;
release) release ;;
*)
	echo "usage: $0 prepare|release" >&2
	exit 2
	;;
esac
