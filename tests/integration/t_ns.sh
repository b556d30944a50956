# Namespaces: every one new, paude's init as pid 1, hostname, loopback only.

t_ns_all_new() {
	local host inside name hv iv
	host=$(pexec "$IT_DIR/bin/pd-probe" ns)
	pcap "$IMG" pd-probe ns
	status_is "$RC" 0 "pd-probe ns"
	inside=$OUT
	for name in user mnt pid net uts ipc cgroup; do
		hv=$(printf '%s\n' "$host" | awk -v n="$name" '$1 == n { print $2 }')
		iv=$(printf '%s\n' "$inside" | awk -v n="$name" '$1 == n { print $2 }')
		case $hv in ''|*[!0-9]*) fail "host $name namespace: [$hv]" ;; esac
		case $iv in ''|*[!0-9]*) fail "sandbox $name namespace: [$iv]" ;; esac
		[ "$hv" != "$iv" ] || fail "$name namespace is the host's ($hv)"
	done
}

t_ns_each_run_its_own() {
	local a b
	a=$(prun "$IMG" pd-probe ns 2>/dev/null)
	b=$(prun "$IMG" pd-probe ns 2>/dev/null)
	[ -n "$a" ] || fail "no output"
	[ "$a" != "$b" ] || fail "two runs share namespaces: $a"
}

t_pid1_is_paude_init() {
	pcap "$IMG" /bin/sh -c 'echo pid=$$; tr "\0" "\n" < /proc/1/cmdline | grep .; echo comm=$(cat /proc/1/comm)'
	status_is "$RC" 0
	eq "$(printf '%s\n' "$OUT" | sed -n 1p)" "pid=2" "the command is pid 2"
	eq "$(printf '%s\n' "$OUT" | sed -n 2p)" "paude-init" "/proc/1/cmdline"
	eq "$(count_lines "$OUT")" 3 "cmdline is exactly paude-init ($OUT)"
	not_contains "$OUT" "$IT_DIR" "host path in pid 1's cmdline"
	not_contains "$OUT" "/" "a path in pid 1's cmdline"
	pcap "$IMG" pd-probe status
	eq "$(val "$OUT" pid)" 2 "pd-probe pid"
	eq "$(val "$OUT" ppid)" 1 "pd-probe ppid"
}

t_pid_ns_sees_only_sandbox() {
	pcap "$IMG" /bin/sh -c 'ls /proc | grep -E "^[0-9]+$" | sort -n | tr "\n" " "'
	status_is "$RC" 0
	# init, the shell, ls, grep, sort, tr: nothing of the host's.
	local n
	n=$(echo "$OUT" | wc -w)
	[ "$n" -le 6 ] || fail "processes visible in the sandbox: $OUT"
	contains " $OUT" " 1 2 " "pids 1 and 2"
}

t_cgroup_ns_root() {
	pcap "$IMG" cat /proc/self/cgroup
	status_is "$RC" 0
	[ -n "$OUT" ] || fail "empty /proc/self/cgroup"
	local bad
	bad=$(printf '%s\n' "$OUT" | grep -v ':/$' || true)
	eq "$bad" "" "every cgroup shows as / inside"
	pcap --pids-limit 100 "$IMG" cat /proc/self/cgroup
	bad=$(printf '%s\n' "$OUT" | grep -v ':/$' || true)
	eq "$bad" "" "every cgroup shows as / inside, with a limit"
}

t_hostname_default() {
	pcap "$IMG" /bin/sh -c 'hostname; cat /etc/hostname; echo "$HOSTNAME"; pd-probe status | grep ^hostname='
	status_is "$RC" 0
	local h
	h=$(printf '%s\n' "$OUT" | sed -n 1p)
	printf '%s\n' "$h" | grep -qxE 'paude-[0-9a-f]{12}' || fail "default hostname: [$h]"
	eq "$(printf '%s\n' "$OUT" | sed -n 2p)" "$h" "/etc/hostname"
	eq "$(printf '%s\n' "$OUT" | sed -n 3p)" "$h" "\$HOSTNAME"
	eq "$(printf '%s\n' "$OUT" | sed -n 4p)" "hostname=$h" "uname nodename"
	[ "$h" != "$(hostname)" ] || fail "the host's name leaks in"
	local h2
	h2=$(prun "$IMG" hostname 2>/dev/null)
	[ "$h" != "$h2" ] || fail "two runs got the same hostname $h"
}

t_hostname_option() {
	pcap --hostname my-box.example "$IMG" /bin/sh -c 'hostname; cat /etc/hostname; echo "$HOSTNAME"; grep -c "my-box.example" /etc/hosts'
	status_is "$RC" 0 "--hostname ($ERR)"
	eq "$OUT" "my-box.example
my-box.example
my-box.example
1" "--hostname"
}

t_net_loopback_only() {
	pcap --network none "$IMG" /bin/sh -c 'ls /sys/class/net; ip -o link | cut -d" " -f2-3'
	status_is "$RC" 0
	eq "$(printf '%s\n' "$OUT" | sed -n 1p)" "lo" "/sys/class/net"
	eq "$(count_lines "$OUT")" 2 "only lo ($OUT)"
	contains "$(printf '%s\n' "$OUT" | sed -n 2p)" "lo: <LOOPBACK,UP,LOWER_UP>" "lo is up"
}

t_net_loopback_works() {
	# busybox nc sends to a listener that says when it listens (nc -l, with
	# its stdin at EOF, lost the data now and then).
	pcap "$IMG" /bin/sh -c '
		pd-probe listen 5555 > /tmp/got & l=$!
		until grep -q "^listen" /tmp/got; do sleep 0.05; done
		echo hello-over-lo | nc 127.0.0.1 5555; echo "nc=$?"
		wait $l
		cat /tmp/got
		pd-probe connect 127.0.0.1 5556 2'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "nc=0
listening
got hello-over-lo\\n
connect ECONNREFUSED" "loopback traffic"
}

t_net_no_route_out() {
	# Nothing leaves: no route exists (ENETUNREACH at once, no packet sent).
	pcap "$IMG" pd-probe connect 192.0.2.1 80 2
	status_is "$RC" 0
	eq "$OUT" "connect ENETUNREACH" "connect to a non-local address"
}

t_ipc_ns_private() {
	# A SysV segment made on the host is not visible inside.
	local id
	id=$(ipcmk -M 4096 | grep -oE '[0-9]+$')
	[ -n "$id" ] || fail "ipcmk made no segment"
	awk -v id="$id" '$2 == id { f = 1 } END { exit !f }' /proc/sysvipc/shm || { ipcrm -m "$id"; fail "host segment $id not listed on the host"; }
	pcap "$IMG" cat /proc/sysvipc/shm
	ipcrm -m "$id"
	status_is "$RC" 0
	eq "$(count_lines "$OUT")" 1 "only the header of /proc/sysvipc/shm ($OUT)"
}
