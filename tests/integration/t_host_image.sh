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
	if [ -e /usr/x ] || [ -e /usr/bin/x ] || [ -d /usr/d ]; then fail "a write reached the host's /usr"; fi
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

# What the host image may show outside /usr (README: the merged-usr links and
# a safe subset of /etc), and of /etc (src/image.c, and the generated files).
HOST_TOP="bin etc lib lib32 lib64 libx32 sbin tmp"
HOST_ETC="alternatives bash.bashrc ca-certificates ca-certificates.conf environment gitconfig
group hostname hosts ld.so.cache ld.so.conf ld.so.conf.d localtime nsswitch.conf os-release
passwd profile resolv.conf ssl terminfo"
HOST_ETC_SSL="certs openssl.cnf"

t_host_no_private_keys() {
	# Everything the image shows but /usr and the kernel filesystems,
	# through its bind mounts too (find -xdev would stop at them).
	pcap host /bin/sh -c 'find / \( -path /proc -o -path /sys -o -path /dev -o -path /usr \) -prune -o -print 2>/dev/null'
	status_is "$RC" 0 "($ERR)"
	local keys cert bad
	keys=$(printf '%s\n' "$OUT" | grep -E '(\.key|_key|/id_rsa[^/]*|/id_ed25519[^/]*|/ssh_host[^/]*|/private)$' || true)
	eq "$keys" "" "private keys in the host image"
	# The walk did reach into a bind mount.
	cert=$(find /etc/ssl/certs -mindepth 1 -maxdepth 1 2>/dev/null | sort | head -n 1)
	[ -n "$cert" ] || fail "this host has nothing in /etc/ssl/certs: the walk proves nothing"
	printf '%s\n' "$OUT" | grep -qxF -- "$cert" || fail "the walk did not reach $cert (a bind mount): $(printf '%s' "$OUT" | head -c 300)"
	# Nothing but the documented entries, at / and in /etc.
	bad=$(printf '%s\n' "$OUT" | awk -F/ -v top="$HOST_TOP" -v etc="$HOST_ETC" -v ssl="$HOST_ETC_SSL" '
		BEGIN { split(top, a, " "); for (i in a) T[a[i]] = 1
			n = split(etc, b, /[ \n]+/); for (i = 1; i <= n; i++) E[b[i]] = 1
			split(ssl, c, " "); for (i in c) S[c[i]] = 1 }
		$0 == "/" { next }
		!($2 in T) || ($2 == "etc" && NF >= 3 && !($3 in E)) ||
			($2 == "etc" && $3 == "ssl" && NF >= 4 && !($4 in S)) { print }')
	eq "$bad" "" "entries of the host image beyond the documented ones"
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

# A bind under one of the host image's links (/bin -> usr/bin, into the
# read-only /usr) is refused with the reason; it never turns /bin into an
# empty directory of the writable layer (which loses /bin/sh).
t_host_bind_under_link() {
	local d
	d=$(scratch)
	echo extra >"$d/f"
	chmod 644 "$d/f"
	pcap -v "$d:/bin/pd-extra-dir:ro" host /bin/sh -c 'echo ran'
	status_is "$RC" 125 "a bind under /bin of the host image"
	contains "$ERR" 'mount destination "/bin" leads into another mount' "the reason ($ERR)"
	pcap -v "$d:/opt/x:ro" host /bin/sh -c 'test -L /bin && test -x /bin/sh && cat /opt/x/f'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "extra" "/bin is still the image's link beside other binds"
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
