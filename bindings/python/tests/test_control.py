"""vmbus.control, the gRPC client of vmbusd, from the same package: its
stubs are inside it, and it talks to a real vmbusd serving hvsim.
(examples/python_client's test drives the command-line client further.)"""

import os
import shutil
import subprocess
import tempfile
import time

import pytest


def test_stubs_are_part_of_the_package():
    from vmbus import control
    from vmbus._health import health_pb2
    assert control.pb.ListDevicesRequest.DESCRIPTOR.full_name == "vmbus.control.v1.ListDevicesRequest"
    assert health_pb2.HealthCheckResponse.SERVING == 1
    assert control.Client.state_name(control.pb.DEVICE_STATE_OFFERED) == "offered"


def test_client_against_vmbusd(hvsim):
    vmbusd = os.path.join(hvsim.bin_dir, "vmbusd")
    if not os.access(vmbusd, os.X_OK):
        pytest.skip("vmbusd is not built beside hvsim")
    from vmbus import control
    run = tempfile.mkdtemp(prefix="vmbus-python-vmbusd-")
    log = open(os.path.join(run, "vmbusd.log"), "w+")
    daemon = subprocess.Popen([vmbusd, "--sysfs-root", hvsim.sysfs_root, "--run-dir", run],
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            log.seek(0)
            if "vmbusd: ready" in log.read():
                break
            assert daemon.poll() is None and time.monotonic() < deadline, "vmbusd did not start"
            time.sleep(0.05)
        with control.Client(run_dir=run) as client:
            assert client.health() == "SERVING"
            devices = {d.device_id: d for d in client.devices()}
            nic = devices["000d3a6b-8c2f-4e1f-9b0a-6045bd7e1a20"]
            assert nic.class_name == "network" and nic.relid == 16
            assert len(devices) == len(hvsim.ctl("list", json_output=True)["devices"])
            with pytest.raises(control.RpcError) as e:
                client.claim("network")  # the reader socket cannot change the bus
            assert e.value.code().name == "PERMISSION_DENIED"
    finally:
        daemon.terminate()
        daemon.wait(10)
        log.close()
        shutil.rmtree(run, ignore_errors=True)
