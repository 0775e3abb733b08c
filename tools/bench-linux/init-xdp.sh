#!/bin/busybox sh
# /init of the XDP boot of scripts/bench_linux.py (Debian's generic kernel,
# which has e1000 as a module). The driver on the host reads "kpbench: "
# lines and answers on the console: "go" after it flooded, "show" to read
# the receive count, "stop" when that count stopped moving.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
dmesg -n 1
echo "kpbench: uname=$(uname -r)"
dmesg -c > /dev/null
if ! insmod /e1000.ko; then
	echo "kpbench: case=xdp error=insmod_e1000"
	echo "kpbench: done"
	poweroff -f
fi
for i in $(seq 100); do
	[ -e /sys/class/net/eth0 ] && break
	sleep 0.1
done
RX=/sys/class/net/eth0/statistics/rx_packets
IP=/sbin/ip	# iproute2's, from its package: busybox's applet has no xdp
# no IPv6 autoconfiguration traffic of its own on the measured interface
echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6 2>/dev/null
$IP link set dev eth0 up
for i in $(seq 100); do
	[ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" = 1 ] && break
	sleep 0.1
done
echo "kpbench: mac=$(cat /sys/class/net/eth0/address)"

# xdp CASE JIT: the seed's drop-all attached in generic mode, the JIT on or
# off, timed by kpxdp.ko over one flood from the host.
xdp() {
	echo "$2" > /proc/sys/net/core/bpf_jit_enable
	if ! $IP link set dev eth0 xdpgeneric obj /xdp_drop.o sec xdp; then
		echo "kpbench: case=$1 error=ip_link_xdpgeneric"
		return
	fi
	if ! insmod /kpxdp.ko kcase="$1"; then
		$IP link set dev eth0 xdpgeneric off
		echo "kpbench: case=$1 error=insmod"
		return
	fi
	rx0=$(cat $RX)
	echo "kpbench: case=$1 ready xdp=$($IP -d link show dev eth0 | grep -o 'xdpgeneric[^ ]*' | head -1)"
	while read -r cmd; do
		case "$cmd" in
		show) echo "kpbench: case=$1 rx=$(($(cat $RX) - rx0))" ;;
		stop) break ;;
		esac
	done
	rmmod kpxdp
	echo "kpbench: case=$1 rx_packets=$(($(cat $RX) - rx0)) rx_dropped=$(cat /sys/class/net/eth0/statistics/rx_dropped) jit=$2"
	$IP link set dev eth0 xdpgeneric off
	dmesg -c | grep -o 'kpbench: .*'
}

xdp xdp_generic_jit 1
xdp xdp_generic_interp 0
echo 1 > /proc/sys/net/core/bpf_jit_enable
echo "kpbench: done"
poweroff -f
