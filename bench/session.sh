#!/bin/bash
# make bench, the sessions part: what a persistent session costs, rootless and
# as root, in the same run.  Medians and ratios; nothing asserted.
#  - start: `paude start -d NAME` of a stopped session, until the agent's
#    tmux is up (that is when start -d returns).  The agent's own share, a
#    tmux server and session, is estimated apart: `paude exec NAME -- tmux -L
#    B new-session -d ...` less `paude exec NAME -- true`, and taken off the
#    start for an agent-less figure.
#  - exec: `paude exec NAME -- true` against `podman exec CTR true`.
#  - list: `paude list` with NLIST sessions, NLIVE of them running.
#  - memory: PSS (and RSS) of what paude keeps up per idle running session,
#    the supervisor and the sandbox's paude-init (tmux, bash and claude are
#    the agent's), averaged over NMEM running sessions.
#  - beside them: create, stop (of a settled session) and delete, one timed
#    call per session, medians.
#
# Rules (../docs/BENCHMARKS.md):
# - Sessions use the `host` image (git, tmux, bash and claude from the host's
#   /usr) and are made in a temp git repository (one empty commit), named
#   bench-PID-{u,r}N.  Every session the bench made is deleted on exit, on
#   failure too; a supervisor left after that is killed by its pid.
# - Nothing of the host's sessions is seen or changed: the script runs in its
#   own mount namespace where root's /var/lib/paude and /run/paude, root
#   podman's /var/lib/containers and the bench user's /run/user/UID are
#   empty directories of the temp dir (a tmpfs unless DISK=1); HOME is a
#   temp directory (no ~/.claude is copied in), the environment is cleared.
# - Rootless runs are the user paudeb-sub (a subuid range of 65536, as in
#   startup.sh) through setpriv, with XDG_RUNTIME_DIR=/run/user/UID.
# - podman's container: a busybox root filesystem (/bin/busybox) tarred and
#   `podman import`ed (no network), `podman run -d --network none IMG sleep`,
#   vfs storage, --root/--runroot/--tmpdir in the temp dir; root podman gets
#   nofile and nproc limits it may set (this host gives root no
#   CAP_SYS_RESOURCE).  crun 1.8 refuses this host's hybrid cgroup layout:
#   podman (and the exec comparison's hyperfine) run in a nested mount
#   namespace without /sys/fs/cgroup/unified; paude's supervisors do not.
# - hyperfine -N: exec WARMUP then ERUNS runs, start SRUNS runs with
#   --prepare 'paude stop NAME', list WARMUP then LRUNS runs.  The exec and
#   start runs use a session whose agent has settled (claude, with no way
#   out, has given up and left bash), with NMEM - 1 more sessions running.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=$(cd "${BUILD:-$TOP/build}" && pwd)
SRUNS=${SRUNS:-20}    # timed starts
ERUNS=${ERUNS:-200}   # timed execs per command
LRUNS=${LRUNS:-50}    # timed lists
WARMUP=${WARMUP:-5}   # warm-up runs (exec, list; start: 1)
NLIST=${NLIST:-50}    # sessions made per mode (listed)
NMEM=${NMEM:-20}      # running sessions for the memory figure
NLIVE=${NLIVE:-5}     # running sessions while listing
[ "$(id -u)" = 0 ] || { echo "bench/session.sh runs as root (it creates the unprivileged bench user)" >&2; exit 1; }
[ -x "$BUILD/paude" ] || { echo "bench/session.sh: $BUILD/paude missing (make)" >&2; exit 1; }
if [ "$NLIST" -lt "$NMEM" ] || [ "$NMEM" -lt "$NLIVE" ] || [ "$NLIVE" -lt 1 ]; then
	echo "bench/session.sh: needs NLIST >= NMEM >= NLIVE >= 1" >&2
	exit 1
fi

# All of it in a private mount namespace: the bind mounts over the stores end
# with the script.
if [ "${PAUDE_SESSBENCH_NS:-}" != "$$" ]; then
	exec env PAUDE_SESSBENCH_NS=$$ unshare -m --propagation private bash "$0" "$@"
fi
unset PAUDE_SESSBENCH_NS

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
need=""
for p in hyperfine uidmap podman busybox-static git tmux; do
	installed "$p" || need="$need $p"
done
if [ -n "$need" ]; then
	echo "bench: installing$need"
	# shellcheck disable=SC2086 # a list of package names
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
command -v claude >/dev/null || { echo "bench/session.sh: the host image needs claude in /usr" >&2; exit 1; }

W=$(mktemp -d /tmp/paude-sessbench.XXXXXX)
[ "${DISK:-0}" = 1 ] || mount -t tmpfs -o mode=755 paude-sessbench "$W"
chmod 755 "$W"
MADE=()       # empty directories made outside $W (mount points), removed on exit
SESS=()       # sessions made (or being made) and not deleted yet: MODE:NAME
CTRS=()       # podman containers: MODE:NAME
RUNDIR=""

# The session's supervisor pids, from its run directory.
sup_pid() {   # MODE NAME
	local f
	if [ "$1" = u ]; then f=$RUNDIR/paude/$2/supervisor.pid; else f=/run/paude/$2/supervisor.pid; fi
	[ -r "$f" ] && tr -dc 0-9 <"$f"
}
cleanup() {
	local m n s p left
	set +e
	for s in "${SESS[@]}"; do
		pd "${s%%:*}" delete "${s#*:}" --confirm >/dev/null 2>&1 ||
			echo "bench: paude delete ${s#*:} failed" >&2
	done
	# a supervisor still up after its session was deleted: by its pid
	for s in "${SESS[@]}"; do
		p=$(sup_pid "${s%%:*}" "${s#*:}")
		[ -z "$p" ] || kill -KILL "$p" 2>/dev/null
	done
	left=$(pgrep -f "^paude supervise bench-$$-")
	if [ -n "$left" ]; then
		echo "bench: supervisors left after delete, killed:" "$left" >&2
		# shellcheck disable=SC2086 # a list of pids
		kill -KILL $left 2>/dev/null
	fi
	for n in "${CTRS[@]}"; do pm "${n%%:*}" rm -f -t 0 "${n#*:}" >/dev/null 2>&1; done
	# rootless podman's pause process
	if [ -n "$RUNDIR" ] && [ -f "$RUNDIR/libpod/tmp/pause.pid" ]; then
		kill -KILL "$(cat "$RUNDIR/libpod/tmp/pause.pid")" 2>/dev/null
	fi
	sleep 0.2
	findmnt -rn -o TARGET | grep -E "^($W|/var/lib/paude|/run/paude|/var/lib/containers|/run/user/${SUID:-none})(/|$)" |
		sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf --one-file-system "$W"
	for m in "${MADE[@]}"; do rmdir "$m" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
cp "$BUILD/paude" "$W/paude"
chmod 755 "$W/paude"
PAUDE=$W/paude

# ---- user, stores, helpers ----

SUB=paudeb-sub
id "$SUB" >/dev/null 2>&1 || useradd -M -s /bin/sh "$SUB"
sed -i "/^$SUB:/d" /etc/subuid /etc/subgid
echo "$SUB:400000:65536" >>/etc/subuid
echo "$SUB:400000:65536" >>/etc/subgid
SUID=$(id -u "$SUB")
SGID=$(id -g "$SUB")

over() {   # DIR OWNER: an empty directory of $W over DIR, in this namespace only
	local d=$1 o=$W/over/${1//\//_}
	if [ ! -d "$d" ]; then
		mkdir -p "$d"
		MADE+=("$d")
	fi
	mkdir -p "$o"
	chown "$2" "$o"
	chmod 700 "$o"
	mount --bind "$o" "$d"
}
over /var/lib/paude root:root
over /run/paude root:root
chmod 755 /run/paude
over /var/lib/containers root:root
over "/run/user/$SUID" "$SUID:$SGID"
RUNDIR=/run/user/$SUID
mkdir -p "$W/home-u" "$W/home-r" "$W/tmp-u" "$W/tmp-r" "$W/res"
chown "$SUID:$SGID" "$W/home-u" "$W/tmp-u"
chmod 777 "$W/res"
R=$W/res

ENVP=(env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C.UTF-8 TERM=xterm)
AS_u=(setpriv --reuid="$SUID" --regid="$SGID" --init-groups
	"${ENVP[@]}" HOME="$W/home-u" XDG_RUNTIME_DIR="$RUNDIR" TMPDIR="$W/tmp-u")
AS_r=("${ENVP[@]}" HOME="$W/home-r" TMPDIR="$W/tmp-r")
as() {   # MODE CMD...: as the bench user (u) or root (r), in a clean environment
	local m=$1
	shift
	if [ "$m" = u ]; then "${AS_u[@]}" "$@"; else "${AS_r[@]}" "$@"; fi
}
pd() { local m=$1; shift; as "$m" "$PAUDE" "$@"; }
# A nested mount namespace without the cgroup2 mount crun 1.8 refuses.
nocg() { unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"' nocg "$@"; }
PM_u=(podman --root "$W/pm-u/root" --runroot "$W/pm-u/run" --storage-driver vfs --cgroup-manager cgroupfs
	--events-backend file --network-config-dir "$W/pm-u/net")
PM_r=(podman --root "$W/pm-r/root" --runroot "$W/pm-r/run" --tmpdir "$W/pm-r/tmp" --storage-driver vfs
	--cgroup-manager cgroupfs --events-backend file --network-config-dir "$W/pm-r/net")
pm() {   # MODE PODMAN-ARGS...
	local m=$1
	shift
	if [ "$m" = u ]; then nocg "${AS_u[@]}" "${PM_u[@]}" "$@"; else nocg "${AS_r[@]}" "${PM_r[@]}" "$@"; fi
}
mkdir -p "$W/pm-u" "$W/pm-r"
chown "$SUID:$SGID" "$W/pm-u"

# The repositories the sessions are made in, one per user.
for m in u r; do
	mkdir -p "$W/repo-$m"
	[ "$m" = r ] || chown "$SUID:$SGID" "$W/repo-$m"
	(cd "$W/repo-$m" && as "$m" git init -q -b main &&
		as "$m" git -c user.email=b@b -c user.name=b commit -q --allow-empty -m bench)
done

# The busybox root filesystem podman imports.
mkdir -p "$W/bb/bin" "$W/bb/etc" "$W/bb/tmp" "$W/bb/proc" "$W/bb/dev" "$W/bb/sys"
cp /bin/busybox "$W/bb/bin/busybox"
for l in sh true sleep; do ln -s busybox "$W/bb/bin/$l"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$W/bb/etc/passwd"
chmod 1777 "$W/bb/tmp"
tar --numeric-owner -C "$W/bb" -cf "$W/bb.tar" .
chmod 644 "$W/bb.tar"

now_ns() { date +%s%N; }
# One timed call, its microseconds appended to FILE; its output to the log.
timed() {   # FILE CMD...
	local f=$1 t0 t1
	shift
	t0=$(now_ns)
	"$@" >>"$W/log" 2>&1 || { echo "bench: failed: $*" >&2; tail -n 5 "$W/log" >&2; return 1; }
	t1=$(now_ns)
	echo $(((t1 - t0) / 1000)) >>"$f"
}
hf() {   # MODE NAME [nocg] HYPERFINE-ARGS...: hyperfine as MODE, medians in $R/NAME.csv
	local m=$1 name=$2 pre=()
	shift 2
	if [ "$1" = nocg ]; then
		pre=(nocg)
		shift
	fi
	if [ "$m" = u ]; then pre+=("${AS_u[@]}"); else pre+=("${AS_r[@]}"); fi
	"${pre[@]}" hyperfine -N --style none --export-csv "$R/$name.csv" "$@" >/dev/null 2>"$W/$name.err" ||
		{ cat "$W/$name.err" >&2; return 1; }
}
# Wait (up to 60 s) until no claude runs under the MODE sessions' supervisors:
# the agent, with no way out, gives up and leaves its shell.
settle() {   # MODE NAMES...
	local m=$1 n roots="" busy
	shift
	for n in "$@"; do roots="$roots $(sup_pid "$m" "$n" || true)"; done
	for _ in $(seq 120); do
		busy=$(ps -e -o pid=,ppid=,args= | awk -v roots="$roots" '
			{ par[$1] = $2; comm[$1] = $3; sub(/.*\//, "", comm[$1]) }
			END {
				split(roots, r, " "); for (i in r) top[r[i]] = 1
				n = 0
				for (p in comm) {
					if (comm[p] != "claude") continue
					for (q = par[p]; q != "" && q > 1; q = par[q]) if (q in top) { n++; break }
				}
				print n
			}')
		[ "$busy" = 0 ] && return 0
		sleep 0.5
	done
	echo "bench: $busy claude processes still up after 60 s" >&2
}
kb() { awk -v k="$1" '/^(Pss|Rss):/ { if ($1 == k ":") print $2 }' "$2"; }
# PSS and RSS of the supervisors and their paude-init, summed.
mem() {   # MODE NAMES... -> "SUP_PSS SUP_RSS INIT_PSS INIT_RSS COUNT" (kB)
	local m=$1 n s i sp=0 sr=0 ip=0 ir=0 c=0
	shift
	for n in "$@"; do
		s=$(sup_pid "$m" "$n") || continue
		i=$(ps -o pid=,args= --ppid "$s" | awk '$2 == "paude-init" && NF == 2 { print $1; exit }')
		if [ -z "$i" ] || [ ! -r "/proc/$s/smaps_rollup" ] || [ ! -r "/proc/$i/smaps_rollup" ]; then
			continue
		fi
		sp=$((sp + $(kb Pss "/proc/$s/smaps_rollup")))
		sr=$((sr + $(kb Rss "/proc/$s/smaps_rollup")))
		ip=$((ip + $(kb Pss "/proc/$i/smaps_rollup")))
		ir=$((ir + $(kb Rss "/proc/$i/smaps_rollup")))
		c=$((c + 1))
	done
	echo "$sp $sr $ip $ir $c"
}

# ---- one mode: rootless (u) or root (r) ----

bench_mode() {   # MODE
	local m=$1 i n names=() s1 ctr
	for i in $(seq 1 "$NLIST"); do names+=("bench-$$-$m$i"); done
	s1=${names[0]}

	echo "bench: $([ "$m" = u ] && echo "rootless ($SUB)" || echo root): creating $NLIST sessions"
	for n in "${names[@]}"; do
		SESS+=("$m:$n")
		(cd "$W/repo-$m" && timed "$R/create.$m" pd "$m" create --image host "$n")
	done
	for n in "${names[@]:$NMEM}"; do timed "$R/stop.$m" pd "$m" stop "$n"; done
	settle "$m" "${names[@]:0:$NMEM}"
	sleep 1
	read -r MEM_SP MEM_SR MEM_IP MEM_IR MEM_N <<<"$(mem "$m" "${names[@]:0:$NMEM}")"
	printf '%s %s %s %s %s\n' "$MEM_SP" "$MEM_SR" "$MEM_IP" "$MEM_IR" "$MEM_N" >"$R/mem.$m"

	echo "bench: exec: paude exec and podman exec, $ERUNS runs each"
	ctr=bench-$$-$m
	pm "$m" import -q "$W/bb.tar" localhost/bench-busybox >>"$W/log" 2>&1
	CTRS+=("$m:$ctr")
	pm "$m" run -d --name "$ctr" --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		localhost/bench-busybox /bin/sleep 86400 >>"$W/log" 2>&1
	local pmc
	if [ "$m" = u ]; then pmc="${PM_u[*]}"; else pmc="${PM_r[*]}"; fi
	hf "$m" "exec.$m" nocg -w "$WARMUP" -r "$ERUNS" "$PAUDE exec $s1 -- true" "$pmc exec $ctr true"
	pm "$m" rm -f -t 0 "$ctr" >>"$W/log" 2>&1

	echo "bench: start: $SRUNS runs; the agent's tmux alone, $SRUNS runs"
	# (the socket goes with the old server: kill-server returns before that
	# server has gone, and a client that reaches it fails)
	local sock=/tmp/paude-bench.tmux
	hf "$m" "tmux.$m" -r "$SRUNS" \
		--prepare "$PAUDE exec $s1 -- sh -c 'tmux -S $sock kill-server 2>/dev/null; rm -f $sock'" \
		"$PAUDE exec $s1 -- tmux -S $sock new-session -d -s claude -x 200 -y 50 -c /pvc/workspace 'sleep 600'"
	pd "$m" exec "$s1" -- sh -c "tmux -S $sock kill-server; rm -f $sock" >>"$W/log" 2>&1 || true
	hf "$m" "start.$m" -w 1 -r "$SRUNS" --prepare "$PAUDE stop $s1" "$PAUDE start -d $s1"
	settle "$m" "$s1"

	echo "bench: list: $NLIST sessions, $NLIVE running, $LRUNS runs"
	for n in "${names[@]:$NLIVE:$((NMEM - NLIVE))}"; do timed "$R/stop.$m" pd "$m" stop "$n"; done
	hf "$m" "list.$m" -w "$WARMUP" -r "$LRUNS" "$PAUDE list"
	pd "$m" list >"$R/list-out.$m" 2>&1 || true

	for n in "${names[@]}"; do timed "$R/delete.$m" pd "$m" delete "$n" --confirm; done
	SESS=()
}

LOAD0=$(cut -d' ' -f1 /proc/loadavg)
bench_mode u
bench_mode r
LOAD1=$(cut -d' ' -f1 /proc/loadavg)

# ---- the report ----

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.1f", v[int((NR + 1) / 2)] / 1000; else print "-" }'; }
med() { if [ -s "$R/$1" ]; then median <"$R/$1"; else echo "-"; fi; }
hmed() {   # CSV ROW -> the median in ms
	[ -s "$R/$1.csv" ] || { echo "-"; return; }
	awk -F, -v r="$2" 'NR == r + 1 { printf "%.2f", $4 * 1000 }' "$R/$1.csv"
}
calc() { awk "BEGIN { a = \"$2\"; b = \"$3\"; if (a == \"-\" || b == \"-\") print \"-\"; else printf \"$1\", $4 }"; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v == "-" ? "no figure" : (v + 0 <= t ? "met" : "missed")) }'; }
memf() {   # MODE FIELD(1-4|pss|rss) -> MiB per session
	awk -v f="$2" '{ n = $5; if (!n) { print "-"; exit }
		v = f == "pss" ? $1 + $3 : f == "rss" ? $2 + $4 : $f
		printf "%.2f", v / n / 1024 }' "$R/mem.$1"
}
declare -A F
for m in u r; do
	F[start.$m]=$(hmed "start.$m" 1)
	F[exec.$m]=$(hmed "exec.$m" 1)
	F[podman.$m]=$(hmed "exec.$m" 2)
	F[list.$m]=$(hmed "list.$m" 1)
	# the agent's tmux: its exec less an exec of true; the start without it
	F[agent.$m]=$(calc %.2f "$(hmed "tmux.$m" 1)" "${F[exec.$m]}" "a - b")
	F[bare.$m]=$(calc %.2f "${F[start.$m]}" "${F[agent.$m]}" "a - b")
	F[ratio.$m]=$(calc %.3f "${F[exec.$m]}" "${F[podman.$m]}" "a / b")
	F[pss.$m]=$(memf "$m" pss)
done

row() {   # TITLE U R [TARGET]
	printf "  %-42s %12s %12s   %s\n" "$1" "$2" "$3" "${4:-}"
}
echo
echo "sessions (paude $("$PAUDE" version 2>/dev/null | awk '{ print $2 }'), image host; $(nproc) CPUs; $(uname -r); podman"
echo "$(dpkg-query -W -f='${Version}' podman), crun $(dpkg-query -W -f='${Version}' crun); stores on $([ "${DISK:-0}" = 1 ] && findmnt -n -o FSTYPE --target "$W" || echo tmpfs); 1-min load average"
echo "$LOAD0 at the start, $LOAD1 at the end; hyperfine medians, ms; memory per session, MiB):"
row "" rootless root target
row "start -d (stopped -> agent's tmux up)" "${F[start.u]}" "${F[start.r]}"
row "  the agent's tmux start (est.)" "${F[agent.u]}" "${F[agent.r]}"
row "  start without the agent (est.)" "${F[bare.u]}" "${F[bare.r]}"
row "exec NAME -- true" "${F[exec.u]}" "${F[exec.r]}" \
	"<= 10 ms: rootless $(verdict "${F[exec.u]}" 10), root $(verdict "${F[exec.r]}" 10)"
row "podman exec CTR true" "${F[podman.u]}" "${F[podman.r]}"
row "  paude exec / podman exec" "${F[ratio.u]}" "${F[ratio.r]}"
row "list ($NLIST sessions, $NLIVE running)" "${F[list.u]}" "${F[list.r]}" \
	"<= 20 ms: rootless $(verdict "${F[list.u]}" 20), root $(verdict "${F[list.r]}" 20)"
row "memory, PSS: supervisor + paude-init" "${F[pss.u]}" "${F[pss.r]}" \
	"<= 4 MiB: rootless $(verdict "${F[pss.u]}" 4), root $(verdict "${F[pss.r]}" 4)"
row "  supervisor / paude-init" "$(memf u 1) / $(memf u 3)" "$(memf r 1) / $(memf r 3)"
row "memory, RSS: supervisor + paude-init" "$(memf u rss)" "$(memf r rss)"
row "  supervisor / paude-init" "$(memf u 2) / $(memf u 4)" "$(memf r 2) / $(memf r 4)"
row "create (back to back, median of $NLIST)" "$(med create.u)" "$(med create.r)"
row "stop (an idle session)" "$(med stop.u)" "$(med stop.r)"
row "delete (stopped or running)" "$(med delete.u)" "$(med delete.r)"
echo "  (memory: averaged over $(awk '{ print $5 }' "$R/mem.u") rootless and $(awk '{ print $5 }' "$R/mem.r") root idle running sessions;"
echo "   start -d includes the agent's own tmux start: the estimate is paude exec of the same"
echo "   tmux new-session -d, on its own server, less paude exec of true)"
