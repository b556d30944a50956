# --userns=keep-id: rootless with a subuid range, the invoking user is the
# command's user (its uid and gid) and the range maps around it, so files it
# writes in a volume are the user's own.  Refused, with the reason, as root
# and without a range.

t_userns_keep_id() {
	local d
	d=$(scratch)
	pcap --userns=keep-id -v "$d:/src" "$IMG" /bin/sh -c 'id -u; id -g; echo x > /src/made; cat /proc/self/uid_map | wc -l'
	case $MODE in
	subid)
		status_is "$RC" 0 "($ERR)"
		local uid gid
		uid=$(id -u "$RUNUSER"); gid=$(id -g "$RUNUSER")
		eq "$OUT" "$uid
$gid
3" "the command's ids and the map's ranges"
		eq "$(stat -c %u:%g "$d/made")" "$uid:$gid" "the owner of a file it wrote, on the host"
		;;
	root)
		status_is "$RC" 125
		contains "$ERR" "paude: --userns=keep-id is for rootless runs" "the error"
		;;
	single)
		status_is "$RC" 125
		contains "$ERR" "paude: --userns=keep-id needs a range of 65536 subordinate ids" "the error"
		;;
	*) fail "unknown mode" ;;
	esac
}

t_userns_bad_mode_refused() {
	pcap --userns=auto "$IMG" true
	status_is "$RC" 125
	contains "$ERR" "paude: --userns \"auto\": unsupported (this build offers \"keep-id\")" "the error"
}
