#!/usr/bin/env bash
# vmbusd over TCP: TLS required unless plaintext is forced; the role comes
# from the client certificate. Certificates are made here with openssl: a
# CA, vmbusd's (for 127.0.0.1), an admin client's (CN ops) and another
# client's (CN guest).
#   tls_test.sh BIN_DIR
set -euo pipefail
bin=$1
root=/dev/shm/vmbusd-tls-test-$$ work=$(mktemp -d /tmp/vmbusd-tls-test.XXXXXX)
cleanup() {
  for p in ${vmbusd_pid:-} ${hvsim_pid:-}; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$work" "$root"
}
trap cleanup EXIT
fail() { echo "tls_test: FAILED: $*" >&2; cat "$work/vmbusd.log" >&2 2>/dev/null || true; exit 1; }
cd "$work"
cert() {  # cert NAME CN [SAN]: NAME.key, NAME.pem signed by the CA
  openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
  printf '%s\n' "${3:+subjectAltName=$3}" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out "$1.pem" \
    ${3:+-extfile "$1.ext"} 2>/dev/null
}
openssl req -x509 -new -newkey rsa:2048 -nodes -keyout ca.key -subj "/CN=vmbusd test CA" -days 2 -out ca.pem 2>/dev/null
cert server localhost "IP:127.0.0.1,DNS:localhost"
cert ops ops
cert guest guest
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"$bin/hvsim" --root "$root" >hvsim.log 2>&1 & hvsim_pid=$!
for _ in $(seq 200); do [ -S "$root/hvsim.ctl" ] && break; sleep 0.05; done

# TCP without a certificate is refused at start, saying what to do.
set +e
out=$("$bin/vmbusd" --sysfs-root "$root/sys" --run-dir "$work/r0" --tcp-listen "127.0.0.1:$port" 2>&1); rc=$?
set -e
[ $rc = 2 ] && grep -q 'give --tls-cert and --tls-key (or force plaintext with --insecure-tcp)' <<<"$out" || fail "no cert: rc $rc: $out"

start() {  # start ARGS...: vmbusd in the background until ready
  "$bin/vmbusd" --sysfs-root "$root/sys" --run-dir "$work/run" --tcp-listen "127.0.0.1:$port" "$@" >vmbusd.log 2>&1 &
  vmbusd_pid=$!
  for _ in $(seq 200); do grep -q 'vmbusd: ready' vmbusd.log 2>/dev/null && break; sleep 0.05; done
  grep -q 'vmbusd: ready' vmbusd.log || fail "vmbusd did not start"
}
stop() { kill "$vmbusd_pid"; wait "$vmbusd_pid" || true; vmbusd_pid=; }
tcp() { "$bin/vmbusctl" --target "127.0.0.1:$port" "$@"; }

start --tls-cert server.pem --tls-key server.key --tls-client-ca ca.pem --tcp-admin-client ops
tcp --tls-ca ca.pem devices | grep -q '^000d3a6b-8c2f-4e1f-9b0a-6045bd7e1a20  network' || fail "devices over TLS"
tcp --tls-ca ca.pem health | grep -q SERVING || fail "health over TLS"
set +e
out=$(tcp --tls-ca ca.pem claim network 2>&1); rc=$?
[ $rc = 1 ] && grep -q 'PERMISSION_DENIED: ClaimDevice changes the bus: over TCP it needs a client certificate' <<<"$out" || fail "claim without a certificate: rc $rc: $out"
out=$(tcp --tls-ca ca.pem --tls-cert guest.pem --tls-key guest.key claim network 2>&1); rc=$?
[ $rc = 1 ] && grep -q PERMISSION_DENIED <<<"$out" || fail "claim as guest: rc $rc: $out"
out=$(tcp --insecure devices 2>&1); rc=$?
[ $rc = 1 ] && grep -q UNAVAILABLE <<<"$out" || fail "plaintext client to a TLS port: rc $rc: $out"
set -e
tcp --tls-ca ca.pem --tls-cert ops.pem --tls-key ops.key claim network | grep -q '^claimed 000d3a6b' || fail "claim as ops"
tcp --tls-ca ca.pem --tls-cert ops.pem --tls-key ops.key release 000d3a6b-8c2f-4e1f-9b0a-6045bd7e1a20 >/dev/null || fail "release as ops"
stop

# Plaintext only when forced: reader only, and a warning in the log.
start --insecure-tcp
grep -q 'warning: serving PLAINTEXT TCP' vmbusd.log || fail "no warning for plaintext TCP"
tcp --insecure devices | grep -q network || fail "devices over plaintext TCP"
set +e
out=$(tcp --insecure claim network 2>&1); rc=$?
set -e
[ $rc = 1 ] && grep -q PERMISSION_DENIED <<<"$out" || fail "claim over plaintext TCP: rc $rc: $out"
stop
echo "tls_test: OK"
