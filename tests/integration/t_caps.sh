# --cap-add: podman's default capabilities only, in the sandbox's own user
# namespace, kept across exec (ambient); nothing else, and never "all".

t_caps_add_chown() {
	# CAP_CHOWN (bit 0) alone, in every set the command has; chown works.
	pcap --cap-add CHOWN --cap-add cap_fowner "$IMG" /bin/sh -c 'grep -E "^Cap(Prm|Eff|Bnd|Amb):" /proc/self/status | tr -s "\t " " "
		touch /tmp/f && chown 0:0 /tmp/f && echo chowned'
	status_is "$RC" 0 "($ERR)"
	eq "$OUT" "CapPrm: 0000000000000009
CapEff: 0000000000000009
CapBnd: 0000000000000009
CapAmb: 0000000000000009
chowned" "capabilities of a command with --cap-add CHOWN --cap-add FOWNER"
}

t_caps_default_none() {
	pcap "$IMG" /bin/sh -c 'touch /tmp/f; chown 1:1 /tmp/f 2>/dev/null && echo chowned || echo refused'
	maps_ids || { eq "$OUT" "refused" "chown to an unmapped id"; return 0; }
	eq "$OUT" "refused" "chown without --cap-add CHOWN"
}

t_caps_refused() {
	local c
	for c in all ALL SYS_ADMIN NET_ADMIN SETFCAP bogus; do
		pcap --cap-add "$c" "$IMG" true
		status_is "$RC" 125 "--cap-add $c"
	done
	contains "$ERR" "paude: --cap-add \"bogus\": not one of podman's default capabilities" "the error"
	pcap --cap-add SETFCAP "$IMG" true
	contains "$ERR" "not SETFCAP: a file capability in a volume would be host root's" "SETFCAP"
	pcap --cap-add all "$IMG" true
	contains "$ERR" "paude: --cap-add \"all\": refused: name the capabilities" "the error for all"
}
