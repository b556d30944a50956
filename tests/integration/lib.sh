# Helpers for integration tests (sourced in each test's subshell, as root).
#
#   it_mode MODE     set MODE, R, IMG, RUNUSER, HOST_UID for root|subid|single
#   prun ARGS...     `paude run ARGS...` as this mode's user
#   pexec CMD...     any command as this mode's user (a clean environment;
#                    PEXEC_ENV="K=V ..." adds variables in the rootless modes)
#   pcap ARGS...     prun, with stdout in OUT, stderr in ERR, status in RC
#                    (PCAP_TIMEOUT=SECONDS: SIGKILL paude after that long)
#   pbg FILE ARGS... prun in the background, stdout+stderr to FILE; the paude
#                    process's own pid in BG_PID
#   R / IMG          the mode's busybox rootfs / "dir:$R"
#   scratch          a new directory the mode's user owns
#   mkroot DIR       a copy of $R at DIR, owned as $R is (for hostile trees)
#   fail MSG         fail the test;  skip REASON  skip it (exit 77)
#   eq A B MSG / contains HAY NEEDLE MSG / not_contains / status_is RC WANT MSG
#   errlines TEXT    paude's own "paude: ..." lines of TEXT, notes left out
#   wait_for FILE TEXT [SECONDS]   until FILE contains TEXT (fails on timeout)
#   maps_ids         true when the mode maps more than the container's root
#   cg_dir CONTROLLER   this shell's cgroup directory in a v1 hierarchy
#   cg_leftovers     the paude-* cgroups under cg_dir of pids, memory, cpu

it_mode() {
	MODE=$1
	PAUDE=$IT_DIR/bin/paude
	PROBE=/bin/pd-probe
	PTYRUN=$IT_DIR/bin/ptyrun
	case $MODE in
	root)   RUNUSER=""; R=$IT_DIR/rootfs-root ;;
	subid)  RUNUSER=$IT_SUB_USER; R=$IT_DIR/rootfs-$IT_SUB_USER ;;
	single) RUNUSER=$IT_SINGLE_USER; R=$IT_DIR/rootfs-$IT_SINGLE_USER ;;
	*) echo "unknown mode $MODE"; exit 1 ;;
	esac
	IMG=dir:$R
	# The host uid that the container's root runs as.
	case $MODE in
	root) HOST_UID=$(paude_range_start) ;;
	*)    HOST_UID=$(id -u "$RUNUSER") ;;
	esac
	export MODE PAUDE PROBE PTYRUN R IMG RUNUSER HOST_UID
}

# Start of the root-mode range: the /etc/subuid entry of "paude".
paude_range_start() { sed -n 's/^paude:\([0-9][0-9]*\):.*/\1/p' /etc/subuid | head -n 1; }

maps_ids() { [ "$MODE" != single ]; }

# The command prefix that drops to the mode's user (empty for root).
pexec_prefix() {
	PEXEC=()
	[ -n "$RUNUSER" ] || return 0
	local uid
	uid=$(id -u "$RUNUSER")
	# shellcheck disable=SC2206
	PEXEC=(setpriv --reuid="$uid" --regid="$(id -g "$RUNUSER")" --init-groups
		env -i HOME="/home/$RUNUSER" USER="$RUNUSER" LOGNAME="$RUNUSER"
		PATH="$IT_DIR/bin:/usr/local/bin:/usr/bin:/bin" XDG_RUNTIME_DIR="/run/user/$uid"
		${PEXEC_ENV:-})
}

pexec() {
	pexec_prefix
	"${PEXEC[@]}" "$@"
}

prun() { pexec "$PAUDE" run "$@"; }

pcap() {
	local o e
	o=$(mktemp -p "$IT_DIR" out.XXXXXX)
	e=$(mktemp -p "$IT_DIR" err.XXXXXX)
	RC=0
	if [ -n "${PCAP_TIMEOUT:-}" ]; then
		# A paude that hangs is killed, and the test sees 137.
		pexec_prefix
		timeout -s KILL "$PCAP_TIMEOUT" "${PEXEC[@]}" "$PAUDE" run "$@" >"$o" 2>"$e" || RC=$?
	else
		prun "$@" >"$o" 2>"$e" || RC=$?
	fi
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	rm -f "$o" "$e"
}

pbg() {
	local out=$1
	shift
	pexec_prefix
	"${PEXEC[@]}" "$PAUDE" run "$@" >"$out" 2>&1 &
	BG_PID=$!
}

# A scratch directory the mode's user owns (for volumes and hostile trees).
scratch() {
	local d
	d=$(mktemp -d "$IT_DIR/scratch.XXXXXX")
	chmod 755 "$d"
	[ -z "$RUNUSER" ] || chown "$RUNUSER:" "$d"
	echo "$d"
}

mkroot() {
	cp -a "$R" "$1"
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

errlines() { printf '%s\n' "$1" | grep '^paude: ' | grep -v '^paude: note: ' || true; }

# count_lines TEXT -> the number of non-empty lines
count_lines() { printf '%s\n' "$1" | grep -c . || true; }

wait_for() {
	local file=$1 text=$2 secs=${3:-10} i=0
	while ! grep -qF -- "$text" "$file" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $((secs * 20)) ] || fail "timeout waiting for [$text] in $file: $(cat "$file" 2>/dev/null)"
		sleep 0.05
	done
}

# Wait until no process matches the pgrep -f PATTERN (fails after SECONDS).
wait_gone() {
	local pat=$1 secs=${2:-5} i=0
	while pgrep -f -- "$pat" >/dev/null; do
		i=$((i + 1))
		[ $i -le $((secs * 20)) ] || fail "processes still running after ${secs}s: $(pgrep -af -- "$pat")"
		sleep 0.05
	done
}

# The directory of this shell's cgroup in the v1 hierarchy of CONTROLLER.
cg_dir() {
	local c=$1 path mnt root
	path=$(awk -F: -v c="$c" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup | head -n 1)
	[ -n "$path" ] || return 1
	# mountinfo: id parent maj:min root mountpoint opts ... - fstype source superopts
	read -r root mnt < <(awk -v c="$c" '{
		for (s = 1; s <= NF; s++) if ($s == "-") break
		if ($(s + 1) != "cgroup") next
		n = split($(s + 3), o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $4, $5; exit } }' /proc/self/mountinfo)
	[ -n "$mnt" ] || return 1
	[ "$root" = / ] || path=${path#"$root"}
	[ "$path" = / ] && path=""
	echo "$mnt$path"
}

cg_leftovers() {
	local c d
	for c in pids memory cpu; do
		d=$(cg_dir "$c") || continue
		find "$d" -maxdepth 1 -mindepth 1 -type d -name 'paude-*' 2>/dev/null
	done | sort
}
