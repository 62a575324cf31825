"""The exceptions of the vmbus package.

Every failure the C++ SDK reports becomes one of these (never a crash, never
a bare C++ exception). They are OSErrors: ``e.errno`` is the errno the C ABI
(bindings/c) would return for the same failure, ``e.strerror`` the message,
which names the call and the device, file or step that failed.
"""

import errno as _errno


class Error(OSError):
    """A vmbus call failed.

    errno values, as in the C ABI (vmbus_c/vmbus.h):
      ENODEV    no such device (or, as Rescinded, the host took it away)
      EBADF     the device, port or service was closed
      ENOBUFS   the caller's buffer is too small (the message says how big)
      EMSGSIZE  a packet that can never fit the ring
      EBADMSG   the host broke the protocol (tear the channel down)
      ENOENT    a KVP key that is not there
      E2BIG     a KVP key or value too long for the wire
      EIO       a device, claim or open step failed (see the message)
    """


class Rescinded(Error):
    """The host rescinded the device or channel: it is gone.

    Sends fail at once; receives return what was already in the ring, then
    raise this. Close the device (or port, or service): nothing else helps.
    """

    def __init__(self, *args):
        if len(args) == 1:  # Rescinded("message"): errno ENODEV, as the C ABI
            args = (_errno.ENODEV, args[0])
        super().__init__(*args)
