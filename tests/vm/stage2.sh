#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The guest's second stage, PID 1 on the overlay of the machine's own /
# (tests/vm/init.sh switched root here). Mounts what a system has, the
# results share (hp.results= on the kernel command line, the same path as
# on the machine), puts the unpacked kernel package's modules at
# /lib/modules/$(uname -r), runs the scenario's checks (job.sh in the
# results directory says which) and powers the guest off.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

off() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 30
}

say() {
	echo "hp-stage2: $*" >/dev/console
}

results=
read -r cmdline </proc/cmdline
for word in $cmdline; do
	case "$word" in
	hp.results=*) results=${word#hp.results=} ;;
	esac
done
if [ -z "$results" ]; then
	say "no hp.results= on the kernel command line"
	off
fi

# /tmp stays the machine's (through the overlay, writes go to its tmpfs):
# the build directory, the binary or the results may live there
mount -t tmpfs -o mode=0755 tmpfs /run
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 hpresults "$results"; then
	say "cannot mount the results share (tag hpresults) at $results"
	off
fi
if [ ! -f "$results/job.sh" ]; then
	say "no job.sh in $results"
	off
fi
# HP_VM_MODULES HP_VM_PYTHON HP_VM_GUEST HP_VM_SCENARIO HP_BIN HP_SRCDIR, written by bench.py
# shellcheck source=/dev/null
. "$results/job.sh"
export HP_BIN HP_SRCDIR

rel=$(uname -r)
mkdir -p "/lib/modules/$rel"
if ! mount --bind "$HP_VM_MODULES" "/lib/modules/$rel"; then
	say "cannot put $HP_VM_MODULES at /lib/modules/$rel"
	off
fi

read -r up _ </proc/uptime
echo "$up" >"$results/booted"
say "userland up after ${up}s, running $HP_VM_SCENARIO"
"$HP_VM_PYTHON" "$HP_VM_GUEST" "$HP_VM_SCENARIO" "$results" >"$results/guest.log" 2>&1
echo "$?" >"$results/exit"
say "checks done (exit $(cat "$results/exit"))"
off
