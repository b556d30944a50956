# Helpers for integration tests (sourced in each test's subshell).
#
#   it_mode MODE     set MODE, ROOTFS, RUNAS for root|subid|single
#   prun ARGS...     `paude run ARGS...` as this mode's user (stdout+stderr kept apart)
#   pexec CMD...     any command as this mode's user
#   R                the mode's busybox rootfs (dir:$R)
#   fail MSG         fail the test;  skip REASON  skip it (exit 77)
#   eq A B MSG / contains HAY NEEDLE MSG / not_contains / status_is RC WANT MSG

it_mode() {
	MODE=$1
	PAUDE=$IT_DIR/bin/paude
	PROBE=/bin/pd-probe
	case $MODE in
	root)   RUNUSER=""; R=$IT_DIR/rootfs-root ;;
	subid)  RUNUSER=$IT_SUB_USER; R=$IT_DIR/rootfs-$IT_SUB_USER ;;
	single) RUNUSER=$IT_SINGLE_USER; R=$IT_DIR/rootfs-$IT_SINGLE_USER ;;
	*) echo "unknown mode $MODE"; exit 1 ;;
	esac
	IMG=dir:$R
	export MODE PAUDE PROBE R IMG RUNUSER
}

pexec() {
	if [ -z "$RUNUSER" ]; then
		"$@"
	else
		local uid
		uid=$(id -u "$RUNUSER")
		setpriv --reuid="$uid" --regid="$(id -g "$RUNUSER")" --init-groups \
			env -i HOME="/home/$RUNUSER" USER="$RUNUSER" LOGNAME="$RUNUSER" \
			PATH="$IT_DIR/bin:/usr/local/bin:/usr/bin:/bin" XDG_RUNTIME_DIR="/run/user/$uid" \
			${PEXEC_ENV:-} "$@"
	fi
}

prun() { pexec "$PAUDE" run "$@"; }

# A scratch directory the mode's user owns (for volumes and hostile trees).
scratch() {
	local d
	d=$(mktemp -d "$IT_DIR/scratch.XXXXXX")
	chmod 755 "$d"
	[ -z "$RUNUSER" ] || chown "$RUNUSER:" "$d"
	echo "$d"
}

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }

eq() {
	[ "$1" = "$2" ] || fail "${3:-values differ}: expected [$2], got [$1]"
}
contains() {
	case $1 in *"$2"*) ;; *) fail "${3:-missing text}: [$2] not in output:
$1" ;; esac
}
not_contains() {
	case $1 in *"$2"*) fail "${3:-unexpected text}: [$2] found in output:
$1" ;; esac
}
status_is() {
	[ "$1" = "$2" ] || fail "${3:-exit status}: expected $2, got $1"
}
# line OUTPUT KEY -> the value of "KEY=..." in probe output
val() { printf '%s\n' "$1" | sed -n "s/^$2=//p" | head -n 1; }
