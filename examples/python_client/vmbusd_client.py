#!/usr/bin/python3
"""A Python client of vmbusd's gRPC control API (vmbus.control.v1), on
Debian's python3-grpcio, with stubs generated from the same .proto the
daemon serves (daemon/proto/vmbus/control/v1/control.proto).

    vmbusd_client.py --stubs build/default/python devices
    vmbusd_client.py --stubs build/default/python channels DEVICE
    vmbusd_client.py --stubs build/default/python claim network     # admin socket
    vmbusd_client.py --stubs build/default/python health
    vmbusd_client.py --stubs build/default/python watch --count 3

--run-dir DIR is vmbusd's run directory (/run/vmbusd): reads go to its
reader.sock, changes to admin.sock. --stubs DIR holds the generated modules
(the build's `python` folder; the target vmbus_control_python makes them).
Exit status: 0 done, 1 vmbusd answered with an error (its gRPC status code
and message are printed), 2 a bad command line.
"""

import argparse
import os
import sys


def load_stubs(stubs):
    sys.path.insert(0, os.path.abspath(stubs))
    try:
        import grpc
        from vmbus.control.v1 import control_pb2, control_pb2_grpc
        import health_pb2
        import health_pb2_grpc
    except ImportError as e:
        sys.exit(f"vmbusd_client: cannot import the generated stubs from {stubs} ({e}); "
                 "build the vmbus_control_python target, and run with Debian's /usr/bin/python3")
    return grpc, control_pb2, control_pb2_grpc, health_pb2, health_pb2_grpc


def main():
    parser = argparse.ArgumentParser(description="A client of vmbusd's gRPC control API.")
    parser.add_argument("--run-dir", default="/run/vmbusd", help="vmbusd's run directory")
    parser.add_argument("--stubs", required=True, help="the folder of generated Python stubs")
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

    grpc, pb, pb_grpc, health_pb, health_grpc = load_stubs(args.stubs)
    socket = "admin" if args.command == "claim" and args.socket == "admin" else "reader"
    target = f"unix:{os.path.join(args.run_dir, socket + '.sock')}"
    with grpc.insecure_channel(target) as channel:
        devices = pb_grpc.DeviceServiceStub(channel)
        leases = pb_grpc.LeaseServiceStub(channel)
        try:
            if args.command == "devices":
                reply = devices.ListDevices(pb.ListDevicesRequest(), timeout=args.timeout)
                print(f"{'DEVICE':36}  {'CLASS':10} {'RELID':>5}  {'DRIVER':15} STATE")
                for d in reply.devices:
                    print(f"{d.device_id:36}  {d.class_name:10} {d.relid:>5}  {d.driver or '-':15} "
                          f"{pb.DeviceState.Name(d.state).removeprefix('DEVICE_STATE_').lower()}")
            elif args.command == "channels":
                reply = devices.ListChannels(pb.ListChannelsRequest(device_id=args.device, include_ring_state=True),
                                             timeout=args.timeout)
                for c in reply.channels:
                    rings = (f"tx w {c.tx.write_index} r {c.tx.read_index} | rx w {c.rx.write_index} r {c.rx.read_index}"
                             if c.open else "not live (no lease)")
                    print(f"relid {c.relid:3} subchannel {c.subchannel_id:2} cpu {c.target_cpu:2}  {rings}")
                    if c.HasField("counters"):  # the lease holder's own counters
                        n = c.counters
                        print(f"          sent {n.packets_sent} pkts {n.bytes_sent} B, "
                              f"received {n.packets_received} pkts {n.bytes_received} B")
            elif args.command == "claim":
                d = leases.ClaimDevice(pb.ClaimDeviceRequest(device=args.device), timeout=args.timeout)
                print(f"claimed {d.device_id} ({d.class_name}, {d.uio_name}); lease root {d.lease_root}")
            elif args.command == "health":
                reply = health_grpc.HealthStub(channel).Check(health_pb.HealthCheckRequest(service=""),
                                                              timeout=args.timeout)
                status = health_pb.HealthCheckResponse.ServingStatus.Name(reply.status)
                print(f"{target}: {status}")
                return 0 if reply.status == health_pb.HealthCheckResponse.SERVING else 1
            elif args.command == "watch":
                seen = 0
                for e in devices.WatchEvents(pb.WatchEventsRequest(send_initial_state=args.initial)):
                    print(f"{e.sequence:6} {pb.EventType.Name(e.type).removeprefix('EVENT_TYPE_').lower()}"
                          f"{' (now)' if e.initial else ''}", flush=True)
                    seen += 1
                    if args.count and seen >= args.count:
                        break
        except grpc.RpcError as e:
            print(f"vmbusd_client: {e.code().name}: {e.details()}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
