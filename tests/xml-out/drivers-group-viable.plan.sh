#!/bin/sh
# Host preparation for the libvirt domain named 'grp', written by hostdev-preflight plan.
#   sh THIS prepare   before the domain starts: VFIO drivers take the devices
#   sh THIS release   after it stops: the devices go back to what they had
# Each binding is checked (the kernel reports success on drivers_probe even
# when no driver took the device); when a prepare step fails, every device
# it touched is given back and it exits 1 (3 if one could not be).
# HOSTDEV_ROOT=DIR tries it on a copy of a host's tree: nothing is loaded
# or checked (no kernel acts on a copy), and it writes only regular files
# inside DIR, never through a link out of it.
set -eu

R="${HOSTDEV_ROOT:-}"
hp_wait=5       # seconds the kernel gets to bind a device
hp_phase=''     # prepare while the devices are being taken
hp_at=0         # prepare steps started so far
hp_skipped=' '  # prepare steps that found nothing to do
hp_left=''      # devices that could not be given back
hp_root=''
if [ -n "$R" ]; then
	if ! hp_root=$(cd -P -- "$R" && pwd -P); then
		echo "hostdev-preflight: HOSTDEV_ROOT is not a directory" >&2
		exit 2
	fi
	hp_root=${hp_root%/}
fi

hp_say() {
	printf 'hostdev-preflight: %s\n' "$*" >&2
}

# hp_target FILE: hp_t is where FILE (a /sys path) is written: FILE on a
# live host; on a copy, FILE inside it, refused unless its directory is
# inside the copy (links followed only within it) and it is a regular file
hp_target() {
	if [ -z "$R" ]; then
		hp_t=$1
		return 0
	fi
	if ! hp_d=$(cd -P -- "$R${1%/*}" 2>/dev/null && pwd -P); then
		hp_say "refusing to write $1 on the copy: it has no ${1%/*} (a driver this plan loads is there only if the copy has it)"
		return 1
	fi
	case "$hp_d/" in
	"$hp_root"/*) ;;
	*)
		hp_say "refusing to write $1 on the copy: a link in its path leads out of HOSTDEV_ROOT"
		return 1
		;;
	esac
	hp_t="$hp_d/${1##*/}"
	if [ -L "$hp_t" ] || [ ! -f "$hp_t" ]; then
		hp_say "refusing to write $1 on the copy: it is a link or not a regular file"
		return 1
	fi
}

# hp_write FILE VALUE: one sysfs write, said first; with a newline, as
# echo writes it (an empty write would not reach the kernel)
hp_write() {
	hp_target "$1" || return 1
	printf "write '%s' to %s\n" "$2" "$1" >&2
	if ! printf '%s\n' "$2" >"$hp_t"; then
		hp_say "writing '$2' to $1 failed"
		return 1
	fi
}

# hp_driver_of BDF: the driver the device is on now ('' none, ? unknown)
hp_driver_of() {
	if [ -L "/sys/bus/pci/devices/$1/driver" ]; then
		hp_l=$(cd -P -- "/sys/bus/pci/devices/$1/driver" 2>/dev/null && pwd -P) || hp_l='?'
		printf '%s\n' "${hp_l##*/}"
	fi
}

# hp_verify BDF DRIVER: the device is on DRIVER ('' none, * any), waiting
# up to hp_wait seconds: drivers_probe reports success even when no
# driver took the device
hp_verify() {
	if [ -n "$R" ]; then
		echo "(not checked on a copy: $1 on '$2')" >&2
		return 0
	fi
	hp_n=0
	while :; do
		hp_now=$(hp_driver_of "$1")
		if [ "$hp_now" = "$2" ] || { [ "$2" = '*' ] && [ -n "$hp_now" ]; }; then
			return 0
		fi
		if [ "$hp_n" -ge "$hp_wait" ]; then
			hp_say "$1 is on '${hp_now:-no driver}', not '${2:-no driver}', after ${hp_wait}s (a driver that refused it says why in dmesg)"
			return 1
		fi
		sleep 1
		hp_n=$((hp_n + 1))
	done
}

# hp_modprobe MODULE: on a copy, only says so
hp_modprobe() {
	if [ -n "$R" ]; then
		echo "(on a copy: would load the module $1; nothing is loaded)" >&2
		return 0
	fi
	echo "modprobe $1" >&2
	if ! modprobe -- "$1"; then
		hp_say "cannot load the module $1 (not installed, or blacklisted?): nothing was changed for this device"
		return 1
	fi
}

# hp_module_driver MODULE GUESS: the PCI driver a loaded module registered
# (GUESS when it is not loaded), refused unless it is a kernel name
hp_module_driver() {
	hp_m=$2
	for hp_e in "$R/sys/module/$1/drivers/pci:"*; do
		if [ -e "$hp_e" ]; then
			hp_m=${hp_e##*/pci:}
			break
		fi
	done
	case "$hp_m" in
	'' | . | .. | *[!A-Za-z0-9_.-]*)
		hp_say "the module $1 registered a PCI driver whose name is no kernel name"
		return 1
		;;
	esac
	if [ "${#hp_m}" -gt 64 ]; then
		hp_say "the module $1 registered a PCI driver whose name is too long"
		return 1
	fi
	printf '%s\n' "$hp_m"
}

# hp_set_override BDF DRIVER PREVIOUS: on a live host, the override must
# still be PREVIOUS, the one its release writes back
hp_set_override() {
	if [ -z "$R" ]; then
		hp_o=''
		if [ -f "/sys/bus/pci/devices/$1/driver_override" ]; then
			IFS= read -r hp_o <"/sys/bus/pci/devices/$1/driver_override" || hp_o='?'
		fi
		if [ "$hp_o" = '(null)' ]; then
			hp_o=''
		fi
		if [ "$hp_o" != "$3" ]; then
			hp_say "$1 has the driver_override '$hp_o', not '$3' as when this plan was made: make the plan again"
			return 1
		fi
	fi
	hp_write "/sys/bus/pci/devices/$1/driver_override" "$2"
}

# hp_restore_override BDF DRIVER: writes back what it had ('' clears)
hp_restore_override() {
	hp_write "/sys/bus/pci/devices/$1/driver_override" "$2"
}

# hp_unbind BDF DRIVER: takes the device from DRIVER (* whichever it is
# on, through its driver link); a device with no driver is left alone
hp_unbind() {
	if [ -z "$R" ]; then
		hp_now=$(hp_driver_of "$1")
		if [ -z "$hp_now" ]; then
			echo "($1 has no driver: nothing to unbind)" >&2
			hp_skipped="$hp_skipped$hp_at "
			return 0
		fi
		if [ "$2" != '*' ] && [ "$hp_now" != "$2" ]; then
			hp_say "$1 is on '$hp_now', not '$2' as when this plan was made: make the plan again"
			return 1
		fi
	fi
	if [ "$2" = '*' ]; then
		hp_write "/sys/bus/pci/devices/$1/driver/unbind" "$1"
	else
		hp_write "/sys/bus/pci/drivers/$2/unbind" "$1"
	fi
}

# hp_probe BDF: the kernel binds the driver the override names
hp_probe() {
	hp_write /sys/bus/pci/drivers_probe "$1"
}

# hp_bind BDF DRIVER: binds exactly DRIVER through its bind file (the write
# fails if it refuses); drivers_probe if DRIVER is no longer registered
hp_bind() {
	if [ -z "$R" ] && [ ! -e "/sys/bus/pci/drivers/$2/bind" ]; then
		hp_say "$2 is not registered any more: asking the kernel to probe $1"
		hp_probe "$1"
		return
	fi
	hp_write "/sys/bus/pci/drivers/$2/bind" "$1"
}

# hp_did I N: prepare step I was among the first N started, and did something
hp_did() {
	if [ "$1" -gt "$2" ]; then
		return 1
	fi
	case "$hp_skipped" in
	*" $1 "*) return 1 ;;
	esac
	return 0
}

# On any failure while preparing (a step, an interrupt), every step
# started is undone, last first: exit 1 when every device is back, 3 when not
hp_exit() {
	hp_status=$?
	set +e
	trap - EXIT INT TERM HUP
	if [ "$hp_phase" = prepare ]; then
		hp_say "prepare stopped at step $hp_at: giving back every device it touched"
		# a step that failed changed nothing; one a signal cut may have
		case $hp_status in
		129 | 130 | 143) hp_giveback "$hp_at" ;;
		*) hp_giveback $((hp_at - 1)) ;;
		esac
		if [ -n "$hp_left" ]; then
			hp_say "could not give back:$hp_left (see above)"
			exit 3
		fi
		hp_say "every device it touched was given back"
		exit 1
	fi
	exit "$hp_status"
}

# give 0000:05:00.0 back
hp_giveback_1() {
	if hp_did 3 "$1"; then
		# take it from vfio-pci
		hp_unbind '0000:05:00.0' 'vfio-pci' || return 1
		# check it has no driver
		hp_verify '0000:05:00.0' '' || return 1
	fi
	if hp_did 1 "$1"; then
		# clear the override: it had none
		hp_restore_override '0000:05:00.0' '' || return 1
	fi
	if hp_did 2 "$1"; then
		# bind e1000e again, through its own bind file
		hp_bind '0000:05:00.0' 'e1000e' || return 1
		# check it is bound to e1000e
		hp_verify '0000:05:00.0' 'e1000e' || return 1
	fi
}

# hp_giveback N: undo the first N prepare steps, every device it can
hp_giveback() {
	hp_left=''
	hp_giveback_1 "$1" || hp_left="$hp_left "'0000:05:00.0'
}

prepare() {
	trap hp_exit EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	hp_phase=prepare
	# 0000:05:00.0: only vfio-pci may take the device from now on
	hp_at=1
	hp_set_override '0000:05:00.0' 'vfio-pci' ''
	# 0000:05:00.0: take it from e1000e
	hp_at=2
	hp_unbind '0000:05:00.0' 'e1000e'
	# 0000:05:00.0: let the kernel bind it again, now to vfio-pci
	hp_at=3
	hp_probe '0000:05:00.0'
	# 0000:05:00.0: check it is bound to vfio-pci
	hp_at=4
	hp_verify '0000:05:00.0' 'vfio-pci'
	hp_phase=finished
}

release() {
	hp_giveback 4
	if [ -n "$hp_left" ]; then
		hp_say "release could not give back:$hp_left (see above)"
		exit 3
	fi
}

case "${1:-}" in
prepare) prepare ;;
release) release ;;
*)
	echo "usage: $0 prepare|release" >&2
	exit 2
	;;
esac
