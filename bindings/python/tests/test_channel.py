"""Device and Channel over hvsim's echo device: the host sends back every
inband packet it gets, with the same transaction id (sim/src/echo_host.cc)."""

import array
import errno

import pytest

import vmbus


@pytest.fixture
def echo(hvsim):
    with vmbus.Device.open("echo", hvsim.sysfs_root) as dev:
        yield dev


def test_open_claims_and_close_gives_back(hvsim):
    dev = vmbus.Device.open("echo", hvsim.sysfs_root)
    try:
        assert not dev.closed
        assert dev.info.owner == "uio_hv_generic" and dev.info.uio_name.startswith("uio")
        assert "endpoint" in dev.description
        assert dev.channel_count >= 1
        assert vmbus.find_device("echo", hvsim.sysfs_root).owner == "uio_hv_generic"
    finally:
        dev.close()
    assert dev.closed
    dev.close()  # idempotent
    assert vmbus.find_device("echo", hvsim.sysfs_root).owner == "none"


def test_round_trip_of_every_buffer_kind(echo):
    ch = echo.channel(0)
    assert ch.relid == echo.info.relid and ch.index == 0
    payload = bytes(range(64))
    for trans_id, data in enumerate([payload, bytearray(payload), memoryview(payload),
                                     array.array("B", payload)], start=1):
        ch.send(data, trans_id)
        p = ch.receive_packet(timeout=5)
        assert p is not None, f"no echo of {type(data).__name__}"
        assert p.payload == payload
        assert p.trans_id == trans_id
        assert p.type == 6  # inband
    # A slice of a memoryview: only those bytes go.
    big = bytearray(range(256))
    ch.send(memoryview(big)[16:48])
    assert ch.receive(timeout=5) == bytes(big[16:48])
    counters = ch.counters
    assert counters.packets_sent == 5 and counters.packets_received == 5
    assert counters.bytes_sent >= 5 * 32


def test_payloads_are_padded_to_eight_bytes(echo):
    ch = echo.channel()
    ch.send(b"hello")
    assert ch.receive(timeout=5) == b"hello\0\0\0"


def test_receive_into_writes_the_callers_buffer(echo):
    ch = echo.channel(0)
    payload = b"0123456789abcdef" * 4
    ch.send(payload)
    buf = bytearray(256)
    n = ch.receive_into(buf, timeout=5)
    assert n == len(payload)
    assert buf[:n] == payload
    assert buf[n:] == bytearray(256 - n)  # nothing written past the payload
    # Into a slice of a memoryview: the bytes land in the underlying bytearray.
    ch.send(payload)
    backing = bytearray(128)
    n = ch.receive_into(memoryview(backing)[32:], timeout=5)
    assert n == len(payload) and backing[32:32 + n] == payload and backing[:32] == bytearray(32)


def test_receive_into_too_small_keeps_the_packet(echo):
    ch = echo.channel(0)
    ch.send(bytes(64))
    with pytest.raises(vmbus.Error) as e:
        ch.receive_into(bytearray(16), timeout=5)
    assert e.value.errno == errno.ENOBUFS
    assert "64" in str(e.value) and "16" in str(e.value)
    assert ch.receive_into(bytearray(64), timeout=5) == 64


def test_batched_sends_flush_once(echo):
    ch = echo.channel(0)
    for i in range(8):
        ch.send(bytes([i]) * 16, 100 + i, flush=False)
    assert ch.receive(timeout=0) is None  # nothing published yet
    ch.flush()
    got = [ch.receive_packet(timeout=5) for _ in range(8)]
    assert [p.trans_id for p in got] == list(range(100, 108))
    assert [p.payload for p in got] == [bytes([i]) * 16 for i in range(8)]


def test_receive_times_out_with_none(echo):
    ch = echo.channel(0)
    assert ch.receive(timeout=0) is None
    assert ch.receive(timeout=0.05) is None
    assert ch.receive_into(bytearray(64), timeout=0.05) is None


def test_sleeping_receive_is_woken_by_the_interrupt(echo):
    ch = echo.channel(0)
    for i in range(10):
        assert ch.receive(timeout=0) is None
        ch.send(bytes([i]) * 8, i)
        p = ch.receive_packet(timeout=5)
        assert p is not None and p.trans_id == i
    assert ch.counters.interrupts_seen > 0


def test_send_waits_for_room_in_a_full_ring(echo):
    """A sender thread outruns the host (the echo blocks once our RX ring is
    full, then our TX ring fills): send() waits for room with the GIL
    released, and the receiver here drains both rings."""
    import threading
    ch = echo.channel(0)
    count, payload = 60, bytes(range(256)) * 16  # 4 KiB each: far more than the rings hold
    failure = {}

    def sender():
        try:
            for i in range(count):
                ch.send(payload, i, timeout=20)
        except Exception as e:  # reported below
            failure["e"] = e

    t = threading.Thread(target=sender)
    t.start()
    t.join(1.0)
    assert t.is_alive(), "every send went through at once: the rings never filled"
    got = []
    for _ in range(count):
        p = ch.receive_packet(timeout=10)
        assert p is not None, f"only {len(got)} echoes came back"
        got.append(p)
    t.join(10)
    assert "e" not in failure, repr(failure.get("e"))
    assert [p.trans_id for p in got] == list(range(count))
    assert all(p.payload == payload for p in got)
    assert ch.counters.ring_full_events > 0


def test_send_times_out_when_nobody_reads(echo):
    ch = echo.channel(0)
    payload = bytes(4096)
    sent = 0
    with pytest.raises(TimeoutError, match="ring stayed full"):
        for i in range(1000):
            ch.send(payload, i, timeout=0.3)
            sent += 1
    assert 0 < sent < 1000
    received = 0
    while ch.receive(timeout=1.0) is not None:
        received += 1
    assert received == sent


def test_subchannels_echo_and_a_missing_one_is_an_error(echo):
    # The echo host asks for 3 subchannels when the device opens (sim/src/echo_host.cc).
    subchannels = [echo.open_subchannel(i, timeout=10) for i in (1, 2, 3)]
    assert echo.channel_count == 4
    relids = {ch.relid for ch in subchannels}
    assert len(relids) == 3 and echo.channel(0).relid not in relids
    for n, ch in enumerate(subchannels, start=1):
        payload = bytes([n]) * 24
        ch.send(payload, trans_id=100 + n)
        p = ch.receive_packet(timeout=5)
        assert p is not None and p.trans_id == 100 + n and p.payload == payload
    assert echo.open_subchannel(2).relid == subchannels[1].relid  # already open: the same channel
    with pytest.raises(vmbus.Error, match="subchannel"):
        echo.open_subchannel(9, timeout=0.3)
