#!/usr/bin/env bash
# vmbusctl against a real vmbusd serving a real hvsim: what a person at a
# shell sees (tables, --json, exit status and messages).
#   vmbusctl_test.sh BIN_DIR
set -euo pipefail
bin=$1
root=/dev/shm/vmbusctl-test-$$ run=$(mktemp -d /tmp/vmbusctl-test.XXXXXX)
nic=000d3a6b-8c2f-4e1f-9b0a-6045bd7e1a20  # hvsim's default eth0
cleanup() {
  [ -n "${vmbusd_pid:-}" ] && kill "$vmbusd_pid" 2>/dev/null && wait "$vmbusd_pid" 2>/dev/null || true
  [ -n "${hvsim_pid:-}" ] && kill "$hvsim_pid" 2>/dev/null && wait "$hvsim_pid" 2>/dev/null || true
  rm -rf "$run" "$root"
}
trap cleanup EXIT
fail() { echo "vmbusctl_test: FAILED: $*" >&2; echo "---- vmbusd's log ----" >&2; cat "$run/vmbusd.log" >&2 || true; exit 1; }
ctl() { "$bin/vmbusctl" --run-dir "$run" "$@"; }
driver() { "$bin/hvsim" ctl --root "$root" list eth0 --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["devices"][0]["driver"])'; }

"$bin/hvsim" --root "$root" >"$run/hvsim.log" 2>&1 & hvsim_pid=$!
for _ in $(seq 200); do [ -S "$root/hvsim.ctl" ] && break; sleep 0.05; done
"$bin/vmbusd" --sysfs-root "$root/sys" --run-dir "$run" >"$run/vmbusd.log" 2>&1 & vmbusd_pid=$!
for _ in $(seq 200); do grep -q 'vmbusd: ready' "$run/vmbusd.log" 2>/dev/null && break; sleep 0.05; done
grep -q 'vmbusd: ready' "$run/vmbusd.log" || fail "vmbusd did not start"

out=$(ctl devices) || fail "devices exited $?"
grep -Eq "^$nic +network +16 +3 +hv_netvsc +offered" <<<"$out" || fail "devices table: $out"
count=$(ctl devices --json | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["devices"]))')
[ "$count" = 6 ] || fail "devices --json lists $count devices, hvsim offers 6"

set +e
out=$(ctl --socket "$run/reader.sock" claim network 2>&1); rc=$?
set -e
[ $rc = 1 ] && grep -q 'PERMISSION_DENIED' <<<"$out" || fail "claim on the reader socket: rc $rc: $out"
[ "$(driver)" = hv_netvsc ] || fail "a refused claim changed the driver to $(driver)"

ctl watch >"$run/watch.log" 2>&1 & watch_pid=$!
sleep 0.3  # the stream is open before the claim
out=$(ctl claim network) || fail "claim: $out"
grep -q "claimed $nic (network, uio" <<<"$out" || fail "claim printed: $out"
[ "$(driver)" = uio_hv_generic ] || fail "after claim hvsim shows driver $(driver)"
ctl device "$nic" | grep -q '^state     claimed' || fail "device does not show it claimed"
ctl channels "$nic" | grep -Eq '^ +16 +0 +3 +0  not live' || fail "channels: $(ctl channels "$nic")"
# Without a device: the whole bus, device by device (lsvmbus -vv's view).
out=$(ctl channels) || fail "channels (all) exited $?"
[ "$(grep -c '^VMBUS ID ' <<<"$out")" = 6 ] || fail "channels (all) shows $(grep -c '^VMBUS ID ' <<<"$out") devices: $out"
grep -Eq "^VMBUS ID $nic  network  claimed, driver uio_hv_generic$" <<<"$out" || fail "channels (all): $out"
devs=$(ctl channels --json | /usr/bin/python3 -c 'import json,sys; print(len({c["device_id"] for c in json.load(sys.stdin)["channels"]}))')
[ "$devs" = 6 ] || fail "channels --json covers $devs devices"
out=$(ctl release "$nic") || fail "release: $out"
grep -q 'driver now: hv_netvsc' <<<"$out" || fail "release printed: $out"
[ "$(driver)" = hv_netvsc ] || fail "after release hvsim shows driver $(driver)"
for _ in $(seq 100); do grep -q "released   $nic to hv_netvsc" "$run/watch.log" && break; sleep 0.05; done
kill "$watch_pid"; wait "$watch_pid" 2>/dev/null || true
grep -Eq "^[0-9:]{8} +[0-9]+ claimed    $nic uio" "$run/watch.log" || fail "watch did not show the claim: $(cat "$run/watch.log")"
grep -q "released   $nic to hv_netvsc" "$run/watch.log" || fail "watch did not show the release: $(cat "$run/watch.log")"

# A lease: the unchanged echo example, pointed at vmbusd's lease root.
echo_id=$(ctl devices --class echo --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["devices"][0]["device_id"])')
ctl claim echo >/dev/null || fail "claim echo"
lease_root=$(ctl device "$echo_id" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["lease_root"])')
[ -d "$lease_root" ] || fail "device shows no lease root: '$lease_root'"
VMBUS_SYSFS_ROOT=$lease_root "$bin/vmbus_echo" >"$run/echo.log" 2>&1 || { cat "$run/echo.log" >&2; fail "vmbus_echo through the lease failed"; }
out=$(ctl leases --all) || fail "leases: $out"
grep -Eq "^1 +$echo_id +[0-9]+ +vmbus_echo +ended: holder closed" <<<"$out" || fail "leases --all: $out"
[ "$(ctl leases | wc -l)" = 1 ] || fail "an active lease is left: $(ctl leases)"
ctl release "$echo_id" >/dev/null || fail "release echo"

set +e
out=$(ctl revoke 42 2>&1); rc=$?
[ $rc = 1 ] && grep -q "NOT_FOUND: no active lease '42'" <<<"$out" || fail "revoke unknown: rc $rc: $out"
out=$(ctl device not-a-guid 2>&1); rc=$?
[ $rc = 1 ] && grep -q "INVALID_ARGUMENT: 'not-a-guid' is not a device GUID" <<<"$out" || fail "bad GUID: rc $rc: $out"
out=$(ctl device 01234567-89ab-cdef-0123-456789abcdef 2>&1); rc=$?
[ $rc = 1 ] && grep -q 'NOT_FOUND' <<<"$out" || fail "unknown GUID: rc $rc: $out"
out=$(ctl frobnicate 2>&1); rc=$?
[ $rc = 2 ] && grep -q "unknown command 'frobnicate'" <<<"$out" || fail "bad command: rc $rc: $out"
out=$("$bin/vmbusctl" --run-dir "$run/nowhere" devices 2>&1); rc=$?
[ $rc = 1 ] && grep -q 'is vmbusd running' <<<"$out" || fail "no daemon: rc $rc: $out"
set -e
ctl health | grep -q 'SERVING' || fail "health: $(ctl health)"
echo "vmbusctl_test: OK"
