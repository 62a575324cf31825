#!/usr/bin/env bash
# vmbus-kvp at a shell, over a pool directory of its own: what a person sees
# (values, tables, --json, watch's change lines), exit statuses, and a damaged
# pool file reported while its good records are kept.
#   vmbus_kvp_test.sh BIN_DIR
set -euo pipefail
bin=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/vmbus-kvp-test.XXXXXX")
watch_pid=
cleanup() {
  [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null && wait "$watch_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "vmbus_kvp_test: FAILED: $*" >&2; exit 1; }
kvp() { "$bin/vmbus-kvp" --pool-dir "$dir/pools" "$@"; }

kvp set Role edge-router || fail "set"
kvp set --pool external Location "Rack 12" || fail "set --pool external"
[ "$(kvp get Role)" = edge-router ] || fail "get Role: $(kvp get Role)"
[ "$(kvp get --pool 0 Location)" = "Rack 12" ] || fail "get --pool 0"
out=$(kvp list) || fail "list"
grep -Eq '^external +Location = Rack 12$' <<<"$out" && grep -Eq '^guest +Role = edge-router$' <<<"$out" || fail "list: $out"
json=$(kvp --json list guest)
[ "$json" = '[{"key":"Role","pool":"guest","value":"edge-router"}]' ] || fail "list --json: $json"
# The file is hv_kvp_daemon's: one 2560-byte record per key, 0644.
[ "$(stat -c '%s %a' "$dir/pools/.kvp_pool_1")" = "2560 644" ] || fail "pool file: $(stat -c '%s %a' "$dir/pools/.kvp_pool_1")"

set +e
out=$(kvp get Nowhere 2>&1); rc=$?
[ $rc = 1 ] && grep -q "no key 'Nowhere' in the guest pool" <<<"$out" || fail "missing key: rc $rc: $out"
out=$(kvp delete Nowhere 2>&1); rc=$?
[ $rc = 1 ] || fail "delete of a missing key: rc $rc: $out"
out=$(kvp set --pool host a b 2>&1); rc=$?
[ $rc = 2 ] && grep -q "unknown pool 'host'" <<<"$out" || fail "bad pool: rc $rc: $out"
out=$(kvp set "$(printf 'k%.0s' $(seq 512))" v 2>&1); rc=$?
[ $rc = 1 ] && grep -qi "key" <<<"$out" || fail "a 512-byte key: rc $rc: $out"
out=$(kvp frobnicate 2>&1); rc=$?
[ $rc = 2 ] || fail "bad command: rc $rc: $out"
set -e

# The program itself in the background (not the kvp function's subshell),
# so that $! is the process to stop.
"$bin/vmbus-kvp" --pool-dir "$dir/pools" watch >"$dir/watch.log" 2>&1 & watch_pid=$!
sleep 0.3
kvp set Role core-router
kvp delete --pool external Location
kvp set Zone b
for _ in $(seq 50); do grep -q 'Zone' "$dir/watch.log" && break; sleep 0.1; done
kill "$watch_pid"; wait "$watch_pid" 2>/dev/null || true; watch_pid=
grep -Eq '^guest +~ Role = core-router$' "$dir/watch.log" || fail "watch (changed): $(cat "$dir/watch.log")"
grep -Eq '^external +- Location$' "$dir/watch.log" || fail "watch (removed): $(cat "$dir/watch.log")"
grep -Eq '^guest +\+ Zone = b$' "$dir/watch.log" || fail "watch (added): $(cat "$dir/watch.log")"

# A file cut in the middle of its last record: reported, the whole records kept.
truncate -s $((2560 * 2 + 100)) "$dir/pools/.kvp_pool_1"
out=$(kvp list guest 2>"$dir/err") || fail "list of a damaged pool: $(cat "$dir/err")"
grep -q 'Role = core-router' <<<"$out" && grep -q 'Zone = b' <<<"$out" || fail "damaged pool lost records: $out"
grep -q 'warning' "$dir/err" || fail "no warning about the partial record: $(cat "$dir/err")"
echo "vmbus_kvp_test: OK"
