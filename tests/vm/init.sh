#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# /init of the bench's initramfs (tests/vm/bench.py builds it): loads the
# 9p and overlay modules, mounts the machine's own / (9p tag hproot, read
# only) under a tmpfs overlay, and switches root to it, where the second
# stage (hp.stage2= on the kernel command line) runs with the machine's own
# userland. Any failure powers the guest off; the bench then reports the
# console, never a result.
# shellcheck shell=sh

/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

die() {
	echo "hp-init: $*" >/dev/console
	echo o >/proc/sysrq-trigger
	sleep 10
	exit 1
}

mount -t proc proc /proc || die "cannot mount /proc"
mount -t sysfs sysfs /sys || die "cannot mount /sys"
mount -t devtmpfs devtmpfs /dev || die "cannot mount /dev"

# the modules, in dependency order, decompressed by the bench
while read -r mod; do
	insmod "/lib/modules/$mod" || die "insmod $mod failed"
done </lib/modules/order

stage2=
read -r cmdline </proc/cmdline
for word in $cmdline; do
	case "$word" in
	hp.stage2=*) stage2=${word#hp.stage2=} ;;
	esac
done
[ -n "$stage2" ] || die "no hp.stage2= on the kernel command line"

mkdir -p /lower /rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hproot /lower ||
	die "cannot mount the 9p root (tag hproot)"
mount -t tmpfs -o mode=0755 tmpfs /rw || die "cannot mount the tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
	die "cannot mount the overlay"
[ -f "/newroot$stage2" ] || die "no $stage2 in the shared root"

for fs in dev proc sys; do
	mount --move "/$fs" "/newroot/$fs" || die "cannot move /$fs"
done
exec switch_root /newroot /bin/sh "$stage2"
