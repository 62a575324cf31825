"""vmbus.kvp: the KVP service against hvsim's KVP host (`hvsim ctl kvp`),
and the pool files without the device."""

import errno
import threading

import pytest

import vmbus
import vmbus.kvp


@pytest.fixture
def service(hvsim, pool_dir):
    svc = vmbus.kvp.Service.open(sysfs_root=hvsim.sysfs_root, pool_directory=pool_dir)
    failure = {}

    def serve():
        try:
            svc.run()
        except Exception as e:  # reported by the test below
            failure["e"] = e

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield svc
    finally:
        svc.stop()
        t.join(5)
        svc.close()
    assert not t.is_alive(), "run() did not return after stop()"
    assert "e" not in failure, f"run() failed: {failure.get('e')!r}"


def test_host_and_guest_exchange_keys(hvsim, service):
    # The host writes into the guest's external pool; the service stores it.
    out = hvsim.ctl("kvp", "kvp", "set", "Location", "Rack 12")
    assert "HV_S_OK" in out, out
    assert service.get("external", "Location") == "Rack 12"
    assert service.get(vmbus.kvp.POOL_external, "Location") == "Rack 12"
    assert service.versions == {"framework": "3.0", "kvp": "4.0"}

    # The appliance publishes in the guest pool; the host reads it back.
    service.set("guest", "ApplianceRole", "edge-router")
    service.set("guest", "Rack", "12")
    out = hvsim.ctl("kvp", "kvp", "get", "--pool", "guest", "ApplianceRole")
    assert '"edge-router"' in out and "HV_S_OK" in out, out
    assert service.list("guest") == {"ApplianceRole": "edge-router", "Rack": "12"}
    assert service.list(1) == service.list("guest")

    assert service.delete("guest", "Rack") is True
    assert service.delete("guest", "Rack") is False
    assert service.get("guest", "Rack") is None
    out = hvsim.ctl("kvp", "kvp", "get", "--pool", "guest", "Rack", check=False)
    assert "HV_S_CONT" in out, out


def test_kvp_errors(service):
    with pytest.raises(ValueError, match="unknown pool 'host'"):
        service.get("host", "x")
    with pytest.raises(ValueError, match="unknown pool 7"):
        service.list(7)
    with pytest.raises(TypeError, match="pool must be a name or a number"):
        service.list(1.5)
    with pytest.raises(vmbus.Error) as e:
        service.set("guest", "k" * 600, "v")
    assert e.value.errno == errno.E2BIG


def test_pools_without_the_device(pool_dir):
    pools = vmbus.kvp.Pools(pool_dir)
    pools.set("guest", "Role", "edge-router")
    pools.set("external", "Location", "Rack 12")
    assert pools.get("guest", "Role") == "edge-router"
    assert pools.list("external") == {"Location": "Rack 12"}
    assert pools.get("guest", "Nowhere") is None
    assert pools.delete("external", "Location") and pools.list("external") == {}


def test_closed_service(hvsim, pool_dir):
    svc = vmbus.kvp.Service.open(sysfs_root=hvsim.sysfs_root, pool_directory=pool_dir)
    assert svc.poll(0.5) >= 0  # the host's negotiation, answered without error
    svc.stop()
    svc.run()  # a stop() that came first ends the next run() at once
    svc.close()
    assert svc.closed
    with pytest.raises(vmbus.Error) as e:
        svc.get("guest", "x")
    assert e.value.errno == errno.EBADF
