# CLI: help, version, usage errors, and podman's exit codes for `run`.

# pcli ARGS...: `paude ARGS...` as the mode's user; OUT, ERR, RC.
pcli() {
	local o e
	o=$(mktemp -p "$IT_DIR" out.XXXXXX)
	e=$(mktemp -p "$IT_DIR" err.XXXXXX)
	RC=0
	pexec "$PAUDE" "$@" >"$o" 2>"$e" || RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	rm -f "$o" "$e"
}

# usage_error RC WANT HINT ARGS...: a one-line error plus the hint, nothing on stdout.
usage_error() {
	local want=$1 hint=$2
	shift 2
	pcli "$@"
	status_is "$RC" "$want" "paude $*"
	eq "$OUT" "" "paude $*: stdout"
	eq "$(count_lines "$ERR")" 2 "paude $*: stderr lines ($ERR)"
	contains "$(printf '%s\n' "$ERR" | sed -n 1p)" "paude: " "paude $*: error line"
	eq "$(printf '%s\n' "$ERR" | sed -n 2p)" "Try '$hint' for more information." "paude $*: hint"
}

t_help_and_version() {
	pcli --help
	status_is "$RC" 0 "paude --help"
	contains "$OUT" "Usage: paude"
	contains "$OUT" "run "
	eq "$ERR" "" "paude --help stderr"
	pcli -h
	status_is "$RC" 0 "paude -h"
	pcli --version
	status_is "$RC" 0 "paude --version"
	eq "$OUT" "paude $(sed -n 's/^VERSION := //p' "$IT_TOP/Makefile")" "paude --version"
	pcli help run
	status_is "$RC" 0 "paude help run"
	contains "$OUT" "Usage: paude run [OPTIONS] IMAGE [COMMAND [ARG...]]"
	local help_run=$OUT
	pcli run --help
	status_is "$RC" 0 "paude run --help"
	eq "$OUT" "$help_run" "paude run --help = paude help run"
	# Every option the issue asks for is documented.
	for o in --env --env-file --workdir --user --volume --tmpfs --hostname --read-only \
		--tty --interactive --cpus --memory --pids-limit --ulimit --network --seccomp-profile; do
		contains "$OUT" "$o" "run --help lists $o"
	done
}

t_usage_errors() {
	usage_error 2 "paude --help" bogus-command
	contains "$ERR" "bogus-command"
	usage_error 2 "paude --help" --bogus-option
	contains "$ERR" "--bogus-option"
	usage_error 125 "paude run --help" run --bogus-option "$IMG" true
	contains "$ERR" "--bogus-option"
	usage_error 125 "paude run --help" run -Z "$IMG" true
	usage_error 125 "paude run --help" run
	contains "$ERR" "IMAGE"
	usage_error 125 "paude run --help" run --workdir
}

t_exit_status_passthrough() {
	for n in 0 1 7 255; do
		pcap "$IMG" pd-probe exit "$n"
		status_is "$RC" "$n" "pd-probe exit $n"
		eq "$(errlines "$ERR")" "" "no error from paude for exit $n"
	done
	pcap "$IMG" /bin/sh -c 'exit 42'
	status_is "$RC" 42 "sh -c 'exit 42'"
}

t_exit_127_not_found() {
	pcap "$IMG" no-such-command-xyz
	status_is "$RC" 127 "missing command"
	contains "$ERR" "no-such-command-xyz" "the message names the command"
	eq "$(count_lines "$(errlines "$ERR")")" 1 "one error line"
	pcap "$IMG" /no/such/path
	status_is "$RC" 127 "missing absolute path"
	contains "$ERR" "/no/such/path"
}

t_exit_126_not_executable() {
	pcap "$IMG" /bin/noexec
	status_is "$RC" 126 "non-executable file"
	contains "$ERR" "/bin/noexec"
	contains "$ERR" "Permission denied"
	pcap "$IMG" /etc
	status_is "$RC" 126 "a directory"
}

t_exit_signal() {
	pcap "$IMG" pd-probe kill-self TERM
	status_is "$RC" 143 "killed by SIGTERM"
	pcap "$IMG" /bin/sh -c 'kill -KILL $$'
	status_is "$RC" 137 "killed by SIGKILL"
	pcap "$IMG" /bin/sh -c 'kill -TERM $$'
	status_is "$RC" 143 "sh killed by SIGTERM"
	pcap "$IMG" pd-probe kill-self SEGV
	status_is "$RC" 139 "killed by SIGSEGV"
}

# paude's own failures: 125, one error line (notes aside) that says what.
own_failure() {   # NEEDLE ARGS...
	local needle=$1
	shift
	pcap "$@"
	status_is "$RC" 125 "paude run $*"
	eq "$OUT" "" "paude run $*: stdout"
	contains "$ERR" "$needle" "paude run $*"
	eq "$(count_lines "$(printf '%s\n' "$ERR" | grep -v '^paude: note: ' | grep -v "^Try 'paude run --help'")")" 1 \
		"paude run $*: one error line"
}

t_exit_125_own_failures() {
	local f
	own_failure "dir:/no/such/rootfs" dir:/no/such/rootfs true
	own_failure "Not a directory" "dir:$R/bin/busybox" true
	# not an image reference (and no image id): refused before anything is touched
	own_failure 'image reference "Unknown-Kind:x"' Unknown-Kind:x true
	own_failure '--volume "nocolon"' -v nocolon "$IMG" true
	own_failure '--volume "relative:/x"' -v relative:/x "$IMG" true
	own_failure '--volume "/tmp:rel"' -v /tmp:rel "$IMG" true
	own_failure '"bogus"' -v /tmp:/x:bogus "$IMG" true
	own_failure '--network "host"' --network host "$IMG" true
	own_failure '--memory "1k"' --memory 1k "$IMG" true
	own_failure 'invalid size "lots"' --memory lots "$IMG" true
	own_failure '--ulimit "nofile"' --ulimit nofile "$IMG" true
	own_failure '--ulimit "bogus=1"' --ulimit bogus=1 "$IMG" true
	own_failure '--ulimit "nofile=abc"' --ulimit nofile=abc "$IMG" true
	own_failure '--ulimit "nofile=10:5"' --ulimit nofile=10:5 "$IMG" true
	own_failure '--pids-limit "many"' --pids-limit many "$IMG" true
	own_failure '--cpus "x"' --cpus x "$IMG" true
	own_failure '--hostname "-bad"' --hostname -bad "$IMG" true
	own_failure '--tmpfs "/run:bogus"' --tmpfs /run:bogus "$IMG" true
	own_failure '--user' --user 'a b' "$IMG" true
	f=$(scratch)
	own_failure "$f/none" --env-file "$f/none" "$IMG" true
	own_failure "$f/none.json" --seccomp-profile "$f/none.json" "$IMG" true
}

t_network_none_accepted() {
	pcap --network none "$IMG" pd-probe exit 0
	status_is "$RC" 0 "--network none"
	pcap --net none "$IMG" pd-probe exit 0
	status_is "$RC" 0 "--net none"
}

t_options_stop_at_image() {
	# The command's own options are never paude's.
	pcap "$IMG" /bin/echo --help -v x
	status_is "$RC" 0
	eq "$OUT" "--help -v x" "arguments after IMAGE"
}

t_default_command_is_sh() {
	local o
	o=$(echo 'echo from-default-shell' | prun -i "$IMG" 2>/dev/null)
	eq "$o" "from-default-shell" "IMAGE without COMMAND runs /bin/sh"
}

t_closed_stdio() {
	# paude started with fd 0, 1 or 2 closed still runs the command right.
	local o rc=0
	o=$(pexec "$PAUDE" run "$IMG" /bin/sh -c 'echo out; echo err >&2' <&- 2>/dev/null) || rc=$?
	status_is "$rc" 0 "stdin closed"
	eq "$o" out "stdin closed: stdout"
	rc=0
	o=$(pexec "$PAUDE" run "$IMG" /bin/sh -c 'echo out; echo err >&2' 2>&1 >&-) || rc=$?
	status_is "$rc" 0 "stdout closed"
	eq "$(printf '%s\n' "$o" | grep -v '^paude: note')" err "stdout closed: stderr"
}

t_stdout_stderr_order_kept() {
	# With 2>&1 the command's stdout and stderr keep their order.
	local o
	o=$(prun "$IMG" /bin/sh -c 'for i in 1 2 3 4 5 6; do echo out$i; echo err$i >&2; done' 2>&1 |
		grep -v '^paude: note' | tr '\n' ' ')
	eq "$o" "out1 err1 out2 err2 out3 err3 out4 err4 out5 err5 out6 err6 " "2>&1 order"
}

# Only libseccomp, libcap and cJSON are linked; libcurl, libarchive,
# libcrypto, zlib, libzstd, libnl, c-ares and libidn2 are loaded when first
# used, so a run without the proxied network maps none of them.
t_lazy_libraries() {
	local needed maps lib
	needed=$(readelf -d "$PAUDE" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
	eq "$needed" "libc.so.6 libcap.so.2 libcjson.so.1 libseccomp.so.2 " "paude's NEEDED libraries"
	pbg "$IT_DIR/lazy.out" --network none "$IMG" sleep 30
	wait_until 10 "the sandbox's init" '[ -n "$(init_pid "$BG_PID")" ]'
	maps=$(cat "/proc/$BG_PID/maps")
	contains "$maps" libseccomp "paude's maps"
	for lib in libcurl libarchive libcrypto libz.so libzstd libnl- libcares libidn2; do
		not_contains "$maps" "$lib" "paude's maps"
	done
	kill "$BG_PID"
	wait "$BG_PID" || true
}

# paude unshare: rootless, a command as root of the user namespace paude's
# files live in (subordinate-owned files can be removed there, not from the
# host); the exit status is the command's; as root it is refused, saying why.
t_unshare() {
	local d
	if [ "$MODE" = root ]; then
		pcli unshare true
		status_is "$RC" 125 "unshare as root"
		contains "$ERR" "unshare is for rootless use" "the reason ($ERR)"
		return 0
	fi
	pcli unshare sh -c 'id -u; wc -l </proc/self/uid_map; test -n "$PAUDE_STORAGE" && echo store; exit 3'
	status_is "$RC" 3 "the command's exit status ($ERR)"
	if maps_ids; then
		eq "$OUT" "0
2
store" "root of a namespace mapping the user and its subordinate ids"
	else
		eq "$OUT" "0
1
store" "root of a namespace mapping the user alone"
	fi
	pcli unshare /nonexistent/cmd
	status_is "$RC" 127 "a command that is not there (as a shell says)"
	contains "$ERR" 'exec "/nonexistent/cmd": No such file or directory' "named ($ERR)"
	maps_ids || return 0
	d=$(scratch)
	pcli unshare sh -c "mkdir '$d/sub' && touch '$d/sub/f' && chown -R 1000:1000 '$d/sub'"
	status_is "$RC" 0 "files of a subordinate id ($ERR)"
	eq "$(stat -c %u "$d/sub/f")" "$(($(awk -F: -v u="$RUNUSER" '$1 == u { print $2 }' /etc/subuid) + 999))" \
		"owned by the subordinate id on the host"
	pexec rm -rf "$d/sub" 2>/dev/null && fail "the user removed a subordinate-owned tree from the host"
	pcli unshare rm -rf "$d/sub"
	status_is "$RC" 0 "removed through unshare ($ERR)"
	[ ! -e "$d/sub" ] || fail "the tree is still there"
}
