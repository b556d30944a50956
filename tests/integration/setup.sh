# Test setup for run.sh (sourced, as root): users, a busybox rootfs per mode,
# and a copy of the binaries where the unprivileged users can reach them.
#
#   paudet-sub     unprivileged, with a subuid/subgid range (the "subid" mode)
#   paudet-single  unprivileged, without one (the "single" mode)
#
# Everything lives under one mode-0755 directory removed at the end.

IT_SUB_USER=paudet-sub
IT_SINGLE_USER=paudet-single
IT_SUB_START=300000

make_user() {   # NAME [with-subids]
	local u=$1
	id "$u" >/dev/null 2>&1 || useradd -m -s /bin/sh "$u" || return 1
	if [ "${2:-}" = with-subids ]; then
		# Exactly one range, at IT_SUB_START: useradd may have allocated
		# another one (SUB_UID_MIN in login.defs), and the tests expect this.
		local f
		for f in /etc/subuid /etc/subgid; do
			if ! grep -qx "$u:$IT_SUB_START:65536" "$f" 2>/dev/null || [ "$(grep -c "^$u:" "$f")" != 1 ]; then
				sed -i "/^$u:/d" "$f"
				echo "$u:$IT_SUB_START:65536" >>"$f"
			fi
		done
	else
		sed -i "/^$u:/d" /etc/subuid /etc/subgid 2>/dev/null
	fi
	# No logind here: make the runtime directory it would.
	install -d -m 700 -o "$u" -g "$(id -g "$u")" "/run/user/$(id -u "$u")"
}

# A static busybox root filesystem with root, agent (1000) and nobody.
make_rootfs() {   # DIR
	local r=$1 a
	mkdir -p "$r"/{bin,etc,tmp,proc,dev,sys,root,home/agent} || return 1
	cp /bin/busybox "$r/bin/busybox" || return 1
	for a in $("$r/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
	done
	cp "$BUILD/tests/pd-probe" "$r/bin/pd-probe"
	printf 'root:x:0:0:root:/root:/bin/sh\nagent:x:1000:1000:agent:/home/agent:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$r/etc/passwd"
	printf 'root:x:0:\ntty:x:5:agent\nwheel:x:10:agent\nagent:x:1000:\nnogroup:x:65534:\n' > "$r/etc/group"
	printf '#!/bin/sh\necho script-ran\n' > "$r/bin/script.sh"
	chmod 755 "$r/bin/script.sh"
	printf 'not executable\n' > "$r/bin/noexec"
	chmod 644 "$r/bin/noexec"
	chmod 1777 "$r/tmp"
	chown 1000:1000 "$r/home/agent"
}

it_setup() {
	command -v busybox >/dev/null || [ -x /bin/busybox ] || { echo "busybox-static missing (make deps)"; return 1; }
	command -v newuidmap >/dev/null || { echo "newuidmap missing (make deps: package uidmap)"; return 1; }
	IT_DIR=$(mktemp -d /tmp/paude-it.XXXXXX) || return 1
	chmod 755 "$IT_DIR"
	IT_LOGS=$IT_DIR/logs
	mkdir -p "$IT_LOGS" "$IT_DIR/bin"
	cp "$BUILD/paude" "$BUILD/tests/pd-probe" "$BUILD/tests/ptyrun" "$BUILD/tests/pd-drive" "$IT_DIR/bin/"
	# tools the tests run from a private host, where the tree (under /tmp in CI) is hidden
	cp "$TOP/tests/tools/stub_anthropic.py" "$TOP/tests/oci/mkimage.py" "$IT_DIR/bin/"
	make_user "$IT_SUB_USER" with-subids || return 1
	make_user "$IT_SINGLE_USER" || return 1
	make_rootfs "$IT_DIR/rootfs-root" || return 1
	for u in "$IT_SUB_USER" "$IT_SINGLE_USER"; do
		cp -a "$IT_DIR/rootfs-root" "$IT_DIR/rootfs-$u"
		chown -R "$u:" "$IT_DIR/rootfs-$u"
		# agent's home keeps a distinct owner where the mode maps it.
		[ "$u" = "$IT_SUB_USER" ] && chown $((IT_SUB_START + 999)):$((IT_SUB_START + 999)) "$IT_DIR/rootfs-$u/home/agent"
	done
	export IT_DIR IT_LOGS IT_SUB_USER IT_SINGLE_USER IT_SUB_START
	echo "# setup: $IT_DIR"
}

it_teardown() {
	[ -n "${IT_DIR:-}" ] && [ -d "$IT_DIR" ] || return 0
	# A test that failed half-way may have left a host mount in its scratch
	# directory: never remove through one.
	findmnt -rn -o TARGET | grep -F "$IT_DIR/" | sort -r | while read -r m; do umount -l "$m"; done
	rm -rf "$IT_DIR"
}
