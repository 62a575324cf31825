#!/usr/bin/python3
"""vmbus Python package in one page: lists the VMBus devices, echoes packets
through the echo device's primary channel (claimed for uio_hv_generic and
given back at the end), then sends frames through the NIC as a netvsc port and
reads them back (hvsim's NIC loops them back by default).

    echo.py --root /dev/shm/vm1/sys   # against hvsim (examples/python_echo/run does it all)
    echo.py                           # $VMBUS_SYSFS_ROOT, or /sys
"""
import argparse
import sys

import vmbus
import vmbus.netvsc

PACKETS = 8
FRAMES = 8


def list_devices(root):
    print(f"VMBus devices under {root or '/sys'}:")
    for d in vmbus.discover(root):
        print(f"  {d.instance} {d.class_name:<10} relid {d.relid} {d.driver or '-'}")


def echo(root):
    with vmbus.Device.open("echo", root) as dev:
        print(f"opened echo device {dev.instance} ({dev.description})")
        channel = dev.channel(0)
        buffer = bytearray(4096)  # receive_into writes here: no bytes object per packet
        for i in range(PACKETS):
            payload = f"packet {i} from Python".encode().ljust(32, b".")  # 32: a multiple of 8, no padding
            channel.send(payload, trans_id=i)
            n = channel.receive_into(buffer, timeout=5.0)
            if n is None:
                raise SystemExit(f"echo.py: no echo of packet {i} within 5 s")
            if buffer[:n] != payload:
                raise SystemExit(f"echo.py: echo {i} came back different: {bytes(buffer[:n])!r}")
        c = channel.counters
        print(f"echo: {PACKETS} packets echoed; channel counters: {c.packets_sent} sent, "
              f"{c.packets_received} received")


def netvsc(root):
    with vmbus.netvsc.Port.open("network", root) as port:
        print(f"netvsc port: mac {port.mac}, {port.queue_count} queue(s), mtu {port.mtu}, "
              f"link {'up' if port.link['up'] else 'down'}")
        mac = port.mac_bytes
        frames = [mac + mac + b"\x88\xb5" + bytes([i]) * 50 for i in range(FRAMES)]
        sent = port.tx_burst(frames)
        if sent != FRAMES:
            raise SystemExit(f"echo.py: tx_burst took {sent} of {FRAMES}")
        received = []
        while len(received) < FRAMES:
            burst = port.rx_burst(32, timeout=10.0)
            if not burst:
                raise SystemExit(f"echo.py: {len(received)} of {FRAMES} frames came back within 10 s")
            received += burst
        if sorted(received) != sorted(frames):
            raise SystemExit("echo.py: the frames came back different")
        stats = port.stats()
        print(f"netvsc: {FRAMES} frames looped back; port stats: {stats['tx_packets']} tx, "
              f"{stats['rx_packets']} rx")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="sysfs root (an hvsim root's sys/); default $VMBUS_SYSFS_ROOT or /sys")
    args = parser.parse_args()
    print(f"vmbus {vmbus.__version__}")
    try:
        list_devices(args.root)
        echo(args.root)
        netvsc(args.root)
    except vmbus.Rescinded as e:
        sys.exit(f"echo.py: the host took the device away: {e}")
    except vmbus.Error as e:
        sys.exit(f"echo.py: {e}")
    print("echo.py: done")


if __name__ == "__main__":
    main()
