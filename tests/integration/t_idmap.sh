# Id maps: what each mode maps, and which host ids the sandbox runs as.

# norm: /proc/PID/uid_map with the columns' padding squeezed.
norm() { printf '%s\n' "$1" | awk 'NF { print $1, $2, $3 }'; }

t_idmap_maps() {
	local uid gid start want_u want_g
	pcap "$IMG" /bin/sh -c 'cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; cat /proc/self/setgroups'
	status_is "$RC" 0 "($ERR)"
	local umap gmap sg
	umap=$(norm "$(printf '%s\n' "$OUT" | sed -n '1,/^--$/p' | sed '$d')")
	gmap=$(norm "$(printf '%s\n' "$OUT" | sed -n '/^--$/,/^--$/p' | sed '1d;$d')")
	sg=$(printf '%s\n' "$OUT" | tail -n 1)
	case $MODE in
	root)
		start=$(paude_range_start)
		[ -n "$start" ] || fail "no paude entry in /etc/subuid after a root run"
		[ "$start" -gt 65535 ] || fail "paude range starts at $start, inside the ids users own"
		want_u="0 $start 65536"
		want_g="0 $(sed -n 's/^paude:\([0-9][0-9]*\):.*/\1/p' /etc/subgid | head -n 1) 65536"
		eq "$sg" allow "setgroups"
		;;
	subid)
		uid=$(id -u "$RUNUSER")
		gid=$(id -g "$RUNUSER")
		want_u="0 $uid 1
1 $IT_SUB_START 65536"
		want_g="0 $gid 1
1 $IT_SUB_START 65536"
		eq "$sg" allow "setgroups"
		;;
	single)
		uid=$(id -u "$RUNUSER")
		gid=$(id -g "$RUNUSER")
		want_u="0 $uid 1"
		want_g="0 $gid 1"
		eq "$sg" deny "setgroups"
		;;
	esac
	eq "$umap" "$want_u" "uid_map"
	eq "$gmap" "$want_g" "gid_map"
}

t_idmap_root_range_is_nobodys() {
	if [ "$MODE" != root ]; then
		# Rootless, paude only reads /etc/subuid and /etc/subgid.
		local before
		before=$(md5sum /etc/subuid /etc/subgid)
		prun "$IMG" true 2>/dev/null
		eq "$(md5sum /etc/subuid /etc/subgid)" "$before" "/etc/subuid, /etc/subgid after a rootless run"
		return 0
	fi
	local start n
	start=$(paude_range_start)
	# The range overlaps no other /etc/subuid entry and no account.
	n=$(awk -F: -v s="$start" '$1 != "paude" && $2 < s + 65536 && s < $2 + $3' /etc/subuid | wc -l)
	eq "$n" 0 "entries of /etc/subuid overlapping paude's range"
	n=$(awk -F: -v s="$start" '$3 >= s && $3 < s + 65536' /etc/passwd | wc -l)
	eq "$n" 0 "accounts inside paude's range"
}

t_idmap_single_note() {
	pcap "$IMG" true
	status_is "$RC" 0
	local notes
	notes=$(printf '%s\n' "$ERR" | grep -c 'subordinate ids' || true)
	if [ "$MODE" = single ]; then
		eq "$notes" 1 "one note about the missing subordinate ids ($ERR)"
		contains "$ERR" "usermod --add-subuids"
	else
		eq "$ERR" "" "nothing on stderr"
	fi
}

# host_ids_of PATTERN: "uid gid" of the host process whose cmdline matches.
host_ids_of() {
	local pid
	pid=$(pgrep -f -- "$1" | head -n 1)
	[ -n "$pid" ] || return 1
	awk '/^Uid:/ { u = $2 } /^Gid:/ { g = $2 } END { print u, g }' "/proc/$pid/status"
}

t_idmap_host_side_ids() {
	local out mark ids
	out=$(mktemp -p "$IT_DIR")
	mark="sleep 31.$$"
	pbg "$out" "$IMG" pd-probe sleep "31.$$"
	wait_for_proc "$mark"
	ids=$(host_ids_of "^pd-probe $mark")
	kill -TERM "$BG_PID"; wait "$BG_PID" || true
	case $MODE in
	root)   eq "$ids" "$(paude_range_start) $(sed -n 's/^paude:\([0-9][0-9]*\):.*/\1/p' /etc/subgid | head -n 1)" "host ids of the sandbox's root" ;;
	*)      eq "$ids" "$(id -u "$RUNUSER") $(id -g "$RUNUSER")" "host ids of the sandbox's root" ;;
	esac
	[ "${ids%% *}" != 0 ] || fail "the sandbox runs as host uid 0"
	# paude's init too.
	pbg "$out" "$IMG" pd-probe sleep "32.$$"
	wait_for_proc "sleep 32.$$"
	local init iu
	init=$(init_pid "$BG_PID")
	iu=""
	[ -z "$init" ] || iu=$(awk '/^Uid:/ { print $2 }' "/proc/$init/status")
	kill -TERM "$BG_PID"; wait "$BG_PID" || true
	[ -n "$init" ] || fail "no paude-init child of paude"
	eq "$iu" "$HOST_UID" "the host uid of paude-init"
}

t_idmap_host_side_user() {
	maps_ids || { single_refuses_user 1000; return 0; }
	local out ids want
	out=$(mktemp -p "$IT_DIR")
	pbg "$out" --user 1000 "$IMG" pd-probe sleep "33.$$"
	wait_for_proc "sleep 33.$$"
	ids=$(host_ids_of "^pd-probe sleep 33.$$")
	kill -TERM "$BG_PID"; wait "$BG_PID" || true
	case $MODE in
	root)  want="$(( $(paude_range_start) + 1000 ))" ;;
	subid) want="$(( IT_SUB_START + 999 ))" ;;
	esac
	eq "${ids%% *}" "$want" "host uid of container uid 1000 ($(cat "$out"))"
}

wait_for_proc() {
	local i=0
	while ! pgrep -f -- "^pd-probe $1" >/dev/null; do
		i=$((i + 1))
		[ $i -le 200 ] || fail "the sandbox's command [$1] never appeared"
		sleep 0.05
	done
}

# As root, paude adds its "paude" range to /etc/subuid and /etc/subgid when
# missing: under shadow's lock protocol (a stale lock is taken over, a live
# one is respected), keeping the files' mode even under umask 077.  Done on a
# copy of /etc in a private mount namespace.  Rootless never touches them.
t_idmap_root_range_added() {
	if [ "$MODE" != root ]; then
		local before
		before=$(md5sum /etc/subuid /etc/subgid)
		prun "$IMG" true
		eq "$(md5sum /etc/subuid /etc/subgid)" "$before" "rootless left /etc/subuid alone"
		return 0
	fi
	local d out
	d=$(scratch)
	cp -a /etc "$d/etc"
	sed -i '/^paude:/d' "$d/etc/subuid" "$d/etc/subgid"
	chmod 644 "$d/etc/subuid" "$d/etc/subgid"
	echo 999999 > "$d/etc/subgid.lock"      # a stale lock: no such pid
	out=$(unshare -m --propagation private sh -c "
		mount --bind '$d/etc' /etc || exit 9
		umask 077
		'$PAUDE' run '$IMG' cat /proc/self/uid_map || exit 8
		sleep 30 & echo \$! > /etc/subuid.lock
		sed -i '/^paude:/d' /etc/subuid
		'$PAUDE' run '$IMG' true; echo rc=\$?
		kill \$! 2>/dev/null; true" 2>&1) || fail "run in the private namespace: $out"
	contains "$out" "rc=125" "a live lock is respected"
	contains "$out" "held by another tool"
	grep -q '^paude:[0-9]*:65536$' "$d/etc/subgid" || fail "no paude line in subgid: $(cat "$d/etc/subgid")"
	eq "$(stat -c %a "$d/etc/subuid") $(stat -c %a "$d/etc/subgid")" "644 644" "file modes kept under umask 077"
	[ ! -e "$d/etc/subgid.lock" ] || fail "the stale lock is still there"
	[ -e "$d/etc/subuid.lock" ] || fail "the live lock was removed"
	local start
	start=$(sed -n 's/^paude:\([0-9]*\):65536$/\1/p' "$d/etc/subgid")
	eq "$(printf '%s\n' "$out" | head -n 1 | tr -s ' ' | sed 's/^ //')" "0 $start 65536" \
		"the sandbox maps the range it added"
}
