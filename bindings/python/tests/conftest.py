"""Fixtures of the vmbus package's tests: a real hvsim per test, under a
fresh root in /dev/shm, started the way the shell tests start it
(examples/python_client/test_client.sh): `hvsim --root ROOT`, wait for
ROOT/hvsim.ctl, then `hvsim ctl list` (it answers once every device is
offered). The sysfs root the bindings use is ROOT/sys.

VMBUS_BIN_DIR names the folder with hvsim (ctest sets it); PYTHONPATH must
hold the build's python/ folder (the assembled vmbus package).
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest


def _bin_dir():
    d = os.environ.get("VMBUS_BIN_DIR")
    if not d or not os.access(os.path.join(d, "hvsim"), os.X_OK):
        pytest.fail(f"VMBUS_BIN_DIR must name the folder holding hvsim (it is {d!r})")
    return d


class Hvsim:
    """A running hvsim: its root, sysfs root, and `hvsim ctl`."""

    def __init__(self, bin_dir, root):
        self.bin_dir = bin_dir
        self.root = root
        self.sysfs_root = os.path.join(root, "sys")
        self.log_path = root + ".log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen([os.path.join(bin_dir, "hvsim"), "--root", root],
                                        stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not os.path.exists(os.path.join(root, "hvsim.ctl")):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"hvsim did not start under {root}: {self.log()}")
            time.sleep(0.02)
        self.ctl("list")

    def ctl(self, *args, check=True, json_output=False):
        """`hvsim ctl --root ROOT ARGS...`: its stdout (parsed with json_output)."""
        cmd = [os.path.join(self.bin_dir, "hvsim"), "ctl", "--root", self.root, *args]
        if json_output:
            cmd.append("--json")
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(args)}: exit {r.returncode}: {r.stdout}{r.stderr}")
        return json.loads(r.stdout) if json_output else r.stdout

    def log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # hvsim removes its tree on SIGTERM
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        shutil.rmtree(self.root, ignore_errors=True)
        try:
            os.unlink(self.log_path)
        except OSError:
            pass


@pytest.fixture
def hvsim():
    root = tempfile.mkdtemp(prefix="vmbus-python-test-", dir="/dev/shm")
    os.rmdir(root)  # hvsim creates its root
    sim = Hvsim(_bin_dir(), root)
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def pool_dir():
    d = tempfile.mkdtemp(prefix="vmbus-python-kvp-")
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)
