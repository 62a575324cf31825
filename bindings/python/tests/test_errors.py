"""Bad input raises clear Python errors, never a crash."""

import errno

import pytest

import vmbus


@pytest.fixture
def echo(hvsim):
    with vmbus.Device.open("echo", hvsim.sysfs_root) as dev:
        yield dev


def test_wrong_types(echo):
    ch = echo.channel(0)
    with pytest.raises(TypeError, match="encode it first"):
        ch.send("text")
    with pytest.raises(TypeError, match="not 'int'"):
        ch.send(42)
    with pytest.raises(TypeError, match="read-only"):
        ch.receive_into(b"immutable", timeout=0)
    strided = memoryview(bytearray(64))[::2]
    with pytest.raises(ValueError, match="C-contiguous"):
        ch.send(strided)
    with pytest.raises(ValueError, match="timeout"):
        ch.receive(timeout=-1)
    with pytest.raises(TypeError):
        ch.send(b"x", trans_id="one")


def test_bad_device(hvsim):
    with pytest.raises(vmbus.Error) as e:
        vmbus.Device.open("00000000-0000-0000-0000-000000000001", hvsim.sysfs_root)
    assert e.value.errno == errno.ENODEV
    assert "00000000-0000-0000-0000-000000000001" in e.value.strerror
    with pytest.raises(vmbus.Error) as e:
        vmbus.Device.open("not-a-class", hvsim.sysfs_root)
    assert e.value.errno == errno.ENODEV
    # Not bound to uio_hv_generic and told not to claim it.
    with pytest.raises(vmbus.Error) as e:
        vmbus.Device.open("echo", hvsim.sysfs_root, claim=False)
    assert e.value.errno == errno.EIO and "claim=False" in str(e.value)
    with pytest.raises(vmbus.Error) as e:
        vmbus.Device.open("", hvsim.sysfs_root)
    assert e.value.errno == errno.EINVAL


def test_closed_device_and_bad_channel(echo):
    with pytest.raises(IndexError, match="channel 5 is not open"):
        echo.channel(5)
    ch = echo.channel(0)
    echo.close()
    for call in (lambda: ch.send(b"12345678"), lambda: ch.receive(timeout=0), lambda: echo.channel(0),
                 lambda: echo.wait(0)):
        with pytest.raises(vmbus.Error) as e:
            call()
        assert e.value.errno == errno.EBADF and "closed" in str(e.value)
    assert "closed" in repr(ch)
