"""The host rescinds a device (`hvsim ctl rescind`): vmbus.Rescinded."""

import errno

import pytest

import vmbus


def test_rescinded_echo_device_raises(hvsim):
    with vmbus.Device.open("echo", hvsim.sysfs_root) as dev:
        ch = dev.channel(0)
        ch.send(bytes(8), 1)
        assert ch.receive(timeout=5) == bytes(8)
        assert not dev.rescinded
        hvsim.ctl("rescind", dev.instance)
        with pytest.raises(vmbus.Rescinded) as e:
            ch.receive(timeout=5)
        assert e.value.errno == errno.ENODEV
        assert "Channel.receive" in str(e.value)
        assert isinstance(e.value, vmbus.Error) and isinstance(e.value, OSError)
        assert dev.rescinded and ch.rescinded
        with pytest.raises(vmbus.Rescinded):
            ch.send(bytes(8))
        with pytest.raises(vmbus.Rescinded):
            dev.wait(timeout=1)
    # Closing a rescinded device is fine: nothing to give back.


def test_rescind_wakes_a_sleeping_wait(hvsim):
    with vmbus.Device.open("echo", hvsim.sysfs_root) as dev:
        import threading
        threading.Timer(0.3, lambda: hvsim.ctl("rescind", dev.instance)).start()
        with pytest.raises(vmbus.Rescinded):
            dev.wait(timeout=10)
