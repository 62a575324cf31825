"""A client of vmbusd's gRPC control API (vmbus.control.v1), on Debian's
python3-grpcio, with the stubs generated from the .proto the daemon serves
(daemon/proto/vmbus/control/v1/control.proto) in vmbus/control/v1/ and the
standard health service in vmbus/_health/. Importing this module needs grpc;
``import vmbus`` alone does not.

    from vmbus.control import Client
    with Client(run_dir="/run/vmbusd") as c:                # reader.sock
        for d in c.devices():
            print(d.device_id, d.class_name, c.state_name(d.state))
    with Client(run_dir="/run/vmbusd", socket="admin") as c:  # changes need admin.sock
        lease = c.claim("network")

Every call takes the client's ``timeout`` (seconds). Failures are
``grpc.RpcError`` (``e.code()``, ``e.details()``), as vmbusd answered them.
"""

import os

import grpc

from .._health import health_pb2, health_pb2_grpc
from .v1 import control_pb2, control_pb2_grpc

# The generated modules, for callers that build requests themselves.
pb = control_pb2
pb_grpc = control_pb2_grpc
RpcError = grpc.RpcError

__all__ = ["Client", "RpcError", "pb", "pb_grpc", "health_pb2", "health_pb2_grpc"]


class Client:
    """A channel to one of vmbusd's sockets and the calls people make on it.

    ``run_dir`` is vmbusd's run directory: reads go to its reader.sock,
    changes (claim) to admin.sock (``socket="admin"``); ``target`` overrides
    both with any gRPC target ("unix:/path", "host:port").
    """

    def __init__(self, run_dir="/run/vmbusd", socket="reader", timeout=10.0, target=None):
        if socket not in ("reader", "admin"):
            raise ValueError(f"socket must be 'reader' or 'admin', not {socket!r}")
        self.target = target or f"unix:{os.path.join(run_dir, socket + '.sock')}"
        self.timeout = timeout
        self._channel = grpc.insecure_channel(self.target)
        self.device_service = control_pb2_grpc.DeviceServiceStub(self._channel)
        self.lease_service = control_pb2_grpc.LeaseServiceStub(self._channel)
        self.health_service = health_pb2_grpc.HealthStub(self._channel)

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def devices(self):
        """The bus as vmbusd sees it: a list of control_pb2 device messages."""
        return list(self.device_service.ListDevices(pb.ListDevicesRequest(), timeout=self.timeout).devices)

    def channels(self, device_id, include_ring_state=True):
        """One device's channels (ring indexes and the lease holder's counters when live)."""
        request = pb.ListChannelsRequest(device_id=device_id, include_ring_state=include_ring_state)
        return list(self.device_service.ListChannels(request, timeout=self.timeout).channels)

    def claim(self, device):
        """Claims `device` (an instance GUID or a class name) for a lease; needs the admin socket."""
        return self.lease_service.ClaimDevice(pb.ClaimDeviceRequest(device=device), timeout=self.timeout)

    def health(self, service=""):
        """The health service's answer, as its name ("SERVING", "NOT_SERVING", ...)."""
        reply = self.health_service.Check(health_pb2.HealthCheckRequest(service=service), timeout=self.timeout)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)

    def watch(self, initial=False):
        """Bus events as they happen (an endless iterator; cancel by leaving the loop and closing)."""
        return self.device_service.WatchEvents(pb.WatchEventsRequest(send_initial_state=initial))

    @staticmethod
    def state_name(state):
        """DEVICE_STATE_OFFERED -> "offered"."""
        return pb.DeviceState.Name(state).removeprefix("DEVICE_STATE_").lower()

    @staticmethod
    def event_name(event_type):
        """EVENT_TYPE_DEVICE_CLAIMED -> "device_claimed"."""
        return pb.EventType.Name(event_type).removeprefix("EVENT_TYPE_").lower()
