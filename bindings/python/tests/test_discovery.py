"""vmbus.discover() and find_device() over hvsim's sysfs tree."""

import errno
import importlib
import re

import pytest

import vmbus

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_package_exports():
    assert issubclass(vmbus.Error, OSError)
    assert issubclass(vmbus.Rescinded, vmbus.Error)
    assert vmbus.__version__.count(".") == 2
    # The extension's submodules import by name too.
    assert importlib.import_module("vmbus.netvsc").Port is vmbus._vmbus.netvsc.Port
    assert importlib.import_module("vmbus.kvp").Service is vmbus._vmbus.kvp.Service


def test_discover_lists_hvsims_devices(hvsim):
    devices = vmbus.discover(hvsim.sysfs_root)
    by_class = {d.class_name: d for d in devices}
    assert {"echo", "network", "kvp"} <= set(by_class), [repr(d) for d in devices]
    # The same devices hvsim itself lists.
    listed = hvsim.ctl("list", json_output=True)["devices"]
    assert sorted(d.instance for d in devices) == sorted(d["instance"] for d in listed)
    for d in devices:
        assert GUID.match(d.instance), d.instance
        assert GUID.match(d.class_id), d.class_id
        assert d.relid > 0
        assert d.channels and d.channels[0].relid == d.relid and d.channels[0].subchannel_id == 0
    nic = by_class["network"]
    assert nic.owner == "kernel_driver" and nic.driver == "hv_netvsc"
    assert nic.instance == "000d3a6b-8c2f-4e1f-9b0a-6045bd7e1a20"
    assert nic.relid == 16
    echo = by_class["echo"]
    assert echo.owner == "none" and echo.driver == "" and echo.uio_name == ""
    assert "echo" in repr(echo)


def test_discover_uses_the_environment(hvsim, monkeypatch):
    monkeypatch.setenv("VMBUS_SYSFS_ROOT", hvsim.sysfs_root)
    assert len(vmbus.discover()) == len(vmbus.discover(hvsim.sysfs_root)) > 0


def test_find_device(hvsim):
    echo = vmbus.find_device("echo", hvsim.sysfs_root)
    assert echo.class_name == "echo"
    assert vmbus.find_device(echo.instance, hvsim.sysfs_root).relid == echo.relid
    with pytest.raises(vmbus.Error) as e:
        vmbus.find_device("00000000-0000-0000-0000-000000000001", hvsim.sysfs_root)
    assert e.value.errno == errno.ENODEV
    assert "00000000-0000-0000-0000-000000000001" in str(e.value)


def test_discover_without_vmbus_is_an_error(tmp_path):
    with pytest.raises(vmbus.Error) as e:
        vmbus.discover(str(tmp_path))
    assert e.value.errno == errno.ENODEV
    assert str(tmp_path) in e.value.strerror
