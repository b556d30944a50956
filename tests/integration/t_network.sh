# The proxied network (docs/NETWORK.md): the sandbox's only way out is
# paude's allowlist proxy, its DNS server and its transparent listeners.
#
# Every test runs in the three modes: the gateway is built the same way
# rootless and as root, and `paude proxy` runs as the mode's user.
# Origins listen on the host's 127.0.0.1 at ports 181xx, one set per test
# (net_port_free fails a test whose port is taken rather than talk to a
# stranger), or, where a test needs ports 80/443 or a resolver of its own,
# in a private network namespace of the host (net_in_netns).  Servers are
# killed by their pids when the test exits (net_cleanup).

NET_PIDS=()

net_cleanup() {
	local p
	for p in "${NET_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${NET_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	NET_PIDS=()
}

# net_listening t|u PORT: something listens on PORT (TCP or UDP) in this netns.
net_listening() { [ -n "$(ss -Hln"$1" "sport = :$2" 2>/dev/null)" ]; }

net_port_free() {
	! net_listening "$1" "$2" || fail "port $2 ($1) is in use on this host: $(ss -Hln"$1"p "sport = :$2")"
}

# net_www DIR: a document root with index.html.
net_www() {
	mkdir -p "$1"
	echo "hello from the origin" >"$1/index.html"
}

# net_origin PORT DIR LOG: python's http.server for DIR on 127.0.0.1:PORT.
net_origin() {
	net_port_free t "$1"
	python3 -m http.server "$1" --bind 127.0.0.1 --directory "$2" >"$3" 2>&1 &
	NET_PIDS+=("$!")
	wait_until 10 "the origin on port $1" "net_listening t $1"
}

# net_origin_saw LOG PATH: the origin logged a request for PATH.
net_origin_saw() { grep -qF "\"GET $2 HTTP/1" "$1"; }

# net_certs DIR: a CA and a certificate for ok.test it signed.
net_certs() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=paude test CA" -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null ||
		fail "openssl: the test CA"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=ok.test" -keyout "$d/ok.key" -out "$d/ok.csr" 2>/dev/null ||
		fail "openssl: the request for ok.test"
	printf 'subjectAltName=DNS:ok.test\n' >"$d/ok.ext"
	openssl x509 -req -in "$d/ok.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/ok.ext" -out "$d/ok.pem" 2>/dev/null ||
		fail "openssl: the certificate for ok.test"
}

# net_tls_origin PORT CERTDIR LOG: openssl s_server (-www) on 127.0.0.1:PORT.
net_tls_origin() {
	net_port_free t "$1"
	openssl s_server -accept "127.0.0.1:$1" -cert "$2/ok.pem" -key "$2/ok.key" -www \
		</dev/null >"$3" 2>&1 &
	NET_PIDS+=("$!")
	wait_until 10 "the TLS origin on port $1" "net_listening t $1"
}

# net_section OUTPUT NAME: the lines after "== NAME" up to the next "== ",
# carriage returns removed.
net_section() {
	printf '%s\n' "$1" | tr -d '\r' | awk -v n="== $2" '$0 == n { on = 1; next } /^== / { on = 0 } on'
}

# net_body RESPONSE: what follows the head of an HTTP response, without
# pd-probe's "end ..." lines.
net_body() {
	printf '%s\n' "$1" | awk 'body && !/^end(-ms)? / { print } /^$/ { body = 1 }'
}

# net_ms TEXT KEY: the number of "KEY N" in pd-probe output.
net_ms() { printf '%s\n' "$1" | awk -v k="$2" '$1 == k { print $2; exit }'; }

# net_in_netns FUNCTION: FUNCTION in a new network namespace (lo up) and a
# private mount namespace of the host; only exported variables reach it.
net_in_netns() {
	unshare --net --mount --propagation private -- bash -c "$(declare -f)
		ip link set lo up || { echo 'net_in_netns: lo' >&2; exit 1; }
		set -e
		$1"
}

# net_tool: the path of a python helper (servers and load clients) written
# into $IT_DIR; its subcommands are at its end.
net_tool() {
	local f=$IT_DIR/net_tool.py
	cat >"$f" <<'EOF'
import asyncio, json, socket, struct, sys, threading, time

def echo(port):
    async def handle(r, w):
        try:
            while True:
                d = await r.read(65536)
                if not d:
                    break
                w.write(d)
                await w.drain()
        except Exception:
            pass
        finally:
            w.close()
    async def main():
        srv = await asyncio.start_server(handle, '127.0.0.1', port, backlog=4096)
        async with srv:
            await srv.serve_forever()
    asyncio.run(main())

def dnslog(port, path):
    """NXDOMAIN for every query; each question's "NAME TYPE" goes to path."""
    log = open(path, 'a', buffering=1)
    def answer(q):
        i, labels = 12, []
        while i < len(q) and q[i]:
            labels.append(q[i + 1:i + 1 + q[i]].decode('ascii', 'replace'))
            i += 1 + q[i]
        qtype = struct.unpack('!H', q[i + 1:i + 3])[0] if i + 3 <= len(q) else 0
        log.write('%s %d\n' % ('.'.join(labels).lower(), qtype))
        return q[:2] + struct.pack('!HHHHH', 0x8183, 1, 0, 0, 0) + q[12:i + 5]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(('127.0.0.1', port))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(('127.0.0.1', port))
    t.listen(16)
    def tcp():
        while True:
            c, _ = t.accept()
            try:
                c.settimeout(5)
                n = struct.unpack('!H', c.recv(2, socket.MSG_WAITALL))[0]
                a = answer(c.recv(n, socket.MSG_WAITALL))
                c.sendall(struct.pack('!H', len(a)) + a)
            except Exception:
                pass
            c.close()
    threading.Thread(target=tcp, daemon=True).start()
    while True:
        q, peer = u.recvfrom(4096)
        if len(q) >= 12:
            u.sendto(answer(q), peer)

def connect_tunnel(pport, target, timeout=10):
    s = socket.create_connection(('127.0.0.1', pport), timeout=timeout)
    s.sendall(('CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n' % (target, target)).encode())
    head = b''
    while not head.endswith(b'\r\n\r\n'):
        d = s.recv(1)
        if not d:
            break
        head += d
    return s, head.decode('latin-1').split('\r\n')[0]

def read_all(s, timeout):
    s.settimeout(timeout)
    data = b''
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return data, 'eof'
            data += d
    except socket.timeout:
        return data, 'timeout'
    except ConnectionResetError:
        return data, 'reset'

def many(pport, target, n):
    """n CONNECT tunnels open at once, then each echoes its own message."""
    state = {'up': 0, 'done': 0}
    async def main():
        all_up = asyncio.Event()
        async def one(i):
            try:
                r, w = await asyncio.open_connection('127.0.0.1', pport)
                w.write(('CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n' % (target, target)).encode())
                head = await r.readuntil(b'\r\n\r\n')
                if not head.startswith(b'HTTP/1.1 200 '):
                    raise Exception('tunnel %d: %r' % (i, head[:80]))
                state['up'] += 1
            finally:
                state['done'] += 1
                if state['done'] == n:
                    all_up.set()
            await all_up.wait()
            msg = ('tunnel %d;' % i).encode() * 50 + b'\n'
            w.write(msg)
            await w.drain()
            got = await r.readexactly(len(msg))
            if got != msg:
                raise Exception('tunnel %d: echoed %r' % (i, got[:40]))
            w.close()
            await w.wait_closed()
        res = await asyncio.wait_for(
            asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True), 90)
        errs = [r for r in res if r is not None]
        print('tunnels %d up %d echoed %d' % (n, state['up'], len(res) - len(errs)))
        for e in errs[:3]:
            print('error %r' % (e,))
    asyncio.run(main())

def get(pport, host, path, timeout=5):
    s = socket.create_connection(('127.0.0.1', pport), timeout=timeout)
    s.sendall(('GET http://%s%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' % (host, path, host)).encode())
    data, _ = read_all(s, timeout)
    s.close()
    return data.decode('latin-1').split('\r\n')[0]

def slow(pport, host):
    """A client that sends half a head and one that trickles a byte every
    half second must both be closed while others are served."""
    res = {}
    def half():
        s = socket.create_connection(('127.0.0.1', pport))
        s.sendall(('CONNECT %s HTTP/1.1\r\nHost: ' % host).encode())
        t0 = time.monotonic()
        data, end = read_all(s, 30)
        res['half'] = (time.monotonic() - t0, data.decode('latin-1').split('\r\n')[0], end)
    def trickle():
        s = socket.create_connection(('127.0.0.1', pport))
        t0 = time.monotonic()
        line = ('GET http://%s/ HTTP/1.1\r\nX-Pad: ' % host).encode() + b'a' * 200
        for b in line:
            try:
                s.send(bytes([b]))
            except OSError:
                break
            s.settimeout(0.5)
            try:
                d = s.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                d = b''
            data, end = read_all(s, 1)
            res['trickle'] = (time.monotonic() - t0, (d + data).decode('latin-1').split('\r\n')[0],
                              end if d else 'eof')
            return
        res['trickle'] = (time.monotonic() - t0, 'sent everything', 'open')
    ths = [threading.Thread(target=half), threading.Thread(target=trickle)]
    for th in ths:
        th.start()
    served = failed = 0
    t0 = time.monotonic()
    while any(th.is_alive() for th in ths) and time.monotonic() - t0 < 25:
        st = get(pport, host, '/index.html')
        if st.startswith('HTTP/1.1 200 '):
            served += 1
        else:
            failed += 1
            print('failed %r' % st)
        time.sleep(0.5)
    for th in ths:
        th.join(1)
    for k in ('half', 'trickle'):
        if k in res:
            print('%s closed after %.1f s: %s (%s)' % (k, res[k][0], res[k][1], res[k][2]))
        else:
            print('%s still open' % k)
    print('served %d failed %d' % (served, failed))

def maxconn(pport, target, n):
    held = []
    for i in range(n):
        s, st = connect_tunnel(pport, target)
        if not st.startswith('HTTP/1.1 200 '):
            print('tunnel %d: %s' % (i, st))
            return
        held.append(s)
    print('held %d' % len(held))
    s = socket.create_connection(('127.0.0.1', pport), timeout=5)
    data, end = read_all(s, 5)
    text = data.decode('latin-1')
    print('extra: %s (%s)' % (text.split('\r\n')[0], end))
    print('extra body: %s' % text.split('\r\n\r\n', 1)[-1])
    held.pop().close()
    for _ in range(100):
        s, st = connect_tunnel(pport, target)
        s.close()
        if st.startswith('HTTP/1.1 200 '):
            break
        time.sleep(0.05)
    print('after a close: %s' % st)

FIELDS = ['time', 'sandbox', 'kind', 'method', 'host', 'port', 'addr', 'rule', 'verdict',
          'reason', 'bytes_up', 'bytes_down', 'duration_ms']

def audit(path):
    """Each line as "kind method host port rule verdict"; "bad N: ..." for a
    line that is no JSON object with exactly the documented fields."""
    data = open(path, 'rb').read()
    if data and not data.endswith(b'\n'):
        print('bad: no newline at the end')
    for n, line in enumerate(data.split(b'\n')[:-1] if data else []):
        try:
            rec = json.loads(line)
        except ValueError as e:
            print('bad %d: %s: %r' % (n + 1, e, line[:100]))
            continue
        if list(rec) != FIELDS:
            print('bad %d: fields %s' % (n + 1, list(rec)))
            continue
        print(rec['kind'], rec['method'], rec['host'], rec['port'], rec['rule'], rec['verdict'])

def audit_check(path):
    """Counts: lines, bad lines, lines per sandbox."""
    per, bad, n = {}, 0, 0
    for line in open(path, 'rb'):
        n += 1
        try:
            rec = json.loads(line)
            assert line.endswith(b'\n') and list(rec) == FIELDS
            per[rec['sandbox']] = per.get(rec['sandbox'], 0) + 1
        except Exception:
            bad += 1
    print('lines %d bad %d' % (n, bad))
    for k in sorted(per):
        print('sandbox %d' % per[k])

def audit_fields(path, kind, verdict):
    """The first line of that kind and verdict, as JSON."""
    for line in open(path, 'rb'):
        rec = json.loads(line)
        if rec['kind'] == kind and rec['verdict'] == verdict:
            print(json.dumps(rec, sort_keys=True))
            return

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == 'echo':
    echo(int(args[0]))
elif cmd == 'dnslog':
    dnslog(int(args[0]), args[1])
elif cmd == 'many':
    many(int(args[0]), args[1], int(args[2]))
elif cmd == 'slow':
    slow(int(args[0]), args[1])
elif cmd == 'maxconn':
    maxconn(int(args[0]), args[1], int(args[2]))
elif cmd == 'audit':
    audit(args[0])
elif cmd == 'audit-check':
    audit_check(args[0])
elif cmd == 'audit-fields':
    audit_fields(args[0], args[1], args[2])
else:
    sys.exit('net_tool: unknown command ' + cmd)
EOF
	echo "$f"
}

# net_standalone PORT LOG ARGS...: `paude proxy --listen 127.0.0.1:PORT ARGS`
# as the mode's user, in the background (its pid in PROXY_PID, also killed
# by net_cleanup).
net_standalone() {
	local port=$1 log=$2
	shift 2
	net_port_free t "$port"
	pexec_prefix
	"${PEXEC[@]}" "$PAUDE" proxy --listen "127.0.0.1:$port" "$@" >"$log" 2>&1 &
	PROXY_PID=$!
	NET_PIDS+=("$PROXY_PID")
	wait_until 10 "paude proxy on port $port" "net_listening t $port"
}

# --- The sandbox's side of the gateway ---------------------------------------

t_pnet_sandbox_setup() {
	pcap -e HTTP_PROXY=http://mine.example:1 "$IMG" /bin/sh -c '
		echo "== addr"; ip -o addr show | awk "{ print \$2, \$3, \$4 }"
		echo "== route"; ip route
		echo "== route6"; ip -6 route
		echo "== resolv"; cat /etc/resolv.conf
		echo "== env"; env | grep -i "_proxy=" | sort
		echo "== sysctl"
		for f in all default lo eth0; do cat /proc/sys/net/ipv6/conf/$f/disable_ipv6; done
		pd-probe write /proc/sys/net/ipv6/conf/all/disable_ipv6
		pd-probe write /proc/sys/net/ipv6/conf/eth0/disable_ipv6
		echo "== admin"
		ip route add default via 10.0.2.2 2>/dev/null; echo "route add $?"
		ip addr add 10.0.2.200/24 dev eth0 2>/dev/null; echo "addr add $?"
		ip link set eth0 down 2>/dev/null; echo "link down $?"'
	status_is "$RC" 0 "($ERR)"
	eq "$(net_section "$OUT" addr)" "lo inet 127.0.0.1/8
eth0 inet 10.0.2.100/24" "the sandbox's addresses: no IPv6 address at all"
	eq "$(net_section "$OUT" route | sed 's/ *$//; s/  */ /g')" "10.0.2.0/24 dev eth0 scope link src 10.0.2.100
198.18.0.0/16 via 10.0.2.2 dev eth0" "the sandbox's routes: its /24 and the synthetic range, no default"
	eq "$(net_section "$OUT" route6)" "" "IPv6 routes"
	eq "$(net_section "$OUT" resolv | grep -v '^#')" "nameserver 10.0.2.2" "/etc/resolv.conf"
	eq "$(net_section "$OUT" env)" "HTTPS_PROXY=http://10.0.2.2:3128
HTTP_PROXY=http://mine.example:1
NO_PROXY=localhost,127.0.0.1
http_proxy=http://10.0.2.2:3128
https_proxy=http://10.0.2.2:3128
no_proxy=localhost,127.0.0.1" "proxy variables (-e HTTP_PROXY wins)"
	eq "$(net_section "$OUT" sysctl)" "1
1
1
1
write EROFS
write EROFS" "IPv6 off everywhere, and /proc/sys read-only"
	eq "$(net_section "$OUT" admin)" "route add 2
addr add 2
link down 2" "no CAP_NET_ADMIN: the command cannot add a route or an address"
	pcap --network none "$IMG" /bin/sh -c 'env | grep -ci "_proxy=" || true'
	eq "$OUT" 0 "--network none sets no proxy variables"
}

# --- 1. Through the forward proxy ------------------------------------------

t_pnet_proxy_http() {
	local s log a
	trap net_cleanup EXIT
	s=$(scratch)
	log=$s/origin.log
	net_www "$s/www"
	net_origin 18110 "$s/www" "$log"
	pcap --audit-log "$s/audit.jsonl" --resolve ok.test:127.0.0.1 --allowed-domains ok.test:18110 \
		"$IMG" /bin/sh -c '
		echo "== wget"; wget -q -O - http://ok.test:18110/index.html; echo "wget=$?"
		echo "== connect"
		pd-probe tcp 10.0.2.2 3128 "CONNECT ok.test:18110 HTTP/1.1\r\nHost: ok.test:18110\r\n\r\nGET /index.html?via=connect HTTP/1.0\r\n\r\n"
		echo "== denied"
		pd-probe tcp 10.0.2.2 3128 "GET http://denied.test/secret HTTP/1.1\r\nHost: denied.test\r\n\r\n"
		echo "== denied-connect"
		pd-probe tcp 10.0.2.2 3128 "CONNECT denied.test:443 HTTP/1.1\r\nHost: denied.test:443\r\n\r\n"
		echo "== port"
		pd-probe tcp 10.0.2.2 3128 "GET http://ok.test:18111/other-port HTTP/1.1\r\nHost: ok.test:18111\r\n\r\n"
		echo "== wget-denied"; wget -q -O - http://denied.test/wget 2>&1; echo "wget=$?"'
	status_is "$RC" 0 "($ERR)"
	eq "$(net_section "$OUT" wget)" "hello from the origin
wget=0" "wget through HTTP_PROXY"
	a=$(net_section "$OUT" connect)
	eq "$(printf '%s\n' "$a" | sed -n 3p)" "HTTP/1.1 200 Connection established" "CONNECT ($a)"
	contains "$a" "HTTP/1.0 200 OK" "the origin's answer through the tunnel"
	eq "$(net_body "$(printf '%s\n' "$a" | sed 1,4d)")" "hello from the origin" "the body through the tunnel"
	a=$(net_section "$OUT" denied)
	eq "$(printf '%s\n' "$a" | sed -n 3p)" "HTTP/1.1 403 Forbidden" "a denied name ($a)"
	eq "$(net_body "$a")" "paude: access to denied.test denied: denied.test is not in the allowlist.
To allow it: paude run --allowed-domains denied.test" "the 403's body"
	contains "$a" "Content-Length: 127" "the 403's length"
	eq "$(printf '%s\n' "$a" | tail -n 2 | head -n 1)" "end eof" "the proxy closes after a 403"
	a=$(net_section "$OUT" denied-connect)
	eq "$(printf '%s\n' "$a" | sed -n 3p)" "HTTP/1.1 403 Forbidden" "CONNECT to a denied name ($a)"
	contains "$a" "paude: access to denied.test denied: denied.test is not in the allowlist." "CONNECT's 403"
	a=$(net_section "$OUT" port)
	eq "$(printf '%s\n' "$a" | sed -n 3p)" "HTTP/1.1 403 Forbidden" "a port outside the policy ($a)"
	contains "$a" "paude: access to ok.test denied: port 18111 is not allowed for ok.test (allowed: 18110)." \
		"the port's 403"
	a=$(net_section "$OUT" wget-denied)
	contains "$a" "403 Forbidden" "busybox wget sees the 403"
	contains "$a" "wget=1" "busybox wget fails on the 403"
	net_origin_saw "$log" "/index.html" || fail "the origin saw no request: $(cat "$log")"
	net_origin_saw "$log" "/index.html?via=connect" || fail "the origin saw nothing through the tunnel: $(cat "$log")"
	eq "$(grep -c '"GET ' "$log")" 2 "requests that reached the origin ($(cat "$log"))"
	eq "$(errlines "$ERR")" "paude: 4 requests denied (denied.test ×3, ok.test); see $s/audit.jsonl" \
		"the denial summary"
}

# The fix a 403 offers must work: for a port other than 80 and 443, an entry
# without the port would not allow it (docs/NETWORK.md: an entry without a
# port allows 80 and 443).
t_pnet_denial_hint_names_port() {
	pcap --resolve ok.test:127.0.0.1 --allowed-domains ok.test:18112 --audit-log "$(scratch)/audit.jsonl" "$IMG" /bin/sh -c '
		echo "== port"
		pd-probe tcp 10.0.2.2 3128 "GET http://ok.test:18113/ HTTP/1.1\r\nHost: ok.test:18113\r\n\r\n"
		echo "== name"
		pd-probe tcp 10.0.2.2 3128 "CONNECT denied.test:8443 HTTP/1.1\r\nHost: denied.test:8443\r\n\r\n"'
	status_is "$RC" 0 "($ERR)"
	eq "$(net_body "$(net_section "$OUT" port)" | tail -n 1)" "To allow it: paude run --allowed-domains ok.test:18113" \
		"the fix for a port outside the policy"
	eq "$(net_body "$(net_section "$OUT" name)" | tail -n 1)" "To allow it: paude run --allowed-domains denied.test:8443" \
		"the fix for a name on port 8443"
}

t_pnet_proxy_https() {
	local s out
	trap net_cleanup EXIT
	s=$(scratch)
	net_certs "$s/tls"
	chmod -R a+rX "$s/tls"
	net_tls_origin 18115 "$s/tls" "$s/tls-origin.log"
	pcap --audit-log "$s/audit.jsonl" --resolve ok.test:127.0.0.1 --allowed-domains ok.test:18115 \
		"$IMG" /bin/sh -c '
		echo "== right"; pd-probe tls-hello 10.0.2.2 3128 ok.test ok.test:18115
		echo "== denied"; pd-probe tls-hello 10.0.2.2 3128 ok.test denied.test:18115'
	status_is "$RC" 0 "($ERR)"
	eq "$(net_section "$OUT" right)" "proxy HTTP/1.1 200 Connection established
tls serverhello" "a TLS handshake through CONNECT reaches the origin"
	eq "$(net_section "$OUT" denied)" "proxy HTTP/1.1 403 Forbidden" "CONNECT to a denied name"
	# A whole verified TLS session, through `paude proxy` on the host.
	net_standalone 18116 "$s/proxy.log" --resolve ok.test:127.0.0.1 --allowed-domains ok.test:18115
	out=$(curl -sS --max-time 10 --proxy http://127.0.0.1:18116 --cacert "$s/tls/ca.pem" \
		https://ok.test:18115/ 2>&1) || fail "curl through paude proxy: $out"
	contains "$out" "s_server" "the origin's page over verified TLS"
}

# --- 2. The transparent path -------------------------------------------------

t_pnet_transparent() {
	local s log a
	trap net_cleanup EXIT
	s=$(scratch)
	log=$s/origin.log
	net_www "$s/www"
	net_origin 18120 "$s/www" "$log"
	pcap --audit-log "$s/audit.jsonl" --resolve ok.test:127.0.0.1 --allowed-domains ok.test:18120 \
		"$IMG" /bin/sh -c '
		echo "== nslookup"; nslookup ok.test 2>&1 | sed -n "s/^Address: \(198\.18\.\)/\1/p"
		a=$(nslookup ok.test 2>/dev/null | sed -n "s/^Address: \(198\.18\.[0-9.]*\)$/\1/p")
		echo "== wget"
		env -i PATH=/bin wget -q -O - http://ok.test:18120/index.html?via=transparent; echo "wget=$?"
		echo "== raw"
		pd-probe tcp "$a" 18120 "GET /index.html?via=raw HTTP/1.0\r\nHost: whatever\r\n\r\n"
		echo "== closed-port"; pd-probe tcp "$a" 18121
		echo "== proxy-port"; pd-probe tcp "$a" 3128
		echo "== never-given"; pd-probe tcp 198.18.250.250 18120 "GET /never HTTP/1.0\r\n\r\n"'
	status_is "$RC" 0 "($ERR)"
	a=$(net_section "$OUT" nslookup)
	printf '%s\n' "$a" | grep -qxE '198\.18\.[0-9]+\.[0-9]+' || fail "nslookup ok.test: [$a]"
	eq "$(net_section "$OUT" wget)" "hello from the origin
wget=0" "wget without proxy variables reaches the origin"
	a=$(net_section "$OUT" raw)
	contains "$a" "HTTP/1.0 200 OK" "a raw TCP connection to the synthetic address ($a)"
	eq "$(net_body "$a")" "hello from the origin" "its body"
	a=$(net_section "$OUT" closed-port)
	eq "$(printf '%s\n' "$a" | sed -n 1p)" "connect ECONNREFUSED" "a port not allowed"
	[ "$(net_ms "$a" connect-ms)" -lt 500 ] || fail "refused after $(net_ms "$a" connect-ms) ms"
	a=$(net_section "$OUT" proxy-port)
	eq "$(printf '%s\n' "$a" | sed -n 1p)" "connect ECONNREFUSED" "3128 of a synthetic address"
	# reset at once: before or after pd-probe saw the connection complete
	a=$(net_section "$OUT" never-given | grep -E '^(connect|end) ')
	case $a in "connect ECONNRESET" | "connect ok"*"end ECONNRESET") ;;
	*) fail "an address DNS never gave out: not reset: [$a]" ;; esac
	net_origin_saw "$log" "/index.html?via=transparent" || fail "wget: $(cat "$log")"
	net_origin_saw "$log" "/index.html?via=raw" || fail "raw: $(cat "$log")"
	eq "$(grep -c '"GET ' "$log")" 2 "requests that reached the origin ($(cat "$log"))"
}

# Ports 80 and 443 check the Host / SNI against the name the address stands
# for.  The origins listen on 80 and 443 of a private netns of the host, the
# one paude (and so its upstream connections) runs in.
net_transparent_host_sni() {
	trap net_cleanup EXIT
	local log=$S/origin.log a
	net_www "$S/www"
	net_origin 80 "$S/www" "$log"
	net_tls_origin 443 "$S/tls" "$S/tls.log"
	pcap --audit-log "$S/audit.jsonl" --resolve ok.test:127.0.0.1 --resolve other.test:127.0.0.1 \
		--allowed-domains ok.test --allowed-domains other.test "$IMG" /bin/sh -c '
		a=$(nslookup ok.test 2>/dev/null | sed -n "s/^Address: \(198\.18\.[0-9.]*\)$/\1/p")
		echo "== host-ok"; pd-probe tcp "$a" 80 "GET /right HTTP/1.1\r\nHost: ok.test\r\nConnection: close\r\n\r\n"
		echo "== host-other"; pd-probe tcp "$a" 80 "GET /mismatch HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n"
		echo "== sni-ok"; pd-probe tls-hello "$a" 443 ok.test
		echo "== sni-none"; pd-probe tls-hello "$a" 443 -
		echo "== sni-other"; pd-probe tls-hello "$a" 443 other.test
		echo "== wget"; env -i PATH=/bin wget -q -O - http://ok.test/index.html; echo "wget=$?"'
	status_is "$RC" 0 "($ERR)"
	a=$(net_section "$OUT" host-ok)
	contains "$a" "HTTP/1.0 404 File not found" "Host matches: the origin answers ($a)"
	a=$(net_section "$OUT" host-other)
	eq "$(printf '%s\n' "$a" | sed -n 3p)" "HTTP/1.1 403 Forbidden" "Host names another (allowed) name ($a)"
	contains "$a" "it asked for other.test at the address of ok.test" "the reason"
	eq "$(net_section "$OUT" sni-ok)" "tls serverhello" "SNI matches"
	eq "$(net_section "$OUT" sni-none)" "tls serverhello" "no SNI: the dialled name decides"
	eq "$(net_section "$OUT" sni-other)" "tls ECONNRESET" "SNI names another name"
	eq "$(net_section "$OUT" wget)" "hello from the origin
wget=0" "wget http://ok.test/ without proxy variables"
	net_origin_saw "$log" /right || fail "the origin missed /right: $(cat "$log")"
	! net_origin_saw "$log" /mismatch || fail "a mismatching Host reached the origin: $(cat "$log")"
}
t_pnet_transparent_host_sni() {
	S=$(scratch)
	export S
	net_certs "$S/tls"
	net_in_netns net_transparent_host_sni
}

# --- 3. DNS ---------------------------------------------------------------------

t_pnet_dns_answers() {
	local a b
	pcap --audit-log "$(scratch)/audit.jsonl" --resolve ok.test:127.0.0.1 --allowed-domains ok.test:18125 \
		--allowed-domains .wild.test "$IMG" /bin/sh -c '
		for q in "ok.test A" "OK.Test. A" "ok.test AAAA" "ok.test MX" "ok.test TXT" \
			"a.wild.test A" "b.c.wild.test A" "wild.test A" "denied.example A" \
			"denied.example AAAA" "evilok.test A" "ok.test.evil.test A" "notwild.test A"; do
			echo "== $q"; pd-probe dns 10.0.2.2 $q
		done
		pd-probe udp 10.0.2.2 53 >/dev/null  # one byte of junk first
		echo "== tcp"; pd-probe dns tcp:10.0.2.2 ok.test A
		echo "== tcp-denied"; pd-probe dns tcp:10.0.2.2 denied.example A
		echo "== nslookup"; nslookup ok.test 2>&1; echo "nslookup=$?"
		echo "== nslookup-denied"; nslookup denied.example 2>&1; echo "nslookup=$?"'
	status_is "$RC" 0 "($ERR)"
	a=$(net_section "$OUT" "ok.test A")
	printf '%s\n' "$a" | sed -n 3p | grep -qxE 'A 198\.18\.[0-9]+\.[0-9]+' || fail "ok.test A: [$a]"
	eq "$(printf '%s\n' "$a" | sed -n 1,2p)" "rcode NOERROR
answers 1" "ok.test A"
	eq "$(net_section "$OUT" "OK.Test. A")" "$a" "the same name in another spelling, the same address"
	eq "$(net_section "$OUT" tcp)" "$a" "the same answer over TCP"
	for q in "ok.test AAAA" "ok.test MX" "ok.test TXT"; do
		eq "$(net_section "$OUT" "$q")" "rcode NOERROR
answers 0" "$q: an allowed name, no records"
	done
	b=$(net_section "$OUT" "a.wild.test A")
	printf '%s\n' "$b" | grep -qxE 'A 198\.18\.[0-9]+\.[0-9]+' || fail "a.wild.test: [$b]"
	[ "$b" != "$a" ] || fail "two names got the same synthetic address: $a"
	contains "$(net_section "$OUT" "b.c.wild.test A")" "A 198.18." "a deeper subdomain of .wild.test"
	contains "$(net_section "$OUT" "wild.test A")" "A 198.18." ".wild.test covers wild.test"
	for q in "denied.example A" "denied.example AAAA" "evilok.test A" "ok.test.evil.test A" "notwild.test A"; do
		eq "$(net_section "$OUT" "$q")" "rcode NXDOMAIN
answers 0" "$q"
	done
	eq "$(net_section "$OUT" tcp-denied)" "rcode NXDOMAIN
answers 0" "a denied name over TCP"
	a=$(net_section "$OUT" nslookup)
	contains "$a" "Name:	ok.test" "nslookup ok.test ($a)"
	printf '%s\n' "$a" | grep -qxE 'Address: 198\.18\.[0-9]+\.[0-9]+' || fail "nslookup ok.test: [$a]"
	not_contains "$a" "Address: 127.0.0.1" "the pinned address leaks into DNS"
	a=$(net_section "$OUT" nslookup-denied)
	contains "$a" "can't find denied.example: NXDOMAIN" "nslookup denied.example"
	contains "$a" "nslookup=1" "nslookup denied.example fails"
}

# No query for a denied name leaves the host: the host's resolver is a
# logger of the test's (127.0.0.1:53 of a private netns, named by a private
# /etc/resolv.conf); a name that is allowed but not pinned is resolved
# through it (the logger works), a denied one never.
net_dns_no_leak() {
	trap net_cleanup EXIT
	local a
	printf 'nameserver 127.0.0.1\n' >"$S/resolv.conf"
	mount --bind "$S/resolv.conf" /etc/resolv.conf
	: >"$S/queries.log"
	python3 "$NT" dnslog 53 "$S/queries.log" >"$S/dnslog.out" 2>&1 &
	NET_PIDS+=("$!")
	wait_until 10 "the DNS logger" "net_listening u 53 && net_listening t 53"
	pcap --audit-log "$S/audit.jsonl" --allowed-domains unpinned.test "$IMG" /bin/sh -c '
		nslookup denied.example >/dev/null 2>&1
		for t in A AAAA TXT MX ANY; do pd-probe dns 10.0.2.2 denied.example $t >/dev/null; done
		pd-probe dns tcp:10.0.2.2 denied.example A >/dev/null
		pd-probe tcp 10.0.2.2 3128 "GET http://denied.example/ HTTP/1.1\r\nHost: denied.example\r\n\r\n" >/dev/null
		pd-probe tcp 10.0.2.2 3128 "CONNECT denied.example:443 HTTP/1.1\r\nHost: denied.example:443\r\n\r\n" >/dev/null
		wget -q -O /dev/null http://sub.denied.example/ 2>/dev/null
		echo "== dns"; pd-probe dns 10.0.2.2 unpinned.test A | head -n 2
		echo "== proxy"
		pd-probe tcp 10.0.2.2 3128 "GET http://unpinned.test/ HTTP/1.1\r\nHost: unpinned.test\r\n\r\n" | sed -n 3p'
	status_is "$RC" 0 "($ERR)"
	eq "$(net_section "$OUT" dns)" "rcode NOERROR
answers 1" "paude's DNS answers the allowed name itself"
	a=$(net_section "$OUT" proxy)
	case $a in "HTTP/1.1 502 "* | "HTTP/1.1 504 "*) ;; *) fail "the unresolvable allowed name: [$a]" ;; esac
	grep -q '^unpinned\.test ' "$S/queries.log" ||
		fail "the proxy's lookup of unpinned.test did not reach the logger: $(cat "$S/queries.log" "$S/dnslog.out")"
	! grep -q 'denied\.example' "$S/queries.log" ||
		fail "a query for a denied name left the host: $(cat "$S/queries.log")"
}
t_pnet_dns_no_leak() {
	S=$(scratch)
	NT=$(net_tool)
	export S NT
	net_in_netns net_dns_no_leak
}

# --- 4. No direct way out ------------------------------------------------------

t_pnet_no_direct_egress() {
	local s a
	trap net_cleanup EXIT
	s=$(scratch)
	net_www "$s/www"
	net_origin 18130 "$s/www" "$s/origin.log"
	pcap --audit-log "$(scratch)/audit.jsonl" "$IMG" /bin/sh -c '
		echo "== loopback"
		pd-probe connect 127.0.0.1 18130
		env -i PATH=/bin wget -q -O - http://127.0.0.1:18130/ 2>/dev/null; echo "wget=$?"
		echo x | nc 127.0.0.1 18130 2>/dev/null; echo "nc=$?"
		echo "== out"
		pd-probe tcp 1.1.1.1 80; pd-probe tcp 8.8.8.8 53; pd-probe tcp 10.0.3.1 80
		pd-probe udp 8.8.8.8 53; pd-probe udp 1.1.1.1 443; pd-probe udp 10.0.2.2 5353
		echo "== icmp"
		pd-probe icmp 1.1.1.1; pd-probe icmp 10.0.2.2
		ping -c 1 1.1.1.1 >/dev/null 2>&1; echo "ping=$?"
		echo "== v6"
		pd-probe tcp ::1 80; pd-probe tcp 2606:4700:4700::1111 443; pd-probe tcp ::ffff:1.1.1.1 80
		pd-probe udp ::1 53; pd-probe udp 2001:4860:4860::8888 53
		echo "== gateway"
		pd-probe tcp 10.0.2.2 22; pd-probe tcp 10.0.2.2 18130; pd-probe tcp 10.0.2.1 80 2
		echo "== gateway-80"; pd-probe tcp 10.0.2.2 80 "GET / HTTP/1.0\r\nHost: ok.test\r\n\r\n"'
	status_is "$RC" 0 "($ERR)"
	eq "$(net_section "$OUT" loopback)" "connect ECONNREFUSED
wget=1
nc=1" "the host's 127.0.0.1 is not the sandbox's"
	eq "$(net_section "$OUT" out | grep -v '^connect-ms')" "connect ENETUNREACH
connect ENETUNREACH
connect ENETUNREACH
udp ENETUNREACH
udp ENETUNREACH
udp ok" "direct connections: no route (UDP to the gateway is sent, and dropped)"
	for a in $(net_section "$OUT" out | awk '$1 == "connect-ms" { print $2 }'); do
		[ "$a" -lt 200 ] || fail "ENETUNREACH took $a ms"
	done
	a=$(net_section "$OUT" icmp)
	printf '%s\n' "$a" | grep -q ' ok$' && fail "an ICMP echo was sent: $a"
	contains "$a" "ping=1" "ping"
	a=$(net_section "$OUT" v6 | grep -v '^connect-ms')
	printf '%s\n' "$a" | grep -qvE '^(connect|udp) (EADDRNOTAVAIL|ENETUNREACH)$' && fail "IPv6: $a"
	eq "$(count_lines "$a")" 5 "five IPv6 attempts ($a)"
	a=$(net_section "$OUT" gateway | grep -v '^connect-ms')
	eq "$(printf '%s\n' "$a" | sed -n 1,2p)" "connect ECONNREFUSED
connect ECONNREFUSED" "the gateway's other ports"
	# no neighbour answers for another address of the /24
	printf '%s\n' "$a" | sed -n 3p | grep -qxE 'connect (EHOSTUNREACH|ETIMEDOUT)' ||
		fail "another address of the /24: [$a]"
	a=$(net_section "$OUT" gateway-80)
	eq "$(printf '%s\n' "$a" | sed -n 3p)" "HTTP/1.1 403 Forbidden" "the gateway's own address on port 80 ($a)"
	eq "$(grep -c '"GET ' "$s/origin.log")" 0 "requests that reached the host's origin"
}

# --- 5. Policy and HTTP edges through the proxy ----------------------------

t_pnet_policy_edges() {
	local s log t a
	trap net_cleanup EXIT
	s=$(scratch)
	log=$s/origin.log
	net_www "$s/www"
	net_origin 18140 "$s/www" "$log"
	# localhost: allowed by name, not pinned: the host's /etc/hosts says
	# 127.0.0.1, which the proxy refuses.
	pcap --audit-log "$s/audit.jsonl" --resolve ok.test:127.0.0.1 --allowed-domains ok.test:18140 \
		--allowed-domains localhost:18140 "$IMG" /bin/sh -c '
		n=0
		for t in evilok.test ok.test.evil.test xok.test ok.test.. 2130706433 0x7f.1 0177.0.0.1 127.1 \
			0x7f000001 127.0.0.1 [::ffff:127.0.0.1] [::1] [::ffff:7f00:1] localhost \
			169.254.169.254 10.0.2.2 10.0.2.100 198.18.0.1 0.0.0.0 [::]; do
			n=$((n + 1))
			echo "== GET $t"
			pd-probe tcp 10.0.2.2 3128 "GET http://$t:18140/edge$n HTTP/1.1\r\nHost: $t:18140\r\n\r\n" | sed -n "3p; /^paude: /p"
			echo "== CONNECT $t"
			pd-probe tcp 10.0.2.2 3128 "CONNECT $t:18140 HTTP/1.1\r\nHost: $t:18140\r\n\r\nGET /tunnel$n HTTP/1.0\r\n\r\n" | sed -n "3p; /^paude: /p"
		done'
	status_is "$RC" 0 "($ERR)"
	for t in evilok.test ok.test.evil.test xok.test; do
		for a in GET CONNECT; do
			eq "$(net_section "$OUT" "$a $t")" "HTTP/1.1 403 Forbidden
paude: access to $t denied: $t is not in the allowlist." "$a $t (ok.test is allowed)"
		done
	done
	for t in ok.test.. 2130706433 0x7f.1 0177.0.0.1 127.1 0x7f000001 127.0.0.1 "[::ffff:127.0.0.1]" "[::1]" \
		"[::ffff:7f00:1]" localhost 169.254.169.254 10.0.2.2 10.0.2.100 198.18.0.1 0.0.0.0 "[::]"; do
		for a in GET CONNECT; do
			case $(net_section "$OUT" "$a $t" | head -n 1) in
			"HTTP/1.1 403 Forbidden" | "HTTP/1.1 400 Bad Request") ;;
			*) fail "$a $t: $(net_section "$OUT" "$a $t")" ;;
			esac
		done
	done
	contains "$(net_section "$OUT" "GET localhost")" "paude: access to localhost denied: 127.0.0.1 is a loopback address." \
		"localhost, allowed but not pinned"
	contains "$(net_section "$OUT" "GET 2130706433")" "is a loopback address" "2130706433 is 127.0.0.1"
	eq "$(grep -c '"GET ' "$log")" 0 "requests that reached the origin ($(cat "$log"))"
}

t_pnet_http_strict() {
	local s log a v
	trap net_cleanup EXIT
	s=$(scratch)
	log=$s/origin.log
	net_www "$s/www"
	net_origin 18145 "$s/www" "$log"
	pcap --audit-log "$(scratch)/audit.jsonl" --resolve ok.test:127.0.0.1 --allowed-domains ok.test:18145 \
		"$IMG" /bin/sh -c '
		P="pd-probe tcp 10.0.2.2 3128"
		echo "== host"; $P "GET http://ok.test:18145/host HTTP/1.1\r\nHost: evil.test\r\n\r\n" | sed 1,2d
		echo "== clte"
		$P "POST http://ok.test:18145/clte HTTP/1.1\r\nHost: ok.test:18145\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" | sed 1,2d
		echo "== tecl"
		$P "POST http://ok.test:18145/tecl HTTP/1.1\r\nHost: ok.test:18145\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" | sed -n 3p
		echo "== pipelined"
		$P "GET http://ok.test:18145/p1 HTTP/1.1\r\nHost: ok.test:18145\r\n\r\nGET http://ok.test:18145/p2 HTTP/1.1\r\nHost: ok.test:18145\r\nConnection: close\r\n\r\n" | grep -E "^HTTP/|^end "
		echo "== smuggled"
		$P "GET http://ok.test:18145/s1 HTTP/1.1\r\nHost: ok.test:18145\r\n\r\nGET http://evil.test/s2 HTTP/1.1\r\nHost: evil.test\r\n\r\n" | grep -E "^HTTP/|^end "
		echo "== origin-form"; $P "GET /index.html HTTP/1.1\r\nHost: ok.test:18145\r\n\r\n" | sed -n 3p
		# Malformed requests, all at once, while a good client is served.
		i=0
		for r in "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n" \
			"GET http://ok.test:18145/lf HTTP/1.1\nHost: ok.test:18145\n\n" \
			"GET http://ok.test:18145/fold HTTP/1.1\r\nHost: ok.test:18145\r\nX: a\r\n b\r\n\r\n" \
			"GET http://ok.test:18145/nul HTTP/1.1\r\nHost: ok.test:18145\r\nX: a\0b\r\n\r\n" \
			"CONNECT ok.test HTTP/1.1\r\nHost: ok.test\r\n\r\n" \
			"GET http://ok.test:18145/cl HTTP/1.1\r\nHost: ok.test:18145\r\nContent-Length: -1\r\n\r\n" \
			"GET http://user@ok.test:18145/ui HTTP/1.1\r\nHost: ok.test:18145\r\n\r\n" \
			"GET http://ok.test:18145/v HTTP/2.0\r\nHost: ok.test:18145\r\n\r\n" \
			"GET ftp://ok.test:18145/ftp HTTP/1.1\r\nHost: ok.test:18145\r\n\r\n"; do
			i=$((i + 1))
			$P "$r" 8 >/tmp/bad$i &
		done
		echo "== good"; $P "GET http://ok.test:18145/index.html HTTP/1.1\r\nHost: ok.test:18145\r\nConnection: close\r\n\r\n" | sed -n "3p; /^end /p"
		wait
		j=0
		while [ $j -lt $i ]; do
			j=$((j + 1))
			echo "== bad$j"; sed -n "3p; /^end/p" /tmp/bad$j
		done'
	status_is "$RC" 0 "($ERR)"
	a=$(net_section "$OUT" host)
	eq "$(printf '%s\n' "$a" | head -n 1)" "HTTP/1.1 400 Bad Request" "Host disagrees with the URI ($a)"
	eq "$(net_body "$a")" "paude: bad request: Host header does not match the request target" "its body"
	a=$(net_section "$OUT" clte)
	eq "$(printf '%s\n' "$a" | head -n 1)" "HTTP/1.1 400 Bad Request" "Content-Length and Transfer-Encoding ($a)"
	eq "$(net_body "$a")" "paude: bad request: both Content-Length and Transfer-Encoding" "its body"
	eq "$(net_section "$OUT" tecl)" "HTTP/1.1 400 Bad Request" "Transfer-Encoding and Content-Length"
	# Pipelined requests (keep-alive): each is decided and answered on its
	# own, in order, in the proxy's own HTTP version; the one that says
	# "Connection: close" ends the connection.
	a=$(net_section "$OUT" pipelined)
	eq "$a" "HTTP/1.1 404 File not found
HTTP/1.1 404 File not found
end eof" "two pipelined requests"
	net_origin_saw "$log" /p1 || fail "the origin missed /p1: $(cat "$log")"
	net_origin_saw "$log" /p2 || fail "the origin missed /p2: $(cat "$log")"
	# A second request for a name the allowlist lacks is never passed on
	# behind the policy's back: it gets its own 403.
	a=$(net_section "$OUT" smuggled)
	eq "$a" "HTTP/1.1 404 File not found
HTTP/1.1 403 Forbidden
end eof" "a pipelined request for a denied name"
	net_origin_saw "$log" /s1 || fail "the origin missed /s1: $(cat "$log")"
	! net_origin_saw "$log" /s2 || fail "a request for evil.test reached ok.test's origin: $(cat "$log")"
	eq "$(net_section "$OUT" origin-form)" "HTTP/1.1 400 Bad Request" "an origin-form request to the proxy"
	eq "$(net_section "$OUT" good)" "HTTP/1.1 200 OK
end eof" "a good client while malformed ones wait"
	for v in $(seq 1 9); do
		a=$(net_section "$OUT" "bad$v")
		printf '%s\n' "$a" | head -n 1 | grep -qE '^HTTP/1\.1 (4[0-9][0-9]|501|505) ' ||
			fail "malformed request $v: no 4xx: [$a]"
		eq "$(printf '%s\n' "$a" | sed -n 2p)" "end eof" "malformed request $v is closed"
		[ "$(net_ms "$a" end-ms)" -lt 3000 ] || fail "malformed request $v answered after $(net_ms "$a" end-ms) ms"
	done
	for v in /host /clte /tecl /lf /fold /nul /cl /ui /v /ftp; do
		! net_origin_saw "$log" "$v" || fail "$v reached the origin: $(cat "$log")"
	done
}

# --- 6. `paude proxy` under load ---------------------------------------------

t_pnet_standalone_many_tunnels() {
	local s nt out
	trap net_cleanup EXIT
	s=$(scratch)
	nt=$(net_tool)
	ulimit -n 16384
	net_port_free t 18151
	python3 "$nt" echo 18151 >"$s/echo.log" 2>&1 &
	NET_PIDS+=("$!")
	wait_until 10 "the echo server" "net_listening t 18151"
	net_standalone 18150 "$s/proxy.log" --resolve echo.test:127.0.0.1 --allowed-domains echo.test:18151 \
		--audit-log "$s/audit.jsonl"
	out=$(timeout 100 python3 "$nt" many 18150 echo.test:18151 1000 2>&1) || fail "the client: $out"
	eq "$out" "tunnels 1000 up 1000 echoed 1000" "1000 concurrent tunnels"
	wait_until 10 "1000 audit lines" '[ "$(grep -c "\"kind\":\"connect\".*\"verdict\":\"allow\"" "$s/audit.jsonl")" = 1000 ]'
	kill -TERM "$PROXY_PID"
	wait "$PROXY_PID" || fail "paude proxy exited with $? ($(tail -n 3 "$s/proxy.log"))"
}

# it-timeout: 60
t_pnet_standalone_slow_client() {
	local s nt out
	trap net_cleanup EXIT
	s=$(scratch)
	nt=$(net_tool)
	net_www "$s/www"
	net_origin 18153 "$s/www" "$s/origin.log"
	net_standalone 18152 "$s/proxy.log" --resolve ok.test:127.0.0.1 --allowed-domains ok.test:18153
	out=$(timeout 40 python3 "$nt" slow 18152 ok.test:18153 2>&1) || fail "the client: $out"
	printf '%s\n' "$out" | grep -qE '^half closed after (9\.[5-9]|1[01]\.[0-9]) s: HTTP/1\.1 408 Request Timeout \(eof\)$' ||
		fail "half a head: $out"
	printf '%s\n' "$out" | grep -qE '^trickle closed after (9\.[5-9]|1[01]\.[0-9]) s: HTTP/1\.1 408 Request Timeout \(eof\)$' ||
		fail "a head trickled in byte by byte: $out"
	printf '%s\n' "$out" | grep -qE '^served ([5-9]|[1-9][0-9]) failed 0$' || fail "others served meanwhile: $out"
}

t_pnet_standalone_max_connections() {
	local s nt out
	trap net_cleanup EXIT
	s=$(scratch)
	nt=$(net_tool)
	net_port_free t 18155
	python3 "$nt" echo 18155 >"$s/echo.log" 2>&1 &
	NET_PIDS+=("$!")
	wait_until 10 "the echo server" "net_listening t 18155"
	net_standalone 18154 "$s/proxy.log" --resolve ok.test:127.0.0.1 --allowed-domains ok.test:18155 \
		--max-connections 5
	out=$(timeout 30 python3 "$nt" maxconn 18154 ok.test:18155 5 2>&1) || fail "the client: $out"
	eq "$out" "held 5
extra: HTTP/1.1 503 Service Unavailable (eof)
extra body: paude: the proxy's connection table is full
after a close: HTTP/1.1 200 Connection established" "--max-connections 5"
}

t_pnet_standalone_sigterm() {
	local s out rc=0
	trap net_cleanup EXIT
	s=$(scratch)
	net_www "$s/www"
	net_origin 18157 "$s/www" "$s/origin.log"
	net_standalone 18156 "$s/proxy.log" --resolve ok.test:127.0.0.1 --allowed-domains ok.test:18157
	out=$(curl -sS --max-time 10 --noproxy '' --proxy http://127.0.0.1:18156 http://ok.test:18157/index.html 2>&1) ||
		fail "curl: $out"
	eq "$out" "hello from the origin" "a request through paude proxy"
	# an idle client and an open tunnel do not keep it from stopping
	exec 7<>/dev/tcp/127.0.0.1/18156
	exec 8<>/dev/tcp/127.0.0.1/18156
	printf 'CONNECT ok.test:18157 HTTP/1.1\r\nHost: ok.test:18157\r\n\r\n' >&8
	read -r -t 5 out <&8 || fail "no answer to CONNECT"
	eq "$out" "$(printf 'HTTP/1.1 200 Connection established\r')" "the tunnel"
	kill -TERM "$PROXY_PID"
	wait_until 5 "paude proxy to stop" '! kill -0 "$PROXY_PID" 2>/dev/null || [ -n "$(ps -o stat= -p "$PROXY_PID" | grep Z)" ]'
	wait "$PROXY_PID" || rc=$?
	exec 7>&- 8>&-
	status_is "$rc" 0 "paude proxy after SIGTERM ($(cat "$s/proxy.log"))"
	! net_listening t 18156 || fail "the port is still open after SIGTERM"
	# its audit lines went to stderr
	out=$(grep '"kind":"http"' "$s/proxy.log" | head -n 1)
	contains "$out" '"sandbox":"proxy","kind":"http","method":"GET","host":"ok.test","port":18157,"addr":"127.0.0.1","rule":"ok.test:18157","verdict":"allow"' \
		"an audit line on stderr"
}

# --- 7. Audit -----------------------------------------------------------------

t_pnet_audit_lines() {
	local s log f a
	trap net_cleanup EXIT
	s=$(scratch)
	log=$s/origin.log
	net_www "$s/www"
	net_origin 18160 "$s/www" "$log"
	f=$s/audit.jsonl
	pcap --audit-log "$f" --resolve ok.test:127.0.0.1 --allowed-domains ok.test:18160 "$IMG" /bin/sh -c '
		hostname
		wget -q -O /dev/null http://ok.test:18160/index.html
		pd-probe tcp 10.0.2.2 3128 "CONNECT ok.test:18160 HTTP/1.1\r\nHost: ok.test:18160\r\n\r\nGET / HTTP/1.0\r\n\r\n" >/dev/null
		pd-probe tcp 10.0.2.2 3128 "GET http://denied.test/ HTTP/1.1\r\nHost: denied.test\r\n\r\n" >/dev/null
		pd-probe tcp 10.0.2.2 3128 "CONNECT ok.test:18161 HTTP/1.1\r\nHost: ok.test:18161\r\n\r\n" >/dev/null
		a=$(pd-probe dns 10.0.2.2 ok.test A | sed -n "s/^A //p")
		pd-probe dns 10.0.2.2 denied.test A >/dev/null
		pd-probe tcp "$a" 18160 "GET / HTTP/1.0\r\nHost: ok.test\r\n\r\n" >/dev/null'
	status_is "$RC" 0 "($ERR)"
	eq "$(stat -c %a "$f")" 600 "the audit log's mode"
	# (sorted: an allowed connection is recorded when it ends)
	eq "$(python3 "$(net_tool)" audit "$f" | sort)" "connect CONNECT ok.test 18160 ok.test:18160 allow
connect CONNECT ok.test 18161 None deny
dns A denied.test 0 None deny
dns A ok.test 0 ok.test:18160 allow
http GET denied.test 80 None deny
http GET ok.test 18160 ok.test:18160 allow
transparent None ok.test 18160 ok.test:18160 allow" "the audit lines (kind method host port rule verdict)"
	a=$(python3 "$(net_tool)" audit-fields "$f" http allow)
	contains "$a" "\"sandbox\": \"$OUT\"" "the sandbox is named by its hostname"
	contains "$a" '"addr": "127.0.0.1"' "the address connected"
	contains "$a" '"reason": null' "no reason for an allowed request"
	printf '%s\n' "$a" | grep -qE '"bytes_down": [1-9][0-9]*,' || fail "bytes down: $a"
	printf '%s\n' "$a" | grep -qE '"time": "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9:.]+Z"' || fail "time: $a"
	a=$(python3 "$(net_tool)" audit-fields "$f" connect deny)
	contains "$a" '"reason": "port 18161 is not allowed for ok.test (allowed: 18160)"' "a denial's reason"
	eq "$(errlines "$ERR")" "paude: 3 requests denied (denied.test ×2, ok.test); see $f" "the denial summary"
	# Nothing denied: nothing said.
	pcap --audit-log "$f" --resolve ok.test:127.0.0.1 --allowed-domains ok.test:18160 "$IMG" \
		wget -q -O /dev/null http://ok.test:18160/index.html
	status_is "$RC" 0 "($ERR)"
	eq "$(errlines "$ERR")" "" "no summary when nothing was denied"
}

# Without --audit-log: ~/.local/state/paude/audit.jsonl rootless (or
# $XDG_STATE_HOME/paude/), /var/lib/paude/audit.jsonl as root, each seen
# in a private host (a tmpfs home; a tmpfs on /var/lib as root).
net_audit_default_path() {
	local f
	if [ "$MODE" = root ]; then
		mount -t tmpfs -o mode=755 it-varlib /var/lib
		f=/var/lib/paude/audit.jsonl
	else
		f=/home/$RUNUSER/.local/state/paude/audit.jsonl
	fi
	pcap "$IMG" pd-probe dns 10.0.2.2 denied.test A
	status_is "$RC" 0 "($ERR)"
	eq "$(errlines "$ERR")" "paude: 1 request denied (denied.test); see $f" "the summary names the default log"
	[ -f "$f" ] || fail "no $f"
	eq "$(stat -c %a "$f")" 600 "$f's mode"
	eq "$(grep -c '"host":"denied.test"' "$f")" 1 "the denial in $f"
	[ "$MODE" != root ] || return 0
	local x=/home/$RUNUSER/xdg
	pexec mkdir "$x"
	PEXEC_ENV="XDG_STATE_HOME=$x" pcap "$IMG" pd-probe dns 10.0.2.2 denied.test A
	eq "$(errlines "$ERR")" "paude: 1 request denied (denied.test); see $x/paude/audit.jsonl" "with XDG_STATE_HOME"
	eq "$(stat -c %a "$x/paude/audit.jsonl")" 600 "its mode"
}
t_pnet_audit_default_path() { in_private_host net_audit_default_path; }

t_pnet_audit_concurrent() {
	local s f name1 name2 o1 o2 p1 p2 out
	s=$(scratch)
	f=$s/audit.jsonl
	# long names make long lines: 4 labels of 60 characters
	name1=$(printf 'a%.0s' $(seq 60)).$(printf 'b%.0s' $(seq 60)).$(printf 'c%.0s' $(seq 60)).$(printf 'd%.0s' $(seq 60)).one.test
	name2=${name1%.one.test}.two.test
	o1=$s/run1.out
	o2=$s/run2.out
	pbg "$o1" --audit-log "$f" "$IMG" pd-probe dns 10.0.2.2 "$name1" A 400
	p1=$BG_PID
	pbg "$o2" --audit-log "$f" "$IMG" pd-probe dns 10.0.2.2 "$name2" A 400
	p2=$BG_PID
	wait "$p1" || fail "run 1: $(cat "$o1")"
	wait "$p2" || fail "run 2: $(cat "$o2")"
	contains "$(cat "$o1")" "answered 400 of 400" "run 1"
	contains "$(cat "$o2")" "answered 400 of 400" "run 2"
	out=$(python3 "$(net_tool)" audit-check "$f")
	eq "$out" "lines 800 bad 0
sandbox 400
sandbox 400" "two runs' lines in one log"
	eq "$(grep -c "\"host\":\"$name1\"" "$f")" 400 "run 1's lines"
}

# --- 8. Nothing changes in the host's network ---------------------------------

net_host_state() {
	echo "links:"
	ip -o link | sed 's/^[0-9]*: //'
	echo "addresses:"
	ip -o addr | sed 's/^[0-9]*: //'
	echo "routes:"
	ip route
	ip -6 route
	echo "rules:"
	ip rule
	if command -v nft >/dev/null; then
		echo "nft:"
		nft list ruleset
	fi
	echo "sysctl:"
	sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv6.conf.all.disable_ipv6
}

t_pnet_host_unchanged() {
	local s before during after out
	trap net_cleanup EXIT
	s=$(scratch)
	net_www "$s/www"
	net_origin 18170 "$s/www" "$s/origin.log"
	before=$(net_host_state)
	out=$s/run.out
	pbg "$out" --audit-log "$(scratch)/audit.jsonl" -v "$s:/x" --resolve ok.test:127.0.0.1 --allowed-domains ok.test:18170 \
		"$IMG" /bin/sh -c '
		wget -q -O - http://ok.test:18170/index.html
		nslookup denied.test >/dev/null 2>&1
		echo ready
		until [ -e /x/go ]; do sleep 0.05; done'
	wait_for "$out" ready 20
	during=$(net_host_state)
	# paude's listening sockets are the gateway's: none in the host's netns
	ss -Hltunp | grep -F "pid=$BG_PID," && fail "paude listens in the host's network namespace"
	touch "$s/go"
	wait "$BG_PID" || fail "paude run: $(cat "$out")"
	contains "$(cat "$out")" "hello from the origin" "the run's fetch"
	after=$(net_host_state)
	[ "$before" = "$during" ] || fail "the host's network changed during a run: $(diff <(echo "$before") <(echo "$during") | grep '^[<>]')"
	[ "$before" = "$after" ] || fail "the host's network changed after a run: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]')"
	wait_until 5 "paude's processes to go" '[ -z "$(it_pgrep "^($IT_DIR/bin/paude|paude-init)( |\$)")" ]'
}
