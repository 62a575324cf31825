"""vmbus: user-space VMBus drivers on Hyper-V Linux guests, from Python.

The C++ SDK (discovery, devices, channels), the netvsc NIC driver and the KVP
service, through the pybind11 extension ``vmbus._vmbus``; and, in
``vmbus.control``, a gRPC client of vmbusd's control API. docs/python.md has
the whole picture.

    import vmbus
    for d in vmbus.discover("/dev/shm/sim/sys"):        # an hvsim root, or "/sys"
        print(d.instance, d.class_name, d.relid, d.driver)
    with vmbus.Device.open("echo", sysfs_root="/dev/shm/sim/sys") as dev:
        ch = dev.channel(0)
        ch.send(b"hello, host")
        print(ch.receive(timeout=1.0))
    with vmbus.netvsc.Port.open(sysfs_root="/dev/shm/sim/sys") as port:
        port.tx_burst([frame])                    # a list of bytes-like frames
        frames = port.rx_burst(32, timeout=1.0)   # a list of bytes
    with vmbus.kvp.Service.open(sysfs_root="/dev/shm/sim/sys", pool_directory=d) as kvp:
        kvp.set("guest", "ApplianceRole", "edge-router")

Errors are ``vmbus.Error`` (an OSError with errno and message); a device the
host took away raises ``vmbus.Rescinded``. Blocking calls release the GIL.
"""

from ._errors import Error, Rescinded
from . import _vmbus
from ._vmbus import (
    Channel,
    ChannelCounters,
    ChannelInfo,
    Device,
    DeviceInfo,
    Packet,
    __version__,
    discover,
    find_device,
    kvp,
    netvsc,
)

# `import vmbus.netvsc` and `import vmbus.kvp` as well as `vmbus.netvsc`:
# they are submodules of the extension, registered under the package's name.
import sys as _sys

_sys.modules[__name__ + ".netvsc"] = netvsc
_sys.modules[__name__ + ".kvp"] = kvp
del _sys

__all__ = [
    "Channel",
    "ChannelCounters",
    "ChannelInfo",
    "Device",
    "DeviceInfo",
    "Error",
    "Packet",
    "Rescinded",
    "__version__",
    "discover",
    "find_device",
    "kvp",
    "netvsc",
]
