#!/bin/bash
# make bench: start-up time of `paude run --network none dir:R /bin/true` against bubblewrap
# and crun, in the same run, rootless and as root; medians and ratios.
#
# Rules (../docs/BENCHMARKS.md): ratios compare the same mapping mode on both
# sides: rootless single-id paude against rootless bwrap and crun (each maps
# just the user); paude's subuid-range mode and root mode report their own
# figures beside them.  hyperfine -N (no shell), warm-up runs, then RUNS runs.
# Memory per sandbox: PSS (and RSS) of what stays up while a sandbox sleeps.
#
# crun 1.8 refuses this host's hybrid cgroup layout (a controller bound to the
# cgroup2 hierarchy), so every command is timed in one private mount namespace
# where /sys/fs/cgroup/unified is unmounted; nothing in the host changes.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-$TOP/build}
RUNS=${RUNS:-300}
WARMUP=${WARMUP:-30}
[ "$(id -u)" = 0 ] || { echo "make bench runs as root (it creates the unprivileged bench users)" >&2; exit 1; }

need=""
for p in bubblewrap crun hyperfine busybox-static uidmap; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
	echo "bench: installing$need"
	# shellcheck disable=SC2086 # a list of package names
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi

W=$(mktemp -d /tmp/paude-bench.XXXXXX)
chmod 755 "$W"
trap 'rm -rf "$W"' EXIT
cp "$BUILD/paude" "$W/paude"

SINGLE=paudeb-single
SUB=paudeb-sub
for u in $SINGLE $SUB; do
	id "$u" >/dev/null 2>&1 || useradd -M -s /bin/sh "$u"
	sed -i "/^$u:/d" /etc/subuid /etc/subgid
done
echo "$SUB:400000:65536" >> /etc/subuid
echo "$SUB:400000:65536" >> /etc/subgid

make_rootfs() {
	mkdir -p "$1"/{bin,etc,tmp,proc,dev,sys}
	cp /bin/busybox "$1/bin/busybox"
	ln -s busybox "$1/bin/sh"
	ln -s busybox "$1/bin/true"
	ln -s busybox "$1/bin/sleep"
	ln -s busybox "$1/bin/setpriv"
	echo 'root:x:0:0:root:/root:/bin/sh' > "$1/etc/passwd"
	chmod 1777 "$1/tmp"
}
make_rootfs "$W/root-rootfs"
for u in $SINGLE $SUB; do
	cp -a "$W/root-rootfs" "$W/$u-rootfs"
	chown -R "$u:" "$W/$u-rootfs"
done

# crun bundle: the same confinement crun's own `spec` asks for, /bin/true,
# no capabilities, masked and read-only paths; rootless maps just the user.
crun_bundle() {   # DIR ROOTFS UID GID   (UID empty: root, no user namespace)
	local userns="" maps=""
	if [ -n "$3" ]; then
		userns=', {"type": "user"}'
		maps=', "uidMappings": [{"containerID": 0, "hostID": '$3', "size": 1}], "gidMappings": [{"containerID": 0, "hostID": '$4', "size": 1}]'
	fi
	mkdir -p "$1"
	cat > "$1/config.json" <<EOF
{
  "ociVersion": "1.0.0",
  "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["/bin/true"],
    "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "cwd": "/", "noNewPrivileges": true,
    "capabilities": {"bounding": [], "effective": [], "permitted": [], "inheritable": [], "ambient": []}},
  "root": {"path": "$2", "readonly": true},
  "hostname": "crun",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid","strictatime","mode=755","size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid","noexec","nodev","mode=1777","size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid","noexec","nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid","noexec","nodev","ro"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid","nodev","mode=1777"]}
  ],
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}$userns]$maps,
    "maskedPaths": ["/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/sys/firmware","/proc/scsi"],
    "readonlyPaths": ["/proc/asound","/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]
  }
}
EOF
	chmod -R a+rX "$1"
}
crun_bundle "$W/crun-root" "$W/root-rootfs" "" ""
crun_bundle "$W/crun-single" "$W/$SINGLE-rootfs" "$(id -u $SINGLE)" "$(id -g $SINGLE)"
mkdir -p "$W/crun-state-root" "$W/crun-state-single" "$W/out"
chown $SINGLE: "$W/crun-state-single"
chmod 777 "$W/out"

bwrap_cmd() { echo "bwrap --unshare-all --ro-bind $1 / --proc /proc --dev /dev --tmpfs /tmp /bin/true"; }

as_user() {   # USER CMD...
	local u=$1; shift
	setpriv --reuid="$(id -u "$u")" --regid="$(id -g "$u")" --init-groups \
		env -i HOME=/ PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$W" "$@"
}

run_hyperfine() {   # NAME USER COMMANDS...
	local name=$1 user=$2; shift 2
	local args=(-N --style none -w "$WARMUP" -r "$RUNS" --export-csv "$W/out/$name.csv")
	if [ "$user" = root ]; then
		hyperfine "${args[@]}" "$@" >/dev/null 2>"$W/out/$name.err" || { cat "$W/out/$name.err"; return 1; }
	else
		as_user "$user" hyperfine "${args[@]}" "$@" >/dev/null 2>"$W/out/$name.err" || { cat "$W/out/$name.err"; return 1; }
	fi
}

# Everything below runs inside one private mount namespace (see the top).
bench_all() {
	umount /sys/fs/cgroup/unified 2>/dev/null || true
	run_hyperfine rootless-single $SINGLE \
		"$W/paude run --network none dir:$W/$SINGLE-rootfs /bin/true" \
		"$(bwrap_cmd "$W/$SINGLE-rootfs")" \
		"crun --cgroup-manager=disabled --root $W/crun-state-single run --bundle $W/crun-single b"
	run_hyperfine rootless-subid $SUB \
		"$W/paude run --network none dir:$W/$SUB-rootfs /bin/true"
	run_hyperfine root root \
		"$W/paude run --network none dir:$W/root-rootfs /bin/true" \
		"$(bwrap_cmd "$W/root-rootfs")" \
		"crun --cgroup-manager=disabled --root $W/crun-state-root run --bundle $W/crun-root b"
}
export -f bench_all run_hyperfine as_user bwrap_cmd
export W SINGLE SUB RUNS WARMUP
echo "bench: $RUNS runs each (after $WARMUP warm-up runs), rootless and root"
unshare -m --propagation private bash -c bench_all

median_ms() {   # CSV ROW(1-based) -> median in ms
	awk -F, -v r="$2" 'NR == r + 1 { printf "%.2f", $4 * 1000 }' "$1"
}
report() {   # FILE TITLE NAMES...
	local f=$1 title=$2 i=1 base=""
	shift 2
	echo
	echo "$title"
	for n in "$@"; do
		local m
		m=$(median_ms "$f" $i)
		if [ -z "$base" ]; then base=$m; printf "  %-34s median %7s ms\n" "$n" "$m"
		else printf "  %-34s median %7s ms   paude/%s = %.2f\n" "$n" "$m" "${n%% *}" "$(echo "$base $m" | awk '{print $1/$2}')"; fi
		i=$((i + 1))
	done
}
report "$W/out/rootless-single.csv" "rootless, single-id map (user $SINGLE):" \
	"paude run" "bwrap --unshare-all" "crun run"
report "$W/out/rootless-subid.csv" "rootless, subuid range via newuidmap (user $SUB):" "paude run"
report "$W/out/root.csv" "root (paude: the paude subuid range + idmapped rootfs; crun: no userns):" \
	"paude run" "bwrap --unshare-all" "crun run"

# Memory that stays up per sandbox while its command sleeps: paude keeps its
# supervisor on the host and init inside; bwrap keeps its monitor and init.
pss_of() {   # PIDS... -> "PSS_kB RSS_kB"
	local pss=0 rss=0 p
	for p in "$@"; do
		[ -r "/proc/$p/smaps_rollup" ] || continue
		pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")))
		rss=$((rss + $(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup")))
	done
	echo "$pss $rss"
}
mem_of() {   # TITLE CMD...  (as root; the command's process tree minus the sleeper)
	local title=$1; shift
	"$@" &
	local top=$!
	sleep 0.5
	local all=("$top") frontier=("$top") next p keep=()
	while [ ${#frontier[@]} -gt 0 ]; do
		next=()
		for p in "${frontier[@]}"; do
			for c in $(ps -o pid= --ppid "$p"); do next+=("$c"); all+=("$c"); done
		done
		frontier=("${next[@]}")
	done
	for p in "${all[@]}"; do
		[ "$(ps -o comm= -p "$p")" = sleep ] || keep+=("$p")
	done
	read -r pss rss <<<"$(pss_of "${keep[@]}")"
	printf "  %-34s PSS %6s kB   RSS %6s kB   (%s processes)\n" "$title" "$pss" "$rss" "${#keep[@]}"
	kill -KILL $top 2>/dev/null; wait $top 2>/dev/null || true
}
echo
echo "memory kept up per sandbox (root, command sleeping):"
mem_of "paude run" "$W/paude" run --network none "dir:$W/root-rootfs" /bin/sleep 3$$
mem_of "bwrap --unshare-all" bwrap --unshare-all --die-with-parent --ro-bind "$W/root-rootfs" / --proc /proc --dev /dev --tmpfs /tmp /bin/sleep 3$$

# exec into a running sandbox: pd_sandbox_exec of /bin/true through the
# runtime's test driver (median of RUNS, timed inside it), against nsenter
# into a running sandbox's namespaces + the image's (busybox) setpriv setting
# no_new_privs: the nearest the usual tools come to the same confinement
# (no capability drop beyond what nsenter does, no seccomp, no cgroup join).
cp "$BUILD/tests/pd-drive" "$W/pd-drive"
echo
echo "exec into a running sandbox (/bin/true, $RUNS runs):"
printf "  %-34s %s\n" "pd_sandbox_exec, root" \
	"$("$W/pd-drive" --bench "$RUNS" "$W/root-rootfs" /bin/true 2>&1 | sed -n 's/^pd-drive: exec //p')"
printf "  %-34s %s\n" "pd_sandbox_exec, rootless single" \
	"$(as_user $SINGLE "$W/pd-drive" --bench "$RUNS" "$W/$SINGLE-rootfs" /bin/true 2>&1 | sed -n 's/^pd-drive: exec //p')"
printf "  %-34s %s\n" "pd_sandbox_exec, rootless subuid" \
	"$(as_user $SUB "$W/pd-drive" --bench "$RUNS" "$W/$SUB-rootfs" /bin/true 2>&1 | sed -n 's/^pd-drive: exec //p')"
"$W/paude" run "dir:$W/root-rootfs" /bin/sleep 6$$ &
sleeper=$!
init=""
# The sandbox's init, once its namespaces are complete (a child seen earlier
# may be a short-lived helper, or init before its root is in place).
for _ in $(seq 1 100); do
	init=$(ps -o pid= --ppid "$sleeper" | tr -d ' ' | head -n 1)
	[ -n "$init" ] && nsenter -t "$init" -a /bin/true 2>/dev/null && break
	sleep 0.05
done
hyperfine -N --style none -w "$WARMUP" -r "$RUNS" --export-csv "$W/out/nsenter.csv" \
	"nsenter -t $init -a /bin/setpriv --nnp /bin/true" \
	>/dev/null 2>"$W/out/nsenter.err" || cat "$W/out/nsenter.err"
printf "  %-34s median %s ms\n" "nsenter -a + setpriv --nnp, root" "$(median_ms "$W/out/nsenter.csv" 1)"
kill -KILL "$sleeper" 2>/dev/null; wait "$sleeper" 2>/dev/null || true
