#!/usr/bin/python3
"""A command-line client of vmbusd's gRPC control API (vmbus.control.v1), on
Debian's python3-grpcio: a thin shell over the vmbus package's
vmbus.control.Client (bindings/python/vmbus/control/).

    vmbusd_client.py --package-dir build/default/python devices
    vmbusd_client.py --package-dir build/default/python channels DEVICE
    vmbusd_client.py --package-dir build/default/python claim network     # admin socket
    vmbusd_client.py --package-dir build/default/python health
    vmbusd_client.py --package-dir build/default/python watch --count 3

--run-dir DIR is vmbusd's run directory (/run/vmbusd): reads go to its
reader.sock, changes to admin.sock. --package-dir DIR holds the vmbus package
(the build's `python` folder: the target vmbus_python assembles it); without
it, the installed package is used.
Exit status: 0 done, 1 vmbusd answered with an error (its gRPC status code
and message are printed), 2 a bad command line.
"""

import argparse
import os
import sys


def load_control(package_dir):
    if package_dir:
        sys.path.insert(0, os.path.abspath(package_dir))
    try:
        from vmbus import control
    except ImportError as e:
        sys.exit(f"vmbusd_client: cannot import vmbus.control from {package_dir or 'the installed packages'} ({e}); "
                 "build the vmbus_python target, and run with Debian's /usr/bin/python3")
    return control


def main():
    parser = argparse.ArgumentParser(description="A client of vmbusd's gRPC control API.")
    parser.add_argument("--run-dir", default="/run/vmbusd", help="vmbusd's run directory")
    parser.add_argument("--package-dir", dest="package_dir",
                        help="the folder holding the vmbus package (default: installed)")
    parser.add_argument("--timeout", type=float, default=10.0, help="per call, in seconds")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("devices")
    p = sub.add_parser("channels")
    p.add_argument("device")
    p = sub.add_parser("claim")
    p.add_argument("device")
    p.add_argument("--socket", choices=["admin", "reader"], default="admin",
                   help="which socket to ask on (a reader is refused)")
    sub.add_parser("health")
    p = sub.add_parser("watch")
    p.add_argument("--count", type=int, default=0, help="stop after this many events (0: until interrupted)")
    p.add_argument("--initial", action="store_true", help="first the bus as it is now")
    args = parser.parse_args()

    control = load_control(args.package_dir)
    socket = "admin" if args.command == "claim" and args.socket == "admin" else "reader"
    with control.Client(run_dir=args.run_dir, socket=socket, timeout=args.timeout) as client:
        try:
            if args.command == "devices":
                print(f"{'DEVICE':36}  {'CLASS':10} {'RELID':>5}  {'DRIVER':15} STATE")
                for d in client.devices():
                    print(f"{d.device_id:36}  {d.class_name:10} {d.relid:>5}  {d.driver or '-':15} "
                          f"{client.state_name(d.state)}")
            elif args.command == "channels":
                for c in client.channels(args.device):
                    rings = (f"tx w {c.tx.write_index} r {c.tx.read_index} | "
                             f"rx w {c.rx.write_index} r {c.rx.read_index}" if c.open else "not live (no lease)")
                    print(f"relid {c.relid:3} subchannel {c.subchannel_id:2} cpu {c.target_cpu:2}  {rings}")
                    if c.HasField("counters"):  # the lease holder's own counters
                        n = c.counters
                        print(f"          sent {n.packets_sent} pkts {n.bytes_sent} B, "
                              f"received {n.packets_received} pkts {n.bytes_received} B")
            elif args.command == "claim":
                d = client.claim(args.device)
                print(f"claimed {d.device_id} ({d.class_name}, {d.uio_name}); lease root {d.lease_root}")
            elif args.command == "health":
                status = client.health()
                print(f"{client.target}: {status}")
                return 0 if status == "SERVING" else 1
            elif args.command == "watch":
                seen = 0
                for e in client.watch(initial=args.initial):
                    print(f"{e.sequence:6} {client.event_name(e.type)}{' (now)' if e.initial else ''}", flush=True)
                    seen += 1
                    if args.count and seen >= args.count:
                        break
        except control.RpcError as e:
            print(f"vmbusd_client: {e.code().name}: {e.details()}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
