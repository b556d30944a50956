#!/bin/bash
# make bench, the network part: paude's allowlist proxy against no proxy
# (direct), squid and tinyproxy, in one run, on loopback, against the same
# origin (tests/tools/pd-load: an epoll HTTP/1.1 server answering 1 KiB
# bodies, a sink and a source).  Figures are printed for a human; nothing is
# asserted.
#
#   1. throughput: BYTES (1 GiB) through one CONNECT tunnel, client->origin
#      (to a sink) and origin->client (from a source): MiB/s, paude/direct;
#      on loopback, and (as root) over a link of LINK_RATE: a veth pair to
#      a netns of its own where a second sink and source listen, with a tbf
#      qdisc at LINK_RATE on both ends, the way a proxy meets the network
#   2. request rate and latency of 1 KiB responses: keep-alive through one
#      CONNECT tunnel (sequential) and through CONC tunnels at once; plain
#      HTTP keep-alive (absolute-form GETs on one proxy connection, and on
#      CONC at once; a proxy that closes the connection costs an error and a
#      reconnect); a new proxied connection per request (absolute-form GET,
#      "Connection: close"), one at a time and CONC at a time: req/s, p50,
#      p99
#   3. PSS and RSS of each proxy (its processes) with TUNNELS idle tunnels
#   4. a fresh `paude run` sandbox: from its start to the first byte of a
#      plain HTTP GET through its proxy reaching the origin on the host's
#      127.0.0.1 (busybox wget, http_proxy as paude sets it), and
#      `paude run --network none /bin/true` beside `paude run /bin/true`
#
# The standalone proxies: `paude proxy` (audit lines to a file), squid (-N,
# no cache, access log to a file) and tinyproxy (-d, log to a file), each on
# a free loopback port with a minimal config in a temp dir.  As root, squid
# and tinyproxy are installed when missing (and their services stopped and
# disabled if the install started them); a peer that cannot be had is
# "skipped".  Every process started here is stopped on exit and the temp dir
# removed.  Runs of the peers are interleaved; medians of REPS runs.
#
# As root the bench runs in a network namespace of its own (unshare -n; the
# packages it needs are installed first): the link of section 1 and every
# listener live there, and nothing is added to the host's network.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=$(cd "${BUILD:-$TOP/build}" && pwd)
PAUDE=$BUILD/paude
LOAD=$BUILD/tests/pd-load
BYTES=${BYTES:-1073741824} # throughput: bytes per tunnel
REPS=${REPS:-5}            # runs per peer of each throughput and rate test
SEQ=${SEQ:-10000}          # keep-alive requests on one tunnel / connection
CONC=${CONC:-16}           # tunnels / connections at once
CREQS=${CREQS:-40000}      # keep-alive requests over CONC tunnels / connections
NEW1=${NEW1:-3000}         # new-connection requests, one at a time
NEWC=${NEWC:-10000}        # new-connection requests, CONC at a time
TUNNELS=${TUNNELS:-100}    # idle tunnels for the memory figure
RUNS=${RUNS:-30}           # paude run timings (after 3-5 warm-up runs)
LINK_RATE=${LINK_RATE:-10gbit}       # the shaped link's rate (tc's units)
LINK_BYTES=${LINK_BYTES:-1073741824} # throughput over the link: bytes per tunnel

for f in "$PAUDE" "$LOAD"; do
	[ -x "$f" ] || { echo "bench/network.sh: $f missing (make BUILD=... all)" >&2; exit 1; }
done

# ---- what the bench needs, then (as root) a netns of its own ----

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# apt may start a package's service (not in containers with policy-rc.d):
# the bench's own instances run on their own ports, so stop and disable it.
stop_service() {
	if [ -d /run/systemd/system ]; then
		systemctl disable --now "$1" >/dev/null 2>&1 || true
	else
		service "$1" stop >/dev/null 2>&1 || true
		update-rc.d "$1" disable >/dev/null 2>&1 || true
	fi
}

static_busybox() {
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		if [ -x "$b" ] && file -L "$b" 2>/dev/null | grep -q 'statically linked'; then echo "$b"; return 0; fi
	done
	return 1
}

if [ "$(id -u)" = 0 ] && [ -z "${PD_BENCH_NETNS:-}" ]; then
	need=""
	for p in squid tinyproxy; do installed "$p" || need="$need $p"; done
	static_busybox >/dev/null || need="$need busybox-static"
	if [ -n "$need" ]; then
		echo "bench: installing$need"
		apt_log=$(mktemp /tmp/paude-netbench-apt.XXXXXX)
		# shellcheck disable=SC2086 # a list of package names
		if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >"$apt_log" 2>&1; then
			for p in $need; do [ "$p" = busybox-static ] || stop_service "$p"; done
		else
			tail -n 5 "$apt_log" >&2
		fi
		rm -f "$apt_log"
	fi
	if unshare -n true 2>/dev/null; then
		exec env PD_BENCH_NETNS=1 unshare -n -- "$0" "$@"
	fi
	echo "bench: unshare -n failed: the bench runs in the host's network namespace, without the link" >&2
fi
if [ -n "${PD_BENCH_NETNS:-}" ]; then
	ip link set lo up
fi

W=$(mktemp -d /tmp/paude-netbench.XXXXXX)
chmod 755 "$W"
# The proxies' logs (paude's audit, squid's access log, tinyproxy's log,
# which it fsyncs line by line) go to a tmpfs when there is one: the bench
# measures the proxies, not the disk.
LOGS=$W
if [ -d /dev/shm ] && [ -w /dev/shm ]; then LOGS=$(mktemp -d /dev/shm/paude-netbench.XXXXXX); fi
chmod 755 "$LOGS"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$W" "$LOGS"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- the peers ----


# One line of pd-load output -> the value of KEY.
field() { sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p" <<<" $1"; }

# Waits for a "listening ADDR:PORT" line in FILE; prints PORT.
listening() {
	local i
	for i in $(seq 1 100); do
		if grep -q '^listening ' "$1" 2>/dev/null; then
			sed -n 's/^listening [^:]*://p' "$1"
			return 0
		fi
		[ "$i" = 100 ] || sleep 0.05
	done
	echo "bench: no listener (${1##*/})" >&2
	return 1
}

start() {   # LOGNAME CMD...  (in the background, stopped on exit)
	local log=$1; shift
	"$@" >"$W/$log" 2>&1 &
	PIDS+=($!)
	LAST=$!
}

start http.out "$LOAD" serve-http 0
HP=$(listening "$W/http.out")
start sink.out "$LOAD" serve-sink 0
SP=$(listening "$W/sink.out")
start source.out "$LOAD" serve-source 0
RP=$(listening "$W/source.out")
HTTP=127.0.0.1:$HP
SINK=127.0.0.1:$SP
SOURCE=127.0.0.1:$RP

# The link: a veth pair to a netns held by a sleeping process, 198.18.0.1/30
# here and .2 there (the benchmarking range), a tbf qdisc at LINK_RATE on both
# ends (burst 4 MB, so a 10 Gbit/s rate is kept with the kernel's timer), a
# sink and a source there.  Only in the bench's own netns (as root).
LSINK=""
LSOURCE=""
link_note=""
setup_link() {
	local h i ns
	if [ -z "${PD_BENCH_NETNS:-}" ]; then
		link_note="skipped: needs root (a veth pair and qdiscs in a netns of the bench's own)"
		return 1
	fi
	unshare -n sleep infinity &
	h=$!
	PIDS+=("$h")
	ns=$(readlink /proc/self/ns/net)
	for i in $(seq 1 100); do
		[ "$(readlink "/proc/$h/ns/net" 2>/dev/null)" != "$ns" ] && break
		sleep 0.02
	done
	[ "$i" != 100 ] || { link_note="skipped: the link's netns did not appear"; return 1; }
	if ! { ip link add pdbench0 type veth peer name pdbench1 netns "$h" &&
		ip addr add 198.18.0.1/30 dev pdbench0 && ip link set pdbench0 up &&
		nsenter -t "$h" -n sh -c 'ip link set lo up && ip addr add 198.18.0.2/30 dev pdbench1 &&
			ip link set pdbench1 up' &&
		tc qdisc add dev pdbench0 root tbf rate "$LINK_RATE" burst 4mb latency 20ms &&
		nsenter -t "$h" -n tc qdisc add dev pdbench1 root tbf rate "$LINK_RATE" burst 4mb latency 20ms; } \
		>"$W/link.log" 2>&1; then
		link_note="skipped: the link could not be made: $(tail -n 1 "$W/link.log")"
		return 1
	fi
	start lsink.out nsenter -t "$h" -n "$LOAD" serve-sink 0 198.18.0.2
	LSINK=198.18.0.2:$(listening "$W/lsink.out")
	start lsource.out nsenter -t "$h" -n "$LOAD" serve-source 0 198.18.0.2
	LSOURCE=198.18.0.2:$(listening "$W/lsource.out")
}
setup_link || true

declare -A ADDR PID
PEERS=(direct)
ADDR[direct]=none
PROXIES=()
skipped=()

start_paude() {
	local port
	port=$("$LOAD" freeport)
	start paude.log "$PAUDE" proxy --listen "127.0.0.1:$port" --audit-log "$LOGS/paude-audit.jsonl" \
		--allowed-domains "$HTTP" --allowed-domains "$SINK" --allowed-domains "$SOURCE" \
		${LSINK:+--allowed-domains "$LSINK" --allowed-domains "$LSOURCE"}
	"$LOAD" wait-port "127.0.0.1:$port" 10 2>/dev/null || { tail -n 5 "$W/paude.log" >&2; return 1; }
	ADDR[paude]=127.0.0.1:$port
	PID[paude]=$LAST
}

start_squid() {
	local port d=$W/squid bin
	bin=$(PATH=/usr/sbin:/sbin:$PATH command -v squid) || { skipped+=("squid: not installed"); return 1; }
	port=$("$LOAD" freeport)
	mkdir -p "$d"
	# As root squid drops to its effective user (Debian: proxy): let it write here.
	if [ "$(id -u)" = 0 ] && id proxy >/dev/null 2>&1; then chown proxy: "$d" "$LOGS"; fi
	cat >"$d/squid.conf" <<EOF
http_port 127.0.0.1:$port
# localhost is built in; CONNECT to any port is allowed (no SSL_ports rule)
http_access allow localhost
http_access deny all
cache deny all
cache_mem 8 MB
access_log stdio:$LOGS/squid-access.log
cache_log $d/cache.log
cache_store_log none
pid_filename $d/squid.pid
coredump_dir $d
pinger_enable off
visible_hostname paude-bench
shutdown_lifetime 0 seconds
max_filedescriptors 8192
EOF
	start squid.out "$bin" -N -f "$d/squid.conf"
	if ! "$LOAD" wait-port "127.0.0.1:$port" 20 2>/dev/null; then
		skipped+=("squid: did not start ($(tail -n 1 "$d/cache.log" 2>/dev/null || tail -n 1 "$W/squid.out"))")
		return 1
	fi
	ADDR[squid]=127.0.0.1:$port
	PID[squid]=$LAST
}

start_tinyproxy() {
	local port d=$W/tinyproxy bin user=""
	bin=$(PATH=/usr/bin:/usr/sbin:$PATH command -v tinyproxy) || { skipped+=("tinyproxy: not installed"); return 1; }
	port=$("$LOAD" freeport)
	mkdir -p "$d"
	# Run as whoever runs the bench (tinyproxy would not change user unless told).
	[ "$(id -u)" = 0 ] && user="User root
Group root"
	cat >"$d/tinyproxy.conf" <<EOF
$user
Port $port
Listen 127.0.0.1
Timeout 600
LogFile "$LOGS/tinyproxy.log"
# a line per connection and request, like an access log
LogLevel Connect
PidFile "$d/tinyproxy.pid"
MaxClients 2048
Allow 127.0.0.1
# No ConnectPort line: CONNECT to any port is allowed.
EOF
	start tinyproxy.out "$bin" -d -c "$d/tinyproxy.conf"
	if ! "$LOAD" wait-port "127.0.0.1:$port" 10 2>/dev/null; then
		skipped+=("tinyproxy: did not start ($(tail -n 1 "$W/tinyproxy.out"))")
		return 1
	fi
	ADDR[tinyproxy]=127.0.0.1:$port
	PID[tinyproxy]=$LAST
}

for p in paude squid tinyproxy; do
	if "start_$p"; then PEERS+=("$p"); PROXIES+=("$p"); fi
done
[ -n "${ADDR[paude]:-}" ] || { echo "bench: paude proxy did not start" >&2; exit 1; }

# ---- measuring helpers ----

CLK_TCK=$(getconf CLK_TCK)
# PID and its descendants
tree() {
	local all=("$1") frontier=("$1") next p c
	while [ ${#frontier[@]} -gt 0 ]; do
		next=()
		for p in "${frontier[@]}"; do
			for c in $(ps -o pid= --ppid "$p"); do next+=("$c"); all+=("$c"); done
		done
		frontier=("${next[@]}")
	done
	echo "${all[@]}"
}
# CPU time (user + system, ms) of a peer's processes; 0 for direct.
cpu_ms() {
	local p t=0
	[ "$1" = direct ] && { echo 0; return; }
	for p in $(tree "${PID[$1]}"); do
		[ -r "/proc/$p/stat" ] || continue
		t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
	done
	echo $((t * 1000 / CLK_TCK))
}
# "PSS_kB RSS_kB NPROCS" of a peer's processes
mem_kb() {
	local p pss=0 rss=0 n=0
	for p in $(tree "${PID[$1]}"); do
		[ -r "/proc/$p/smaps_rollup" ] || continue
		pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")))
		rss=$((rss + $(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup")))
		n=$((n + 1))
	done
	echo "$pss $rss $n"
}
median() { sort -g | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print "-"}'; }
R=$W/res
mkdir -p "$R"
record() { echo "$3" >>"$R/$1.$2"; }   # TEST.PEER VALUE
med() { [ -f "$R/$1.$2" ] && median <"$R/$1.$2" || echo "-"; }
range() { [ -f "$R/$1.$2" ] && sort -g "$R/$1.$2" | awk 'NR == 1 {a = $1} {b = $1} END {printf "%.0f-%.0f", a, b}' || echo "-"; }
LOG=$W/load.log

# ---- 3. memory with idle tunnels (first, while the proxies are fresh) ----

echo "bench: network: peers: ${PEERS[*]}; origin http $HTTP, sink $SINK, source $SOURCE"
for p in "${PROXIES[@]}"; do
	read -r pss0 rss0 _ <<<"$(mem_kb "$p")"
	out=$W/idle-$p.out
	timeout 120 "$LOAD" idle --proxy "${ADDR[$p]}" --target "$HTTP" --tunnels "$TUNNELS" --hold 60 \
		>"$out" 2>>"$LOG" &
	ip=$!
	PIDS+=("$ip")
	for _ in $(seq 1 200); do grep -q ready "$out" && break; kill -0 "$ip" 2>/dev/null || break; sleep 0.05; done
	if grep -q ready "$out"; then
		sleep 0.3
		read -r pss rss n <<<"$(mem_kb "$p")"
		echo "$pss0 $rss0 $pss $rss $n" >"$R/mem.$p"
	else
		echo "bench: $p: $TUNNELS idle tunnels failed: $(tail -n 1 "$LOG")" >&2
	fi
	kill -TERM "$ip" 2>/dev/null || true
	wait "$ip" 2>/dev/null || true
done

# ---- 1. throughput ----

# tput_runs NAME SINK SOURCE BYTES: REPS runs each way through every peer
tput_runs() {
	local name=$1 sink=$2 source=$3 bytes=$4 dir tgt p c0 line
	for _ in $(seq 1 "$REPS"); do
		for dir in up down; do
			tgt=$sink
			[ $dir = down ] && tgt=$source
			for p in "${PEERS[@]}"; do
				c0=$(cpu_ms "$p")
				if line=$(timeout 300 "$LOAD" tput --proxy "${ADDR[$p]}" --target "$tgt" --bytes "$bytes" --dir $dir 2>>"$LOG"); then
					record "$name-$dir" "$p" "$(field "$line" mibps)"
					record "${name}cpu-$dir" "$p" $(($(cpu_ms "$p") - c0))
				else
					echo "bench: $name $dir via $p failed: $(tail -n 1 "$LOG")" >&2
				fi
			done
		done
	done
}
echo "bench: network: throughput, $REPS x $BYTES bytes each way per peer"
tput_runs tput "$SINK" "$SOURCE" "$BYTES"
if [ -n "$LSINK" ]; then
	echo "bench: network: throughput over a $LINK_RATE link, $REPS x $LINK_BYTES bytes each way per peer"
	tput_runs ltput "$LSINK" "$LSOURCE" "$LINK_BYTES"
fi

# ---- 2. request rate and latency ----

MODES=(ka1 kac hk1 hkc nc1 ncc)
declare -A MODEARGS MODENAME
MODEARGS[ka1]="--keepalive --concurrency 1 --requests $SEQ"
MODEARGS[kac]="--keepalive --concurrency $CONC --requests $CREQS"
MODEARGS[hk1]="--http-keepalive --concurrency 1 --requests $SEQ"
MODEARGS[hkc]="--http-keepalive --concurrency $CONC --requests $CREQS"
MODEARGS[nc1]="--new-conn --concurrency 1 --requests $NEW1"
MODEARGS[ncc]="--new-conn --concurrency $CONC --requests $NEWC"
MODENAME[ka1]="keep-alive, 1 tunnel"
MODENAME[kac]="keep-alive, $CONC tunnels"
MODENAME[hk1]="http keep-alive, 1 connection"
MODENAME[hkc]="http keep-alive, $CONC connections"
MODENAME[nc1]="new conn/request, 1 at a time"
MODENAME[ncc]="new conn/request, $CONC at a time"
echo "bench: network: request rate, $REPS runs per peer and mode"
for _ in $(seq 1 "$REPS"); do
	for m in "${MODES[@]}"; do
		for p in "${PEERS[@]}"; do
			c0=$(cpu_ms "$p")
			# shellcheck disable=SC2086 # MODEARGS holds options
			if line=$(timeout 300 "$LOAD" rps --proxy "${ADDR[$p]}" --target "$HTTP" ${MODEARGS[$m]} 2>>"$LOG"); then
				:
			else
				echo "bench: rps $m via $p: exit $?: $(tail -n 1 "$LOG")${line:+ ($line)}" >&2
				[ -n "$line" ] || continue
			fi
			record "rps-$m" "$p" "$(field "$line" rps)"
			record "p50-$m" "$p" "$(field "$line" p50_us)"
			record "p99-$m" "$p" "$(field "$line" p99_us)"
			record "err-$m" "$p" "$(field "$line" errors)"
			record "cpu-$m" "$p" $(($(cpu_ms "$p") - c0))
		done
	done
done

# ---- 4. a fresh sandbox's first proxied fetch ----

RF=$W/rootfs
busybox=$(static_busybox) || busybox=""
run_note=""
if [ -n "$busybox" ]; then
	mkdir -p "$RF"/{bin,etc,tmp,proc,dev,sys}
	cp "$busybox" "$RF/bin/busybox"
	for l in sh true wget sleep; do ln -s busybox "$RF/bin/$l"; done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$RF/etc/passwd"
	chmod 1777 "$RF/tmp"
	FP=$("$LOAD" freeport)
	echo "bench: network: paude run, $RUNS runs each"
	# busybox wget: never -T (it crashes in Debian 12's busybox); http_proxy is paude's
	FETCH=("$PAUDE" run --audit-log "$W/run-audit.jsonl" --allowed-domains "ok.test:$FP"
		--resolve ok.test:127.0.0.1 "dir:$RF" /bin/wget -q -O /dev/null "http://ok.test:$FP/1k")
	# one run shown in full first: a broken set-up says why
	if "$LOAD" time-cmd --runs 1 --warmup 0 --http-port "$FP" --log "$W/run.log" -- "${FETCH[@]}" >/dev/null 2>&1; then
		RUN_FETCH=$("$LOAD" time-cmd --runs "$RUNS" --warmup 3 --http-port "$FP" --log "$W/run.log" -- "${FETCH[@]}" 2>>"$LOG") || true
	else
		run_note="the first fetch failed: $(tail -n 3 "$W/run.log" | tr '\n' ' ')"
	fi
	RUN_NONE=$("$LOAD" time-cmd --runs "$RUNS" --warmup 5 --log "$W/run.log" -- \
		"$PAUDE" run --network none "dir:$RF" /bin/true 2>>"$LOG") || true
	RUN_PROXY=$("$LOAD" time-cmd --runs "$RUNS" --warmup 5 --log "$W/run.log" -- \
		"$PAUDE" run --audit-log "$W/run-audit.jsonl" "dir:$RF" /bin/true 2>>"$LOG") || true
else
	run_note="skipped: no static busybox for the sandbox's root filesystem"
fi

# ---- the report ----

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
fmt() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "-" || v == "") print "-"; else printf f, v }'; }

echo
psi=""
[ -r /proc/pressure/cpu ] && psi="; CPU pressure $(sed -n 's/^some avg10=[^ ]* avg60=\([^ ]*\).*/\1/p' /proc/pressure/cpu)% (some, avg60)"
echo "network (loopback$([ -n "${PD_BENCH_NETNS:-}" ] && echo ", in a netns of the bench's own"); $(nproc) CPUs; $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)$psi):"
echo
# tput_table NAME BYTES WHERE
tput_table() {
	local name=$1 bytes=$2 p dir line v c cg r
	echo "throughput $3, $((bytes / 1048576)) MiB through one CONNECT tunnel (MiB/s, median of $REPS; proxy CPU ms per GiB):"
	printf "  %-12s %28s   %28s\n" "" "client -> origin (up)" "origin -> client (down)"
	for p in "${PEERS[@]}"; do
		line=""
		for dir in up down; do
			v=$(med "$name-$dir" "$p")
			c=$(med "${name}cpu-$dir" "$p")
			cg=$(awk -v c="$c" -v b="$bytes" 'BEGIN { if (c == "-") print "-"; else printf "%.0f", c * 1073741824 / b }')
			if [ "$p" = direct ]; then
				line="$line$(printf "%10s %17s" "$(fmt "$v" %.0f)" "")   "
			else
				line="$line$(printf "%10s  x%-5s cpu %6s" "$(fmt "$v" %.0f)" "$(ratio "$v" "$(med "$name-$dir" direct)")" "$cg")   "
			fi
		done
		printf "  %-12s %s\n" "$p" "$line"
	done
	echo "  (xR: the peer's rate / direct's)"
	for dir in up down; do
		r=$(ratio "$(med "$name-$dir" paude)" "$(med "$name-$dir" direct)")
		printf "  target paude/direct >= 0.9, %-4s %5s: %s\n" "$dir" "$r" \
			"$(awk -v r="$r" 'BEGIN { print (r == "-" ? "no figure" : (r >= 0.9 ? "met" : "missed")) }')"
	done
}
tput_table tput "$BYTES" "on loopback"
echo "  (on loopback every byte's TCP work, sending and receiving, runs on this machine's CPUs, for"
echo "  the proxy's second connection too: the ratio is bound by CPU, see docs/BENCHMARKS.md)"
echo
if [ -n "$LSINK" ]; then
	tput_table ltput "$LINK_BYTES" "over a $LINK_RATE link (veth to a netns of its own, tbf on both ends)"
else
	echo "throughput over a $LINK_RATE link: $link_note"
fi

echo
echo "request rate, 1 KiB responses (median of $REPS runs; latency from the request's first syscall"
echo "to the response's last byte; new-conn includes the connect; proxy CPU ms per 1000 requests;"
echo "http keep-alive: absolute-form GETs on plain proxy connections, a connection the proxy closes"
echo "is an error and is opened again, that connect counted in the next request):"
printf "  %-32s %-10s %9s %13s %8s %8s %7s %7s\n" "mode" "peer" "req/s" "(min-max)" "p50 us" "p99 us" "cpu/1k" "errors"
for m in "${MODES[@]}"; do
	nreq=${MODEARGS[$m]##* }
	for p in "${PEERS[@]}"; do
		c=$(med "cpu-$m" "$p")
		printf "  %-32s %-10s %9s %13s %8s %8s %7s %7s\n" "${MODENAME[$m]}" "$p" \
			"$(fmt "$(med "rps-$m" "$p")" %.0f)" "($(range "rps-$m" "$p"))" "$(fmt "$(med "p50-$m" "$p")" %.0f)" \
			"$(fmt "$(med "p99-$m" "$p")" %.0f)" \
			"$(awk -v c="$c" -v n="$nreq" 'BEGIN { if (c == "-") print "-"; else printf "%.0f", c * 1000 / n }')" \
			"$(awk '{ s += $1 } END { print NR ? s : "-" }' "$R/err-$m.$p" 2>/dev/null || echo -)"
	done
done
echo "  target: paude >= 2x squid's req/s with p99 <= 1000 us:"
for m in "${MODES[@]}"; do
	r=$(ratio "$(med "rps-$m" paude)" "$(med "rps-$m" squid)")
	p99=$(med "p99-$m" paude)
	verdict=$(awk -v r="$r" -v l="$p99" 'BEGIN { if (r == "-") print "no squid figure"; else if (r >= 2 && l <= 1000) print "met"; else print "missed" }')
	printf "    %-32s paude/squid %5s, paude p99 %6s us, paude/tinyproxy %5s: %s\n" "${MODENAME[$m]}" "$r" \
		"$(fmt "$p99" %.0f)" "$(ratio "$(med "rps-$m" paude)" "$(med "rps-$m" tinyproxy)")" "$verdict"
done

echo
echo "memory with $TUNNELS idle CONNECT tunnels (each used for one request), fresh proxies:"
for p in "${PROXIES[@]}"; do
	if [ -f "$R/mem.$p" ]; then
		read -r pss0 rss0 pss rss n <"$R/mem.$p"
		printf "  %-12s PSS %7s kB   RSS %7s kB   (%s process%s; idle before: PSS %s kB, RSS %s kB; +%s kB PSS per tunnel)\n" \
			"$p" "$pss" "$rss" "$n" "$([ "$n" = 1 ] && echo "" || echo es)" "$pss0" "$rss0" \
			"$(awk -v a="$pss" -v b="$pss0" -v n="$TUNNELS" 'BEGIN { printf "%.1f", (a - b) / n }')"
	else
		printf "  %-12s -\n" "$p"
	fi
done
if [ -f "$R/mem.paude" ]; then
	read -r _ _ pss _ <"$R/mem.paude"
	echo "  target: paude <= 4096 kB PSS: $([ "$pss" -le 4096 ] && echo met || echo missed)"
fi

echo
echo "a fresh sandbox (paude run dir:busybox, as $(id -un); $RUNS runs, medians):"
if [ -n "$run_note" ]; then
	echo "  $run_note"
fi
if [ -n "${RUN_FETCH:-}" ]; then
	printf "  %-46s GET at origin %6s ms (p90 %s)   wget done, sandbox gone %6s ms   (%s/%s ok)\n" \
		"first proxied fetch (busybox wget, http_proxy)" "$(field "$RUN_FETCH" get_p50_ms)" \
		"$(field "$RUN_FETCH" get_p90_ms)" "$(field "$RUN_FETCH" exit_p50_ms)" \
		"$(field "$RUN_FETCH" gets)" "$RUNS"
	g=$(field "$RUN_FETCH" get_p50_ms)
	echo "  target: first fetch <= 40 ms: $(awk -v g="$g" 'BEGIN { print (g <= 40 ? "met" : "missed") }')"
fi
if [ -n "${RUN_NONE:-}" ] && [ -n "${RUN_PROXY:-}" ]; then
	n=$(field "$RUN_NONE" exit_p50_ms)
	q=$(field "$RUN_PROXY" exit_p50_ms)
	printf "  %-46s %6s ms (p90 %s)\n" "paude run --network none /bin/true" "$n" "$(field "$RUN_NONE" exit_p90_ms)"
	printf "  %-46s %6s ms (p90 %s)   the proxied network costs %s ms\n" "paude run /bin/true (proxied network)" "$q" \
		"$(field "$RUN_PROXY" exit_p90_ms)" "$(awk -v a="$q" -v b="$n" 'BEGIN { printf "%.2f", a - b }')"
fi

if [ ${#skipped[@]} -gt 0 ]; then
	echo
	for s in "${skipped[@]}"; do echo "skipped: $s"; done
fi
if [ -s "$LOG" ]; then
	echo
	echo "load generator messages:"
	sort "$LOG" | uniq -c | sort -rn | head -n 20 | sed 's/^/  /'
fi
