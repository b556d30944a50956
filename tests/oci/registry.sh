#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/oci/registry.sh - the registries tests/unit/test_registry.c talks to.
#
#   registry.sh start DIR [OWNER]
#                           in DIR (an empty directory), make a test CA, a
#                           server and a client certificate, a token signing
#                           key, an htpasswd file, and start on 127.0.0.1
#                           (ports chosen by the kernel):
#       plain   docker-registry over HTTP, no authentication
#       basic   docker-registry over HTTPS (the test CA), htpasswd alice:secret
#       mtls    docker-registry over HTTPS that wants a client certificate
#       token   docker-registry over HTTP with token authentication, its realm
#               the issuer below (service "paude-test", issuer "paude-issuer")
#       issuer  tests/oci/token_issuer.py (alice:secret; refresh token
#               "refresh-alice" is alice)
#       fake    tests/oci/fake_registry.py (127.0.0.1, its CDN on 127.0.0.2)
#     then writes DIR/env (KEY=VALUE lines: *_PORT, FAKE_OTHER_PORT, CA, and
#     CERTS_D: a certs.d with the CA for basic and the CA plus the client
#     pair for mtls) and DIR/pids ("PID NAME" lines).  With OWNER (a pid),
#     a watchdog stops them all within a second of OWNER's end, so a test
#     runner that is killed leaves nothing running.
#   registry.sh stop DIR    stop the processes DIR/pids lists, and only those.
#
# Needs docker-registry, htpasswd (apache2-utils), openssl and python3
# (scripts/install-deps.sh).  Takes well under a second.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "registry.sh: $*" >&2
	exit 1
}

# started PID NAME: remember a process for stop.
started() {
	echo "$1 $2" >>"$D/pids"
}

# wait_file FILE: until FILE exists (5 s at most).
wait_file() {
	local _
	for _ in $(seq 250); do
		[ -s "$1" ] && return 0
		sleep 0.02
	done
	die "timed out waiting for $1"
}

# registry NAME: start docker-registry with DIR/NAME/config.yml; prints its port.
registry() {
	local log=$D/$1/log port _
	docker-registry serve "$D/$1/config.yml" </dev/null >"$log" 2>&1 &
	started $! docker-registry
	for _ in $(seq 250); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n 1)
		[ -n "$port" ] && { echo "$port"; return 0; }
		sleep 0.02
	done
	cat "$log" >&2
	die "registry $1 did not start"
}

# config NAME EXTRA-YAML: DIR/NAME/config.yml with the common part.
config() {
	mkdir -p "$D/$1/data"
	cat >"$D/$1/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $D/$1/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
  secret: paude-test-secret
$2
EOF
}

certs() {
	local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	cd "$D/pki"
	openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 2 \
		-subj /CN=paude-test-ca 2>/dev/null
	openssl req "${ec[@]}" -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
	openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
		-out server.crt -days 2 -extfile server.ext 2>/dev/null
	openssl req "${ec[@]}" -keyout client.key -out client.csr -subj /CN=paude-client 2>/dev/null
	printf 'extendedKeyUsage=clientAuth\n' >client.ext
	openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
		-out client.cert -days 2 -extfile client.ext 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -keyout token.key -out token.crt -days 2 \
		-subj /CN=paude-token 2>/dev/null
	htpasswd -Bbn alice secret >users.htpasswd 2>/dev/null
	cd - >/dev/null
}

start() {
	local plain basic mtls token issuer fake
	for t in docker-registry htpasswd openssl python3; do
		command -v "$t" >/dev/null || die "$t is not installed (scripts/install-deps.sh)"
	done
	mkdir -p "$D/pki"
	: >"$D/pids"
	certs
	local p=$D/pki
	tls="  tls:
    certificate: $p/server.crt
    key: $p/server.key"

	python3 "$here/token_issuer.py" --key "$p/token.key" --cert "$p/token.crt" \
		--issuer paude-issuer --port-file "$D/issuer.port" --log "$D/issuer.log" \
		--user alice:secret --refresh refresh-alice:alice </dev/null >"$D/issuer.out" 2>&1 &
	started $! token_issuer.py
	python3 "$here/fake_registry.py" --port-file "$D/fake.port" --log "$D/fake.log" \
		</dev/null >"$D/fake.out" 2>&1 &
	started $! fake_registry.py

	config plain ""
	plain=$(registry plain)
	config basic "$tls
auth:
  htpasswd:
    realm: paude-basic
    path: $p/users.htpasswd"
	basic=$(registry basic)
	config mtls "$tls
    clientcas:
      - $p/ca.crt"
	mtls=$(registry mtls)

	wait_file "$D/issuer.port"
	issuer=$(cat "$D/issuer.port")
	config token "auth:
  token:
    realm: http://127.0.0.1:$issuer/token
    service: paude-test
    issuer: paude-issuer
    rootcertbundle: $p/token.crt"
	token=$(registry token)

	wait_file "$D/fake.port"
	read -r fake fake_other <"$D/fake.port"

	mkdir -p "$D/certs.d/127.0.0.1:$basic" "$D/certs.d/127.0.0.1:$mtls"
	cp "$p/ca.crt" "$D/certs.d/127.0.0.1:$basic/ca.crt"
	cp "$p/ca.crt" "$p/client.cert" "$p/client.key" "$D/certs.d/127.0.0.1:$mtls/"
	cat >"$D/env.tmp" <<EOF
PLAIN_PORT=$plain
BASIC_PORT=$basic
MTLS_PORT=$mtls
TOKEN_PORT=$token
ISSUER_PORT=$issuer
FAKE_PORT=$fake
FAKE_OTHER_PORT=$fake_other
CA=$p/ca.crt
CERTS_D=$D/certs.d
ISSUER_LOG=$D/issuer.log
FAKE_LOG=$D/fake.log
EOF
	mv "$D/env.tmp" "$D/env"
	if [ -n "$owner" ]; then
		(
			while kill -0 "$owner" 2>/dev/null; do sleep 1; done
			stop
		) </dev/null >/dev/null 2>&1 &
		started $! registry.sh
	fi
}

stop() {
	local pid name i
	[ -f "$D/pids" ] || return 0
	while read -r pid name; do
		[ "$pid" = "$BASHPID" ] && continue # the watchdog, stopping the rest
		# only a process that is still the one started (its pid not reused)
		grep -qa -- "$name" "/proc/$pid/cmdline" 2>/dev/null || continue
		kill -TERM "$pid" 2>/dev/null || true
	done <"$D/pids"
	while read -r pid name; do
		[ "$pid" = "$BASHPID" ] && continue
		for i in $(seq 100); do
			grep -qa -- "$name" "/proc/$pid/cmdline" 2>/dev/null || break
			[ "$i" = 100 ] && kill -KILL "$pid" 2>/dev/null
			sleep 0.02
		done
	done <"$D/pids"
	rm -f "$D/pids"
}

[ $# = 2 ] || [ $# = 3 ] || die "usage: registry.sh start DIR [OWNER] | stop DIR"
D=$(cd "$2" && pwd)
owner=${3:-}
case $1 in
start) start ;;
stop) stop ;;
*) die "usage: registry.sh start DIR [OWNER] | stop DIR" ;;
esac
