# --seccomp-profile: a Docker/OCI JSON profile instead of paude's own.

profile() {   # NAME JSON -> path of a file the mode's user can read
	local d
	d=$(scratch)
	printf '%s\n' "$2" > "$d/$1"
	chmod 644 "$d/$1"
	echo "$d/$1"
}

t_seccomp_profile_errno() {
	local p
	p=$(profile deny-mkdir.json '{
		"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [
			{ "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 }
		]
	}')
	pcap --seccomp-profile "$p" "$IMG" /bin/sh -c 'mkdir /tmp/x; echo "mkdir=$?"; touch /tmp/y && echo touch-ok; pd-probe status | grep ^Seccomp='
	status_is "$RC" 0 "($ERR)"
	contains "$ERR" "Permission denied" "mkdir's error"
	eq "$OUT" "mkdir=1
touch-ok
Seccomp=2" "a profile that denies mkdir with EACCES"
}

t_seccomp_profile_replaces_default() {
	# The profile is used instead of paude's: keyctl is allowed by it (the
	# kernel answers EOPNOTSUPP for the bad command), clone3 too.
	local p
	p=$(profile allow-all.json '{ "defaultAction": "SCMP_ACT_ALLOW" }')
	pcap --seccomp-profile "$p" "$IMG" pd-probe try-syscall keyctl clone3 getpid
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "keyctl EOPNOTSUPP
clone3 ok
getpid ok" "an allow-all profile"
	# Capabilities and no_new_privs do not depend on the filter.
	pcap --seccomp-profile "$p" "$IMG" pd-probe status
	eq "$(val "$OUT" CapEff)" 0000000000000000 "CapEff"
	eq "$(val "$OUT" CapBnd)" 0000000000000000 "CapBnd"
	eq "$(val "$OUT" NoNewPrivs)" 1 "NoNewPrivs"
	# Nothing of paude's filter is left (as with podman, the profile replaces
	# it): only the kernel's own answers.
	pcap --seccomp-profile "$p" "$IMG" pd-probe try-syscall mount unshare-user ioctl-tiocsti
	eq "$OUT" "mount EFAULT
unshare-user ok
ioctl-tiocsti ok" "the kernel's answers under an allow-all profile"
}

t_seccomp_profile_args_and_default_errno() {
	local p
	p=$(profile allow-but.json '{
		"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [
			{ "names": ["keyctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 111 },
			{ "names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
			  "args": [ { "index": 0, "value": 8, "op": "SCMP_CMP_EQ" } ] }
		]
	}')
	pcap --seccomp-profile "$p" "$IMG" pd-probe try-syscall keyctl getpid personality-linux32 personality-query
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "keyctl ECONNREFUSED
getpid ok
personality-linux32 EPERM
personality-query ok" "errnoRet and an argument rule"
}

t_seccomp_profile_invalid() {
	local p
	p=$(profile bad.json '{ "defaultAction": ')
	pcap --seccomp-profile "$p" "$IMG" pd-probe exit 0
	status_is "$RC" 125 "invalid JSON"
	eq "$OUT" "" "the command ran"
	contains "$ERR" "$p" "the message names the file"
	eq "$(count_lines "$(errlines "$ERR")")" 1 "one error line"
	p=$(profile unknown-action.json '{ "defaultAction": "SCMP_ACT_BOGUS" }')
	pcap --seccomp-profile "$p" "$IMG" pd-probe exit 0
	status_is "$RC" 125 "an unknown action"
	contains "$ERR" "$p" "the message names the file"
	contains "$ERR" "SCMP_ACT_BOGUS" "the message names the action"
	p=$(profile empty.json '')
	pcap --seccomp-profile "$p" "$IMG" pd-probe exit 0
	status_is "$RC" 125 "an empty profile"
	eq "$(count_lines "$(errlines "$ERR")")" 1 "an empty profile: one error line ($ERR)"
	contains "$(errlines "$ERR")" "paude: --seccomp-profile \"$p\": seccomp profile: " "an empty profile: the message"
	pcap --seccomp-profile "$IT_DIR/no-such.json" "$IMG" pd-probe exit 0
	status_is "$RC" 125 "a missing profile"
	contains "$ERR" "$IT_DIR/no-such.json"
}

t_seccomp_profile_kill_action() {
	local p
	p=$(profile kill.json '{
		"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [ { "names": ["getppid"], "action": "SCMP_ACT_KILL_PROCESS" } ]
	}')
	pcap --seccomp-profile "$p" "$IMG" /bin/sh -c 'exec pd-probe status'
	status_is "$RC" 159 "a process killed by its filter (SIGSYS: 128+31)"
}

t_seccomp_profile_architectures() {
	# docs/seccomp.md: a profile that names no architectures covers the
	# native ABI alone, so an i386 syscall kills the process (SIGSYS);
	# naming SCMP_ARCH_X86 admits it.
	[ "$(uname -m)" = x86_64 ] || skip "i386 ABI checks need x86_64"
	local p
	p=$(profile native.json '{ "defaultAction": "SCMP_ACT_ALLOW" }')
	pcap --seccomp-profile "$p" "$IMG" pd-probe try-syscall i386-getpid getpid
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "i386-getpid SIGSYS
getpid ok" "a profile without architectures"
	p=$(profile x86.json '{ "defaultAction": "SCMP_ACT_ALLOW",
		"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
		"syscalls": [ { "names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 111 } ] }')
	pcap --seccomp-profile "$p" "$IMG" pd-probe try-syscall i386-getpid getpid
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "i386-getpid ECONNREFUSED
getpid ECONNREFUSED" "a profile with SCMP_ARCH_X86: the rule applies to both ABIs"
}
