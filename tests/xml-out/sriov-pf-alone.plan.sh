#!/bin/sh
# Host preparation for libvirt domain 'pf', written by hostdev-preflight plan.
#   sh THIS prepare   before the domain starts: VFIO drivers take the devices
#   sh THIS release   after it stops: the devices go back to their drivers
# A prepare that fails gives back what it did (exit 1; 3 when it could not).
# HOSTDEV_ROOT=DIR tries it on a copy of the host's tree: every path is under
# DIR, no module is loaded, no binding is checked (no kernel acts on a copy),
# and only regular files inside DIR are written, never through a link.
set -eu

R="${HOSTDEV_ROOT:-}"
hp_phase=''
hp_touched=''

# hp_target FILE: where a write to FILE goes: FILE itself on the live host;
# on a copy, $R/FILE, which must be a regular file (never a link) in a
# directory that, links resolved, is still inside the copy
hp_target() {
	if [ -z "$R" ]; then
		printf '%s\n' "$1"
		return 0
	fi
	f="$R$1"
	d=$(cd -P -- "$(dirname -- "$f")" 2>/dev/null && pwd -P) || {
		echo "hostdev-preflight: $f: no such directory in the copy; nothing written" >&2
		return 1
	}
	root=$(cd -P -- "$R" && pwd -P)
	case "$d/" in
	"$root"/*) ;;
	*)
		echo "hostdev-preflight: $f leads out of $R; nothing written" >&2
		return 1
		;;
	esac
	if [ -L "$f" ] || [ ! -f "$f" ]; then
		echo "hostdev-preflight: $f is a link or not a regular file; on a copy only regular files are written" >&2
		return 1
	fi
	printf '%s\n' "$d/${f##*/}"
}

# hp_write FILE VALUE: a sysfs write, said on stderr first; with a newline
# as echo writes it (an empty write would not reach the kernel)
hp_write() {
	t=$(hp_target "$1") || return 1
	echo "write '$2' to $1" >&2
	printf '%s\n' "$2" > "$t"
}

# hp_driver BDF: the driver the device is bound to now ('' none)
hp_driver() {
	if [ -e "$R/sys/bus/pci/devices/$1/driver" ]; then
		basename "$(readlink "$R/sys/bus/pci/devices/$1/driver")"
	fi
}

# hp_override BDF: its driver_override now ('' none)
hp_override() {
	v=$(cat "$R/sys/bus/pci/devices/$1/driver_override" 2>/dev/null || true)
	if [ "$v" = '(null)' ]; then v=''; fi
	printf '%s\n' "$v"
}

# hp_verify BDF DRIVER: the device is bound to DRIVER ('' none); the kernel
# says yes to drivers_probe even when no driver took the device, so look,
# and give it a few seconds
hp_verify() {
	if [ -n "$R" ]; then
		echo "(not checked on a copy: $1 bound to '$2')" >&2
		return 0
	fi
	n=0
	while :; do
		now=$(hp_driver "$1")
		if [ "$now" = "$2" ]; then
			return 0
		fi
		n=$((n + 1))
		if [ "$n" -ge 5 ]; then
			echo "hostdev-preflight: $1 is bound to '${now:-no driver}', not '${2:-no driver}'" >&2
			return 1
		fi
		sleep 1
	done
}

# hp_unbind BDF: the device leaves whatever driver it is on
hp_unbind() {
	if [ ! -e "$R/sys/bus/pci/devices/$1/driver" ]; then
		echo "($1 has no driver to leave)" >&2
		return 0
	fi
	hp_write "/sys/bus/pci/devices/$1/driver/unbind" "$1"
}

# hp_modprobe MODULE BDF: loads the module BDF's driver comes from; on a
# copy it only says so
hp_modprobe() {
	if [ -n "$R" ]; then
		echo "(on a copy: would load module $1)" >&2
		return 0
	fi
	if ! modprobe -- "$1"; then
		echo "hostdev-preflight: $2: cannot load module $1 for its VFIO driver (not installed, or blacklisted: see modprobe.d); nothing was changed for it" >&2
		return 1
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

# hp_save N BDF: what device N had before prepare touched it
hp_save() {
	eval "hp_bdf_$1=\$2"
	eval "hp_drv_$1=\$(hp_driver \"\$2\")"
	eval "hp_ovr_$1=\$(hp_override \"\$2\")"
	hp_touched="$1 $hp_touched"
}

# hp_restore N: device N back to its driver and driver_override
hp_restore() {
	bdf='' drv='' ovr=''
	eval "bdf=\$hp_bdf_$1 drv=\$hp_drv_$1 ovr=\$hp_ovr_$1"
	echo "hostdev-preflight: giving $bdf back to '${drv:-no driver}' (driver_override '${ovr:-none}')" >&2
	hp_write "/sys/bus/pci/devices/$bdf/driver_override" "$ovr"
	now=$(hp_driver "$bdf")
	if [ "$now" != "$drv" ]; then
		if [ -n "$now" ]; then
			hp_unbind "$bdf"
		fi
		if [ -n "$drv" ]; then
			hp_write "/sys/bus/pci/drivers/$drv/bind" "$bdf" ||
				hp_write /sys/bus/pci/drivers_probe "$bdf"
		fi
	fi
	hp_verify "$bdf" "$drv"
}

# A prepare that fails gives back every device it touched, last first.
hp_on_exit() {
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$hp_phase" = prepare ] && [ -n "$hp_touched" ]; then
		set +e
		echo "hostdev-preflight: prepare failed; giving back every device it touched" >&2
		left=''
		for n in $hp_touched; do
			hp_restore "$n" || left="$left $n"
		done
		if [ -n "$left" ]; then
			echo "hostdev-preflight: some devices could not be given back (see above); fix them by hand" >&2
			rc=3
		fi
	fi
	exit "$rc"
}
trap hp_on_exit EXIT

prepare() {
	hp_phase=prepare
	# 0000:03:00.0: set driver_override to vfio-pci (it was none): only that driver may take the device
	hp_save 1 '0000:03:00.0'
	hp_write '/sys/bus/pci/devices/0000:03:00.0/driver_override' 'vfio-pci'
	# 0000:03:00.0: unbind it from mlx5_core
	hp_unbind '0000:03:00.0'
	# 0000:03:00.0: let the kernel bind it (drivers_probe)
	hp_write '/sys/bus/pci/drivers_probe' '0000:03:00.0'
	# 0000:03:00.0: check it is bound to vfio-pci
	hp_verify '0000:03:00.0' 'vfio-pci'
	hp_phase=''
}

release() {
	# 0000:03:00.0: clear driver_override, as it was
	hp_write '/sys/bus/pci/devices/0000:03:00.0/driver_override' ''
	# 0000:03:00.0: unbind it from vfio-pci
	hp_unbind '0000:03:00.0'
	# 0000:03:00.0: let the kernel bind it (drivers_probe)
	hp_write '/sys/bus/pci/drivers_probe' '0000:03:00.0'
	# 0000:03:00.0: check it is bound to mlx5_core
	hp_verify '0000:03:00.0' 'mlx5_core'
}

case "${1:-}" in
prepare) prepare ;;
release) release ;;
*)
	echo "usage: $0 prepare|release" >&2
	exit 2
	;;
esac
