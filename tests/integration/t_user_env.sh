# --user, the environment, --workdir.

# user_case SPEC WANT-ID-OUTPUT: `id` as --user SPEC (single mode: refused).
user_case() {
	pcap --user "$1" "$IMG" /bin/sh -c 'id; echo "HOME=$HOME"'
	if maps_ids; then
		status_is "$RC" 0 "--user $1 ($ERR)"
		eq "$OUT" "$2" "--user $1"
	else
		status_is "$RC" 125 "--user $1 in single mode"
		eq "$OUT" "" "--user $1 ran the command in single mode"
		contains "$ERR" "usermod --add-subuids" "the message names the fix"
		eq "$(count_lines "$(errlines "$ERR")")" 1 "one error line ($ERR)"
	fi
}

t_user_numeric() {
	user_case 1000 "uid=1000(agent) gid=1000(agent) groups=5(tty),10(wheel),1000(agent)
HOME=/home/agent"
}

t_user_name() {
	user_case agent "uid=1000(agent) gid=1000(agent) groups=5(tty),10(wheel),1000(agent)
HOME=/home/agent"
}

t_user_name_group() {
	user_case agent:wheel "uid=1000(agent) gid=10(wheel) groups=5(tty),10(wheel)
HOME=/home/agent"
}

t_user_uid_gid() {
	user_case 1000:10 "uid=1000(agent) gid=10(wheel) groups=5(tty),10(wheel)
HOME=/home/agent"
}

t_user_nobody() {
	user_case nobody "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)
HOME=/nonexistent"
}

t_user_uid_without_entry() {
	# Docker's rule: a uid without a passwd entry runs with gid 0 and HOME=/.
	user_case 4242 "uid=4242 gid=0(root) groups=0(root)
HOME=/"
}

t_user_root_explicit() {
	local spec
	for spec in 0 root 0:0 root:root; do
		pcap --user "$spec" "$IMG" /bin/sh -c 'id; echo "HOME=$HOME"'
		status_is "$RC" 0 "--user $spec ($ERR)"
		eq "$OUT" "uid=0(root) gid=0(root) groups=0(root)
HOME=/root" "--user $spec"
	done
}

t_user_default_root() {
	pcap "$IMG" /bin/sh -c 'id; echo "HOME=$HOME"'
	status_is "$RC" 0
	eq "$OUT" "uid=0(root) gid=0(root) groups=0(root)
HOME=/root" "no --user"
}

t_user_supplementary_groups() {
	maps_ids || { user_case agent x; return 0; }
	pcap --user agent "$IMG" id -G
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "1000 5 10" "id -G of agent (member of tty and wheel)"
}

t_user_unknown() {
	local spec
	for spec in ghost ghost:wheel agent:ghost 0:ghost; do
		pcap --user "$spec" "$IMG" pd-probe exit 0
		status_is "$RC" 125 "--user $spec"
		eq "$OUT" "" "--user $spec ran the command"
		contains "$ERR" "ghost" "--user $spec: the message names it"
		eq "$(count_lines "$(errlines "$ERR")")" 1 "--user $spec: one error line ($ERR)"
	done
}

t_user_outside_map() {
	# A uid the map does not have.
	pcap --user 70000 "$IMG" pd-probe exit 0
	status_is "$RC" 125 "--user 70000"
	contains "$ERR" "70000"
}

t_user_cannot_become_root() {
	# uid 1000 cannot set its ids to root's (no CAP_SETUID, nothing saved),
	# nor leave for namespaces of its own.
	maps_ids || { single_refuses_user 1000; return 0; }
	pcap --user 1000 "$IMG" /bin/sh -c 'pd-probe become 0 0; pd-probe become 1000 0; pd-probe try-syscall setns unshare-user'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "setgroups EPERM
setresgid EPERM
setresuid EPERM
uid=1000,1000,1000 gid=1000,1000,1000
setgroups EPERM
setresgid EPERM
setresuid ok
uid=1000,1000,1000 gid=1000,1000,1000
setns EPERM
unshare-user EPERM" "uid 1000 trying to become root (and, as the control, itself)"
}

t_user_home_writable() {
	maps_ids || { single_refuses_user 1000; return 0; }
	pcap --user 1000 "$IMG" /bin/sh -c 'cd && touch f && pwd && stat -c %u /home/agent/f; pd-probe write /etc/passwd'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "/home/agent
1000
write EACCES" "uid 1000: own home writable, /etc/passwd not"
}

# --- environment ---

t_env_default() {
	pcap --network none "$IMG" pd-probe env
	status_is "$RC" 0
	local h
	h=$(val "$OUT" HOSTNAME)
	eq "$(printf '%s\n' "$OUT" | sort)" "HOME=/root
HOSTNAME=$h
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "the whole default environment (nothing of the host's)"
	printf '%s\n' "$h" | grep -qxE 'paude-[0-9a-f]{12}' || fail "HOSTNAME=$h"
}

t_env_host_not_leaked() {
	pexec env PAUDE_IT_SECRET=leak "$PAUDE" run "$IMG" pd-probe env > "$IT_DIR/env.out" 2>/dev/null
	not_contains "$(cat "$IT_DIR/env.out")" "PAUDE_IT_SECRET" "a host variable without -e"
	not_contains "$(cat "$IT_DIR/env.out")" "XDG_RUNTIME_DIR" "the host's XDG_RUNTIME_DIR"
}

t_env_set() {
	pcap -e A=1 -e B="two words" -e C= -e 'D=x=y' -e A=3 "$IMG" pd-probe env
	status_is "$RC" 0 "($ERR)"
	eq "$(val "$OUT" A)" 3 "later -e overrides earlier"
	eq "$(printf '%s\n' "$OUT" | grep -c '^A=')" 1 "A appears once"
	eq "$(val "$OUT" B)" "two words" "B"
	eq "$(printf '%s\n' "$OUT" | grep -x 'C=')" "C=" "C empty"
	eq "$(val "$OUT" D)" "x=y" "D"
}

t_env_from_host() {
	local o
	o=$(pexec env PAUDE_IT_FROMHOST=host-value "$PAUDE" run -e PAUDE_IT_FROMHOST -e PAUDE_IT_UNSET "$IMG" pd-probe env 2>/dev/null)
	eq "$(val "$o" PAUDE_IT_FROMHOST)" host-value "-e K takes the host's value"
	not_contains "$o" "PAUDE_IT_UNSET" "-e K unset on the host"
}

t_env_overrides_defaults() {
	pcap --network none -e PATH=/bin -e HOME=/tmp -e HOSTNAME=mine "$IMG" pd-probe env
	status_is "$RC" 0
	eq "$(printf '%s\n' "$OUT" | sort)" "HOME=/tmp
HOSTNAME=mine
PATH=/bin" "-e PATH, HOME, HOSTNAME replace the defaults"
	# PATH is used for the command lookup.
	pcap -e PATH=/nowhere "$IMG" pd-probe exit 0
	status_is "$RC" 127 "a PATH without the command"
}

t_env_file() {
	local d o
	d=$(scratch)
	printf '# a comment\n\nEF_A=1\n  EF_B=two words\nEF_HOST\nEF_UNSET\nEF_EMPTY=\n\t# indented comment\nEF_A=again\r\n' > "$d/env"
	chmod 644 "$d/env"
	o=$(pexec env EF_HOST=from-host "$PAUDE" run --env-file "$d/env" -e EF_LATER=1 "$IMG" pd-probe env 2>/dev/null)
	eq "$(val "$o" EF_A)" again "a later line overrides (CRLF stripped)"
	eq "$(val "$o" EF_B)" "two words" "leading blanks skipped, value kept"
	eq "$(val "$o" EF_HOST)" from-host "a name alone takes the host's value"
	not_contains "$o" "EF_UNSET" "a name alone unset on the host"
	eq "$(printf '%s\n' "$o" | grep -x 'EF_EMPTY=')" "EF_EMPTY=" "an empty value"
	not_contains "$o" "comment" "comments"
	eq "$(val "$o" EF_LATER)" 1 "-e with --env-file"
	# Command-line order: -e after --env-file wins, and before it loses.
	o=$(prun -e EF_A=cli --env-file "$d/env" "$IMG" pd-probe env 2>/dev/null)
	eq "$(val "$o" EF_A)" again "--env-file after -e"
	o=$(prun --env-file "$d/env" -e EF_A=cli "$IMG" pd-probe env 2>/dev/null)
	eq "$(val "$o" EF_A)" cli "-e after --env-file"
}

t_env_invalid() {
	local d
	pcap -e "=x" "$IMG" pd-probe exit 0
	status_is "$RC" 125 "-e =x"
	eq "$(errlines "$ERR")" 'paude: --env: invalid environment variable "=x"' "-e =x: the message"
	d=$(scratch)
	printf 'OK=1\nBAD NAME=2\n' > "$d/env"
	pcap --env-file "$d/env" "$IMG" pd-probe exit 0
	status_is "$RC" 125 "--env-file with a bad line"
	contains "$ERR" "line 2" "the message names the line"
}

t_env_term_with_tty_only() {
	pcap "$IMG" pd-probe env
	not_contains "$OUT" "TERM=" "TERM without -t"
}

# --- working directory ---

t_workdir_created() {
	local before
	before=$(find "$R" | sort | md5sum)
	pcap -w /some/new/dir "$IMG" /bin/sh -c 'pwd; pd-probe status | grep ^cwd='
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "/some/new/dir
cwd=/some/new/dir" "-w /some/new/dir"
	eq "$(find "$R" | sort | md5sum)" "$before" "the workdir was made in the source rootfs"
}

t_workdir_existing() {
	pcap -w /etc "$IMG" pwd
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" /etc "-w /etc"
	pcap "$IMG" pwd
	eq "$OUT" / "the default working directory"
}

t_workdir_with_user() {
	maps_ids || { single_refuses_user 1000; return 0; }
	pcap --user 1000 -w /home/agent/proj "$IMG" /bin/sh -c 'pwd; touch x && echo writable'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "/home/agent/proj
writable" "a new workdir under the user's home"
}

t_workdir_relative_refused() {
	local w
	for w in rel ./x ../x; do
		pcap -w "$w" "$IMG" pd-probe exit 0
		status_is "$RC" 125 "-w $w"
		contains "$ERR" "\"$w\"" "-w $w: the message quotes it"
		contains "$ERR" "absolute" "-w $w: says why"
	done
}

t_workdir_is_a_file() {
	pcap -w /etc/passwd "$IMG" pd-probe exit 0
	status_is "$RC" 125 "-w onto a file"
	eq "$(errlines "$ERR")" 'paude: working directory "/etc/passwd": Not a directory' "-w onto a file: the message"
}

t_env_file_from_a_pipe() {
	# --env-file <(...) works (a pipe, not a regular file); a directory does not.
	local o rc=0
	o=$(pexec bash -c "\"$PAUDE\" run --env-file <(printf 'P=from-pipe\n') \"$IMG\" /bin/sh -c 'echo \$P'" 2>/dev/null)
	eq "$o" "from-pipe" "--env-file from a pipe"
	o=$(prun --env-file / "$IMG" true 2>&1) || rc=$?
	status_is "$rc" 125 "--env-file /"
	contains "$o" "Is a directory"
}
