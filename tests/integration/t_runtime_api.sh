# The runtime's API beyond `paude run`, through tests/tools/pd-drive: a
# sandbox whose init stays up, processes joined to it with
# pd_sandbox_exec(), each confined as the first command is.

drive() { pexec "$IT_DIR/bin/pd-drive" "$@"; }

t_api_exec_joins_the_sandbox() {
	# The joined process is in exactly the namespaces the owner holds.
	local out
	out=$(drive --ns "$R" /bin/sh -c 'for n in user mnt pid net uts ipc cgroup; do
		printf "%s=%s " $n $(readlink /proc/self/ns/$n | tr -dc 0-9); done; echo' 2>&1)
	local held joined
	held=$(printf '%s\n' "$out" | sed -n 's/^pd-drive: ns //p')
	joined=$(printf '%s\n' "$out" | grep '^user=' | sed 's/ $//')
	[ -n "$held" ] || fail "no namespaces printed: $out"
	eq "$joined" "$held" "the joined process's namespaces"
	contains "$out" "pd-drive: exit 0" "the process's status"
	contains "$out" "pd-drive: init 143" "init stopped by SIGTERM"
}

t_api_exec_confined_like_run() {
	# Same confinement as the first command: no capabilities, no_new_privs,
	# seccomp, locked-down pid 1, its own /proc, the sandbox's hostname.
	local out
	out=$(drive "$R" /bin/sh -c 'grep -E "^(CapEff|CapPrm|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\t " " ";
		hostname; cat /proc/1/cmdline | tr "\0" " "; echo; ls /proc | grep -c "^[0-9]"' 2>&1)
	eq "$(printf '%s\n' "$out" | grep -v '^pd-drive\|^paude: note' | head -n 5)" "CapPrm: 0000000000000000
CapEff: 0000000000000000
CapBnd: 0000000000000000
NoNewPrivs: 1
Seccomp: 2" "the joined process's privileges"
	contains "$out" "pd-drive" "the sandbox's hostname"
	contains "$out" "paude-init" "pid 1 is paude's init"
	# init, the shell, grep/ls: a handful, never the host's processes.
	local n
	n=$(printf '%s\n' "$out" | grep -v '^pd-drive' | tail -n 1)
	[ "$n" -le 4 ] || fail "the joined process sees $n processes"
}

t_api_exec_user_and_errors() {
	local out want=1000
	maps_ids || want=0
	if maps_ids; then
		out=$(drive --user agent "$R" id -u --- nonexistent-cmd --- /bin/noexec 2>&1)
	else
		out=$(drive "$R" id -u --- nonexistent-cmd --- /bin/noexec 2>&1)
	fi
	contains "$out" "$want
pd-drive: exit 0" "the joined process's uid"
	contains "$out" "pd-drive: exec failed: exec \"nonexistent-cmd\": executable file not found in \$PATH (status 127)" "not found"
	contains "$out" "pd-drive: exec failed: exec \"/bin/noexec\": Permission denied (status 126)" "not executable"
	contains "$out" "pd-drive: init 143" "the sandbox outlives failed execs"
}

t_api_init_stays_up() {
	# The first command (run by init) ends; the sandbox stays for the next.
	local out d
	d=$(scratch)
	out=$(drive --first "$R" /bin/sh -c 'echo first > /tmp/mark; exit 3' --- /bin/cat /tmp/mark 2>&1)
	contains "$out" "first
pd-drive: exit 0" "a later process sees what the first left"
	contains "$out" "pd-drive: init 143" "init stayed up until stopped"
}

t_api_stop_reaches_every_process() {
	# Staying up, SIGTERM to init goes to every process, and init ends once
	# they are gone: a background sleeper dies of it.
	local out
	out=$(drive "$R" /bin/sh -c 'pd-probe sleep 60 >/dev/null 2>&1 & echo started' 2>&1)
	contains "$out" "started
pd-drive: exit 0" "the background process started"
	contains "$out" "pd-drive: init 143" "init ended after its processes (not killed after a delay)"
}

t_api_exec_pty() {
	local out
	out=$(drive --tty "$R" /bin/sh -c 'tty; pd-probe isatty' 2>&1 | tr -d '\r')
	contains "$out" "/dev/pts/0" "a pty of the sandbox's devpts"
	contains "$out" "isatty 0 yes" "stdin is the pty"
}

t_api_persistent_layer() {
	# A file written in one sandbox is there in the next one started on the
	# same layer; on disk it belongs to the sandbox's own ids, never to host
	# root; removing the layer through paude leaves nothing.
	local d out owner want_root want_agent
	d=$(scratch)/layer
	out=$(drive --layer "$d" "$R" /bin/sh -c 'echo one > /kept' 2>&1)
	contains "$out" "pd-drive: exit 0" "writing in the first sandbox ($out)"
	if maps_ids; then
		out=$(drive --layer "$d" --user agent "$R" /bin/sh -c 'echo two > /home/agent/by-agent' 2>&1)
		contains "$out" "pd-drive: exit 0" "writing as agent ($out)"
	fi
	out=$(drive --layer "$d" "$R" /bin/cat /kept 2>&1)
	contains "$out" "one
pd-drive: exit 0" "the next sandbox sees the file"
	[ "$(stat -c %a "$d")" = 700 ] || fail "the layer's directory is $(stat -c %a "$d"), not 0700"
	case $MODE in
	root) want_root=$(paude_range_start) ;;
	*) want_root=$(id -u "$RUNUSER") ;;
	esac
	owner=$(stat -c %u "$d/layer/upper/kept")
	eq "$owner" "$want_root" "the owner on disk of a file container root wrote"
	if maps_ids; then
		case $MODE in
		root) want_agent=$((want_root + 1000)) ;;
		*) want_agent=$((IT_SUB_START + 999)) ;;
		esac
		eq "$(stat -c %u "$d/layer/upper/home/agent/by-agent")" "$want_agent" \
			"the owner on disk of a file container uid 1000 wrote"
	fi
	out=$(drive --remove-layer "$d" 2>&1) || fail "removing the layer failed: $out"
	[ ! -e "$d" ] || fail "the layer is still there: $(find "$d" | head)"
}

t_api_persistent_layer_refuses_others() {
	# A layer directory that is not the caller's is refused, untouched.
	local d out
	d=$(mktemp -d "$IT_DIR/others.XXXXXX")
	chmod 755 "$d"
	chown 12345:12345 "$d"
	out=$(drive --layer "$d" "$R" true 2>&1) && fail "a layer of uid 12345 was used"
	contains "$out" "belongs to uid 12345, not to the caller" "the error"
	eq "$(find "$d" | wc -l)" 1 "nothing made in it"
	out=$(drive --remove-layer "$d" 2>&1) && fail "a layer of uid 12345 was removed"
	[ -d "$d" ] || fail "removed"
}

t_api_exec_no_owner_fd_reachable() {
	# A joined process holds nothing of its owner's before it is confined:
	# a working directory planted as a magic link to one of the owner's fds
	# (/proc/self/fd/N) reaches no host directory.
	local d out
	d=$(scratch)
	echo host-file > "$d/host-file"
	# fds 7-9 of the driver are host directories.
	out=$(pexec_prefix; "${PEXEC[@]}" "$IT_DIR/bin/pd-drive" --workdir /work --first "$R" \
		/bin/sh -c 'for n in 3 4 5 6 7 8 9; do ln -s /proc/self/fd/$n /work$n; done; ln -s /proc/self/fd/7 /work' \
		--- /bin/ls -a 2>&1 7<"$d" 8<"$d" 9</)
	not_contains "$out" "host-file" "a host directory listed from inside"
	contains "$out" "pd-drive: exec failed: working directory \"/work\"" "the refused working directory"
}
