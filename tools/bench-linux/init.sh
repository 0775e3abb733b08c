#!/bin/busybox sh
# /init of the initramfs scripts/bench_linux.py boots Debian's kernel with.
# Every line the driver reads starts "kpbench: "; the last is "kpbench: done".
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
dmesg -n 1
echo "kpbench: uname=$(uname -r)"
echo "kpbench: cmdline=$(cat /proc/cmdline)"

# hit CASE OPT: one load of the module with kprobes-optimization=OPT; the
# probe stays registered until rmmod, so its list line shows what Linux made of it.
hit() {
	echo "$2" > /proc/sys/debug/kprobes-optimization
	if insmod /kpbench.ko kcase="$1"; then
		grep 'kpb_' /sys/kernel/debug/kprobes/list | sed "s/^/kpbench: case=$1 list=/"
		rmmod kpbench
	else
		echo "kpbench: case=$1 error=insmod"
	fi
	dmesg -c | grep -o 'kpbench: .*'
}

dmesg -c > /dev/null
hit kprobe_step 0
hit kprobe_boost 0
hit kprobe_step_post 0
hit kprobe_opt 1
hit kretprobe 0
hit kretprobe_opt 1
hit ftrace 1

# Every text symbol of vmlinux whose name is not on the kprobe blacklist
# (register_kprobe refuses the rest itself, and the module counts those),
# every @STRIDE@th of them, with optimization off: int3 and ftrace arming only.
echo 0 > /proc/sys/debug/kprobes-optimization
awk 'NR == FNR { bl[$2] = 1; next }
     NF == 3 && ($2 == "t" || $2 == "T") && !($3 in bl) && (n++ % @STRIDE@) == 0 { print $1 }' \
	/sys/kernel/debug/kprobes/blacklist /proc/kallsyms > /tmp/funcs
echo "kpbench: case=attach stride=@STRIDE@ listed=$(wc -l < /tmp/funcs) blacklisted=$(wc -l < /sys/kernel/debug/kprobes/blacklist)"
if insmod /kpbench.ko kcase=attach list=/tmp/funcs; then
	rmmod kpbench
else
	echo "kpbench: case=attach error=insmod"
fi
dmesg -c | grep -o 'kpbench: .*'
echo 1 > /proc/sys/debug/kprobes-optimization
echo "kpbench: done"
poweroff -f
