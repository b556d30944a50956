# -t / -i, driven through ptyrun (a pty on the host side).
#
# ptyrun prints the command's output on stdout and "ptyrun: exit N" and
# "ptyrun: termios-restored yes|no" on stderr.

# pty ARGS... -- PAUDE-RUN-ARGS...: ptyrun [ARGS] -- paude run PAUDE-RUN-ARGS;
# PTY_OUT (\r removed), PTY_ERR, PTY_RC.
pty() {
	local args=() o e
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	o=$(mktemp -p "$IT_DIR")
	e=$(mktemp -p "$IT_DIR")
	PTY_RC=0
	pexec "$PTYRUN" --timeout 20 "${args[@]}" -- "$PAUDE" run "$@" >"$o" 2>"$e" </dev/null || PTY_RC=$?
	# Notes of paude's go to the same terminal: leave them out.
	PTY_OUT=$(tr -d '\r' < "$o" | grep -v '^paude: note: ' || true)
	PTY_ERR=$(cat "$e")
}

restored() {
	contains "$PTY_ERR" "ptyrun: termios-restored yes" "the host terminal restored ($PTY_ERR)"
	not_contains "$PTY_ERR" "ptyrun: timeout" "ptyrun timed out"
}

t_tty_basics() {
	pty --rows 33 --cols 101 -- -t -i "$IMG" /bin/sh -c 'tty; pd-probe isatty; stty size; pd-probe status | grep -E "^(tty|sid)="; echo "TERM=$TERM"; exit 3'
	status_is "$PTY_RC" 3 "exit status through ptyrun ($PTY_ERR)"
	contains "$PTY_ERR" "ptyrun: exit 3"
	restored
	eq "$PTY_OUT" "/dev/pts/0
isatty 0 yes
isatty 1 yes
isatty 2 yes
33 101
sid=2
tty=/dev/pts/0
TERM=xterm" "-t -i"
}

t_tty_winsize_from_host() {
	pty --rows 17 --cols 63 -- -t "$IMG" pd-probe winsize
	status_is "$PTY_RC" 0 "($PTY_ERR)"
	eq "$PTY_OUT" "rows 17 cols 63" "initial window size"
	restored
}

t_tty_resize() {
	pty --rows 24 --cols 80 --resize-after 1000 40 120 -- -t -i "$IMG" pd-probe wait-winch
	status_is "$PTY_RC" 0 "($PTY_ERR)"
	eq "$PTY_OUT" "ready
rows 40 cols 120" "SIGWINCH and the new size"
	restored
}

t_tty_input() {
	pty --send-after 800 'echo "got:$((6*7))"\n' --send-after 1300 'exit 5\n' -- -t -i "$IMG" /bin/sh
	status_is "$PTY_RC" 5 "($PTY_OUT $PTY_ERR)"
	contains "$PTY_OUT" "got:42" "input reached the shell"
	restored
}

t_tty_ctrl_c() {
	pty --send-after 1000 '\x03' -- -t -i "$IMG" pd-probe wait-signal
	status_is "$PTY_RC" 0 "($PTY_OUT $PTY_ERR)"
	contains "$PTY_OUT" "signal SIGINT" "Ctrl-C becomes SIGINT inside"
	restored
}

t_tty_ctrl_c_kills() {
	pty --send-after 1000 '\x03' -- -t -i "$IMG" /bin/sh -c 'echo waiting; exec pd-probe sleep 10'
	status_is "$PTY_RC" 130 "a command killed by Ctrl-C ($PTY_OUT $PTY_ERR)"
	contains "$PTY_ERR" "ptyrun: exit 130"
	restored
}

t_tty_restored_on_failure() {
	# paude's own failure with -t (a missing command): the terminal is restored.
	pty -- -t -i "$IMG" /no/such/command
	status_is "$PTY_RC" 127 "($PTY_OUT $PTY_ERR)"
	restored
	pty -- -t -i "$IMG" /bin/sh -c 'kill -KILL $$'
	status_is "$PTY_RC" 137 "($PTY_OUT $PTY_ERR)"
	restored
	pty -- -t -i -v /nonexistent:/x "$IMG" true
	status_is "$PTY_RC" 125 "($PTY_OUT $PTY_ERR)"
	contains "$PTY_OUT" 'paude: volume "/nonexistent": No such file or directory' "paude's error on the terminal"
	restored
}

t_tty_output_drained() {
	# Output written just before exit is not lost: paude reads the
	# sandbox's pty to its end, however slow its own reader.  Through a pipe
	# whose reader starts a second late, and read to EOF: no time bound but
	# the harness's (ptyrun, whose drain stops after 300 ms without output,
	# would lose a tail on a starved machine by itself).
	local o rc
	o=$(mktemp -p "$IT_DIR")
	pexec "$PAUDE" run -t "$IMG" /bin/sh -c 'i=0; while [ $i -lt 20000 ]; do echo line-$i; i=$((i+1)); done' \
		</dev/null 2>/dev/null | { sleep 1; cat; } >"$o"
	rc=${PIPESTATUS[0]}
	status_is "$rc" 0 "paude run -t"
	eq "$(tr -d '\r' <"$o" | tail -n 1)" "line-19999" "the last line"
	eq "$(tr -d '\r' <"$o" | grep -c '^line-')" 20000 "every line"
}

t_notty_interactive() {
	# -i without -t on a host terminal: stdin is passed, but it is no
	# controlling terminal inside, and TIOCSTI is refused.
	pty -- -i "$IMG" /bin/sh -c 'tty; pd-probe status | grep ^tty=; pd-probe try-syscall ioctl-tiocsti ioctl-tiocsti-hi ioctl-tioclinux'
	status_is "$PTY_RC" 0 "($PTY_ERR)"
	eq "$PTY_OUT" "not a tty
tty=none
ioctl-tiocsti EPERM
ioctl-tiocsti-hi EPERM
ioctl-tioclinux EPERM" "-i without -t"
	restored
}

t_notty_no_controlling_terminal() {
	# Without -t, /dev/tty cannot be opened (no controlling terminal).
	pty -- -i "$IMG" /bin/sh -c '{ echo x > /dev/tty; } 2>/dev/null && echo opened || echo no-ctty'
	eq "$PTY_OUT" "no-ctty" "/dev/tty without -t"
}

t_stdin_devnull_without_i() {
	local o
	o=$(echo some-input | prun "$IMG" /bin/sh -c 'cat; echo "cat=$?"; pd-probe fds | head -n 1' 2>/dev/null)
	eq "$o" "cat=0
fd 0 -> /dev/null" "stdin without -i"
	pty --send-after 300 'typed\n' -- "$IMG" /bin/sh -c 'cat; echo "cat=$?"'
	status_is "$PTY_RC" 0 "($PTY_ERR)"
	not_contains "$PTY_OUT" "typed" "terminal input without -i"
	contains "$PTY_OUT" "cat=0"
}

t_stdin_with_i() {
	local o
	o=$(printf 'line1\nline2\n' | prun -i "$IMG" /bin/sh -c 'cat; echo "cat=$?"' 2>/dev/null)
	eq "$o" "line1
line2
cat=0" "stdin with -i"
}

t_notty_host_terminal_unreachable() {
	# Without -t the command gets pipes, never the host's terminal: it cannot
	# read keystrokes from it or change its modes, even through fd 1 or 2.
	pty --send-after 500 'typed-secret\n' -- -i "$IMG" /bin/sh -c '
		pd-probe isatty
		for fd in 0 1 2; do readlink /proc/self/fd/$fd | sed "s/:.*//;s/^/fd$fd /"; done
		stty -echo <&1 2>/dev/null && echo stty-changed-fd1 || echo stty-refused-fd1
		stty -echo <&2 2>/dev/null && echo stty-changed-fd2 || echo stty-refused-fd2
		sleep 1'
	status_is "$PTY_RC" 0 "($PTY_ERR)"
	restored
	eq "$(printf '%s\n' "$PTY_OUT" | grep -v typed-secret)" "isatty 0 no
isatty 1 no
isatty 2 no
fd0 pipe
fd1 pipe
fd2 pipe
stty-refused-fd1
stty-refused-fd2" "the command's stdio without -t"
}
