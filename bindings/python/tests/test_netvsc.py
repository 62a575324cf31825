"""vmbus.netvsc.Port over hvsim's NIC, whose default backend loops every
frame the guest sends back to it (sim/hosts/netvsc, docs/hvsim.md)."""

import errno
import time

import pytest

import vmbus
import vmbus.netvsc


def frames_for(mac, count):
    out = []
    for i in range(count):
        body = bytes([0x40 + i]) * (46 + i * 100)
        out.append(mac + mac + b"\x88\xb5" + body)  # to ourselves, a local experimental ethertype
    return out


def receive_all(port, count, timeout=10):
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got += port.rx_burst(32, timeout=0.5)
    return got


def test_port_loops_frames_back(hvsim):
    with vmbus.netvsc.Port.open(sysfs_root=hvsim.sysfs_root, queues=1) as port:
        assert port.queue_count == 1
        assert port.mtu == 1500
        assert len(port.mac_bytes) == 6 and port.mac_bytes != bytes(6)
        assert port.mac == ":".join(f"{b:02x}" for b in port.mac_bytes)
        link = port.link
        assert link["up"] is True and link["speed_bps"] > 0
        assert port.instance == "000d3a6b-8c2f-4e1f-9b0a-6045bd7e1a20"

        frames = frames_for(port.mac_bytes, 4)
        # Every buffer kind a frame may come in.
        assert port.tx_burst([frames[0], bytearray(frames[1]), memoryview(frames[2]), frames[3]]) == 4
        assert receive_all(port, 4) == frames
        stats = port.stats()
        assert stats["tx_packets"] == 4 and stats["rx_packets"] == 4 and stats["malformed"] == 0
        assert not port.rescinded


def test_rx_burst_into_callers_buffers(hvsim):
    with vmbus.netvsc.Port.open(sysfs_root=hvsim.sysfs_root) as port:
        frames = frames_for(port.mac_bytes, 3)
        assert port.tx_burst(frames) == 3
        buffers = [bytearray(port.mtu + 18) for _ in range(8)]
        lengths = []
        deadline = time.monotonic() + 10
        while len(lengths) < 3 and time.monotonic() < deadline:
            got = port.rx_burst_into(buffers[len(lengths):], timeout=0.5)
            lengths += got
        assert lengths == [len(f) for f in frames]
        assert [bytes(buffers[i][:n]) for i, n in enumerate(lengths)] == frames


def test_port_input_errors(hvsim):
    with vmbus.netvsc.Port.open(sysfs_root=hvsim.sysfs_root) as port:
        with pytest.raises(TypeError, match="wrap a single frame in a list"):
            port.tx_burst(b"\x00" * 60)
        with pytest.raises(ValueError, match="shorter than an Ethernet header"):
            port.tx_burst([b"\x00" * 10])
        with pytest.raises(TypeError, match=r"frames\[1\].*'int'"):
            port.tx_burst([b"\x00" * 60, 5])
        with pytest.raises(TypeError, match=r"rx_burst_into: buffers\[1\] must be writable"):
            port.rx_burst_into([bytearray(2048), b"\x00" * 2048])
        with pytest.raises(IndexError, match="queue 3 is not open"):
            port.rx_burst(4, queue=3)
        with pytest.raises(ValueError):
            port.rx_burst(0)
    with pytest.raises(vmbus.Error) as e:
        port.tx_burst([b"\x00" * 60])
    assert e.value.errno == errno.EBADF
    with pytest.raises(ValueError, match="queues must be 1..64"):
        vmbus.netvsc.Port.open(sysfs_root=hvsim.sysfs_root, queues=0)


def test_rescinded_nic_raises(hvsim):
    with vmbus.netvsc.Port.open(sysfs_root=hvsim.sysfs_root) as port:
        hvsim.ctl("rescind", port.instance)
        with pytest.raises(vmbus.Rescinded):
            port.rx_burst(8, timeout=5)
        assert port.rescinded
