"""Blocking calls release the GIL: another Python thread runs meanwhile."""

import threading
import time

import vmbus


def test_receive_releases_the_gil_while_it_waits(hvsim):
    with vmbus.Device.open("echo", hvsim.sysfs_root) as dev:
        ch = dev.channel(0)
        started = threading.Event()
        outcome = {}

        def blocked_receiver():
            started.set()
            t0 = time.monotonic()
            outcome["result"] = ch.receive(timeout=1.5)
            outcome["elapsed"] = time.monotonic() - t0

        t = threading.Thread(target=blocked_receiver)
        t.start()
        started.wait()
        time.sleep(0.1)  # the receiver is inside receive() now
        # Pure Python work for 0.5 s: it runs only if the receiver let go of the GIL.
        spins = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < 0.5:
            spins += 1
        receiver_still_waiting = t.is_alive()
        t.join(5)
        assert receiver_still_waiting, "the receiver returned early (or this thread only ran after it did)"
        assert spins > 10000, f"this thread made only {spins} iterations while the receiver waited"
        assert outcome["result"] is None
        assert outcome["elapsed"] >= 1.4


def test_a_blocked_receiver_gets_what_another_thread_sends(hvsim):
    with vmbus.Device.open("echo", hvsim.sysfs_root) as dev:
        ch = dev.channel(0)
        got = {}
        t = threading.Thread(target=lambda: got.setdefault("p", ch.receive_packet(timeout=10)))
        t.start()
        time.sleep(0.3)
        ch.send(b"from the other thread....", 77)  # 25 bytes: padded to 32
        t.join(10)
        assert not t.is_alive()
        assert got["p"] is not None and got["p"].trans_id == 77
        assert got["p"].payload.startswith(b"from the other thread....")


def test_close_while_another_thread_waits(hvsim):
    dev = vmbus.Device.open("echo", hvsim.sysfs_root)
    ch = dev.channel(0)
    caught = {}

    def waiter():
        try:
            ch.receive(timeout=10)
        except vmbus.Error as e:
            caught["e"] = e

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    dev.close()
    t.join(5)
    assert not t.is_alive() and time.monotonic() - t0 < 2, "the waiter did not notice the close"
    assert "closed" in str(caught["e"])


class Interrupted(Exception):
    pass


def test_a_signal_handler_interrupts_a_wait(hvsim):
    """The wait comes back for the GIL to run signal handlers: Ctrl-C (here a
    SIGINT handler of our own) ends a long receive at once."""
    import os
    import signal

    def handler(signum, frame):
        raise Interrupted()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        with vmbus.Device.open("echo", hvsim.sysfs_root) as dev:
            ch = dev.channel(0)
            timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
            timer.start()
            t0 = time.monotonic()
            try:
                ch.receive(timeout=10)
                raise AssertionError("receive returned instead of raising the handler's exception")
            except Interrupted:
                pass
            timer.join()
            assert time.monotonic() - t0 < 2
    finally:
        signal.signal(signal.SIGINT, previous)
