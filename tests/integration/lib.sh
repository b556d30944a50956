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
#   without_notes TEXT   TEXT without paude's notes
#   wait_for FILE TEXT [SECONDS]   until FILE contains TEXT (fails on timeout)
#   maps_ids         true when the mode maps more than the container's root
#   single_refuses_user SPEC   single mode: --user SPEC refused, with the fix
#   wait_until SECONDS WHAT 'CODE'  until CODE (evaluated each time) succeeds
#   cg_dir CONTROLLER   this shell's cgroup directory in a v1 hierarchy (run.sh
#                    runs each test in cgroups of its own: paude's are made
#                    inside them)
#   cg_leftovers     the paude-* cgroups under cg_dir of pids, memory, cpu
#   it_pids          every process this test started and that still runs
#                    (its cgroup tree), sandboxes and escaped sessions included
#   it_pgrep REGEX   those of it_pids whose command line matches REGEX
#   init_pid PAUDE-PID   the sandbox's init: paude's child named paude-init
#   in_private_host FUNCTION   FUNCTION in a private mount namespace where
#                    /tmp (but $IT_DIR), /run, /dev/shm and the mode user's
#                    home are new and empty: host state only this test changes

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

# single_refuses_user SPEC: in single mode (only the container's root is
# mapped), --user SPEC is refused with paude's message that names the fix.
single_refuses_user() {
	pcap --user "$1" "$IMG" pd-probe exit 0
	status_is "$RC" 125 "--user $1 in single mode"
	eq "$OUT" "" "--user $1 ran the command in single mode"
	local e
	e=$(errlines "$ERR")
	eq "$(count_lines "$e")" 1 "--user $1: one error line ($ERR)"
	case $e in
	"paude: --user \"$1\" "*"this sandbox maps only uid and gid 0, because $RUNUSER has no subordinate ids; add a range (usermod --add-subuids "*) ;;
	*) fail "--user $1 in single mode: unexpected message [$e]" ;;
	esac
}

# The command prefix that drops to the mode's user (empty for root).
pexec_prefix() {
	PEXEC=()
	[ -n "$RUNUSER" ] || return 0
	local uid
	uid=$(id -u "$RUNUSER")
	# PEXEC_ENV is split into words on purpose.
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
	# shellcheck disable=SC2034   # pbg's result, for the caller
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

# without_notes TEXT -> TEXT without paude's "paude: note: ..." lines
without_notes() { printf '%s\n' "$1" | grep -v '^paude: note: ' || true; }

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

# wait_until SECONDS WHAT 'SHELL CODE': eval the code every 50 ms until it
# succeeds (quote it: it is evaluated anew each time).
wait_until() {
	local secs=$1 what=$2 code=$3 i=0
	until eval "$code"; do
		i=$((i + 1))
		[ $i -le $((secs * 20)) ] || fail "timeout after ${secs}s waiting for $what"
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

# The processes of this test (run.sh puts each test in cgroups of its own;
# IT_CG_TRACK is the one in the pids hierarchy).  Without it: none known.
it_pids() {
	[ -n "${IT_CG_TRACK:-}" ] && [ -d "$IT_CG_TRACK" ] || return 0
	find "$IT_CG_TRACK" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un
}

# it_pgrep REGEX: the pids of it_pids whose command line matches REGEX (ERE).
it_pgrep() {
	local p args
	for p in $(it_pids); do
		args=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || continue
		args=${args% }
		printf '%s\n' "$args" | grep -qE -- "$1" && echo "$p"
	done
	return 0
}

# in_private_host FUNCTION: run FUNCTION (defined in this shell) in a private
# mount namespace of the host in which /tmp, /run, /dev/shm and the mode's
# user's home are new, empty tmpfs ($IT_DIR stays at its path) and nothing
# of the host's later mounts propagates in: the test's before/after views of
# them and of the mount table change only with what the test itself did,
# whatever else runs on the host.
in_private_host() {
	unshare --mount --propagation private -- bash -c "$(declare -f)
		private_host_setup || { echo 'in_private_host: setup failed' >&2; exit 1; }
		set -e
		$1"
}

private_host_setup() {
	local hold=/dev/shm/.paude-it-hold u
	mount -t tmpfs -o mode=1777,size=16m it-shm /dev/shm || return 1
	mkdir "$hold" && mount --bind "$IT_DIR" "$hold" || return 1
	mount -t tmpfs -o mode=1777,size=64m it-tmp /tmp || return 1
	mkdir -p "$IT_DIR" && chmod 755 "$IT_DIR" && mount --move "$hold" "$IT_DIR" && rmdir "$hold" || return 1
	mount -t tmpfs -o mode=755,size=16m it-run /run || return 1
	for u in "$IT_SUB_USER" "$IT_SINGLE_USER"; do
		install -d -m 700 -o "$u" -g "$(id -g "$u")" "/run/user/$(id -u "$u")" || return 1
	done
	if [ -n "$RUNUSER" ]; then
		mount -t tmpfs -o "mode=$(stat -c %a "/home/$RUNUSER"),uid=$(id -u "$RUNUSER"),gid=$(id -g "$RUNUSER"),size=16m" \
			it-home "/home/$RUNUSER" || return 1
	fi
}

# init_pid PAUDE-PID: the sandbox's init, the child of paude named paude-init.
init_pid() {
	local p
	for p in $(pgrep -P "$1"); do
		[ "$(tr -d '\0' 2>/dev/null <"/proc/$p/cmdline")" = paude-init ] && echo "$p"
	done
	return 0
}
