#!/usr/bin/env bash
# examples/python_client against a real vmbusd serving a real hvsim: the
# Python client lists, claims, checks health and watches, and is refused a
# change on the reader socket with the gRPC status code.
#   test_client.sh BIN_DIR PACKAGE_DIR   (PACKAGE_DIR holds the vmbus package: <build>/python)
set -euo pipefail
bin=$1 package=$2 here=$(dirname "${BASH_SOURCE[0]}")
root=/dev/shm/vmbusd-python-test-$$ run=$(mktemp -d /tmp/vmbusd-python-test.XXXXXX)
cleanup() {
  [ -n "${vmbusd_pid:-}" ] && kill "$vmbusd_pid" 2>/dev/null && wait "$vmbusd_pid" 2>/dev/null || true
  [ -n "${hvsim_pid:-}" ] && kill "$hvsim_pid" 2>/dev/null && wait "$hvsim_pid" 2>/dev/null || true
  rm -rf "$run" "$root"
}
trap cleanup EXIT
fail() { echo "test_client: FAILED: $*" >&2; cat "$run/vmbusd.log" >&2 || true; exit 1; }
client() { /usr/bin/python3 "$here/vmbusd_client.py" --package-dir "$package" --run-dir "$run" "$@"; }

"$bin/hvsim" --root "$root" >"$run/hvsim.log" 2>&1 & hvsim_pid=$!
for _ in $(seq 200); do [ -S "$root/hvsim.ctl" ] && break; sleep 0.05; done
"$bin/vmbusd" --sysfs-root "$root/sys" --run-dir "$run" >"$run/vmbusd.log" 2>&1 & vmbusd_pid=$!
for _ in $(seq 200); do grep -q 'vmbusd: ready' "$run/vmbusd.log" 2>/dev/null && break; sleep 0.05; done

out=$(client devices) || fail "devices: $out"
grep -Eq '^000d3a6b-8c2f-4e1f-9b0a-6045bd7e1a20 +network +16 +hv_netvsc +offered' <<<"$out" || fail "devices: $out"
[ "$(grep -c '^[0-9a-f]\{8\}-' <<<"$out")" = 6 ] || fail "devices lists other than hvsim's 6: $out"
client health | grep -q 'SERVING' || fail "health"
set +e
out=$(client claim network --socket reader 2>&1); rc=$?
set -e
[ $rc = 1 ] && grep -q '^vmbusd_client: PERMISSION_DENIED: ClaimDevice changes the bus' <<<"$out" || fail "reader claim: rc $rc: $out"
client watch --count 1 >"$run/watch.log" 2>&1 & watch_pid=$!
sleep 0.5
out=$(client claim network) || fail "claim: $out"
grep -q 'claimed 000d3a6b-8c2f-4e1f-9b0a-6045bd7e1a20 (network, uio' <<<"$out" || fail "claim: $out"
wait "$watch_pid" || fail "watch exited non-zero: $(cat "$run/watch.log")"
grep -Eq '^ +[0-9]+ device_claimed$' "$run/watch.log" || fail "watch: $(cat "$run/watch.log")"
client channels 000d3a6b-8c2f-4e1f-9b0a-6045bd7e1a20 | grep -q '^relid  16 subchannel  0' || fail "channels"
echo "test_client: OK"
