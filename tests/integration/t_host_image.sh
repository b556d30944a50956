# The "host" image: the host's /usr and a safe part of /etc, read-only.

t_host_usr_readonly() {
	pcap host /bin/sh -c 'ls /usr/bin/env >/dev/null && echo usr-readable
		for p in /usr/x /usr/bin/x /bin/x /etc/passwd; do
			touch $p 2>&1 | grep -o -e "Read-only file system" -e "Permission denied"; done
		mkdir /usr/d 2>&1 | grep -o "Read-only file system"'
	status_is "$RC" 0 "($ERR)"
	# The host's root-owned /etc/passwd is never the sandbox's (rootless its
	# owner is unmapped; as root the host image's binds are not idmapped):
	# the permission check (EACCES) comes before the read-only mount (EROFS).
	local etc="Permission denied"
	eq "$OUT" "usr-readable
Read-only file system
Read-only file system
Read-only file system
$etc
Read-only file system" "writes to the host image's /usr, /bin and /etc/passwd"
	[ ! -e /usr/x ] && [ ! -e /usr/bin/x ] && [ ! -d /usr/d ] || fail "a write reached the host's /usr"
}

t_host_secrets_absent() {
	local f
	pcap host /bin/sh -c 'for f in /etc/shadow /etc/gshadow /etc/ssh /etc/ssl/private /etc/sudoers /etc/sudoers.d /etc/machine-id /root /home /var /etc/subuid /etc/crontab; do
			if [ -e $f ] || [ -L $f ]; then echo "present $f"; else echo "absent $f"; fi; done
		for f in /etc/passwd /etc/group /etc/ld.so.cache /etc/nsswitch.conf; do
			if [ -e $f ]; then echo "present $f"; else echo "absent $f"; fi; done'
	status_is "$RC" 0 "($ERR)"
	for f in /etc/shadow /etc/gshadow /etc/ssh /etc/ssl/private /etc/sudoers /etc/sudoers.d /etc/machine-id /etc/subuid /etc/crontab; do
		contains "$OUT" "absent $f" "$f in the host image"
	done
	for f in /etc/passwd /etc/group /etc/ld.so.cache /etc/nsswitch.conf; do
		[ -e "$f" ] || continue
		contains "$OUT" "present $f" "$f in the host image"
	done
	# The test can fail: the host has them.
	[ -e /etc/shadow ] || fail "this host has no /etc/shadow: the check proves nothing"
}

t_host_no_private_keys() {
	pcap host /bin/sh -c 'find / -xdev \( -name "*.key" -o -name "*_key" -o -name "id_rsa*" -o -name "id_ed25519*" \) 2>/dev/null | grep -v "^/usr/" | head; ls /etc/ssl'
	status_is "$RC" 0 "($ERR)"
	not_contains "$OUT" "private" "/etc/ssl/private"
	not_contains "$OUT" "ssh_host" "ssh host keys"
}

t_host_tools_run() {
	pcap host /bin/sh -c 'git --version; bash -c "echo bash-ok \$((6*7))"; env | grep -c ^PATH=; id -u'
	status_is "$RC" 0 "($ERR)"
	contains "$(printf '%s\n' "$OUT" | sed -n 1p)" "git version " "git"
	eq "$(printf '%s\n' "$OUT" | sed -n '2,$p')" "bash-ok 42
1
0" "bash, env, id in the host image"
}

t_host_git_works_in_volume() {
	local d
	d=$(scratch)
	pcap -v "$d:/work" -w /work -e HOME=/tmp host /bin/sh -c 'git init -q . && git -c user.email=a@b -c user.name=t commit -q --allow-empty -m x && git log --format=%s'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" x "git commit in a volume"
	[ -d "$d/.git" ] || fail "no .git on the host"
}

t_host_writes_vanish() {
	pcap host /bin/sh -c 'touch /newfile && echo root-writable; echo x > /tmp/y && echo tmp-writable'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "root-writable
tmp-writable" "the host image's writable layer"
	[ ! -e /newfile ] || fail "/newfile appeared on the host"
}

t_host_default_command() {
	local o
	o=$(echo 'echo host-default-sh' | prun -i host 2>/dev/null)
	eq "$o" "host-default-sh" "host image without a command runs /bin/sh"
}
