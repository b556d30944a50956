#!/bin/bash
# make bench, the pull part: `paude pull` of a debootstrap --variant=minbase
# image (one gzip layer) from a local docker-registry on 127.0.0.1, against
# rootless `podman pull` (vfs and overlay drivers), root `podman pull`
# (overlay) and `skopeo copy` + `umoci raw unpack`, in the same run, cold and
# with the layer already stored; then `paude run IMAGE /bin/true` against
# `paude run dir:` of the same tree.  Medians and ratios; nothing asserted.
#
# The image: `debootstrap --variant=minbase SUITE` from the mirror apt uses
# here, tarred with GNU tar (numeric ids) and gzipped once, cached in
# /var/cache/paude-bench/ (by suite and architecture) so later runs skip
# debootstrap; each run writes it as a one-layer OCI layout and `skopeo
# copy`s that to a docker-registry serving plain HTTP on a free loopback
# port, its storage in the temp dir.
#
# Rules (../docs/BENCHMARKS.md, "Pull"):
# - Every peer has its own store in the temp dir: paude's rootless store
#   through XDG_DATA_HOME; as root, /var/lib/paude is bind-mounted over with
#   an empty directory (the script runs in its own mount namespace, so the
#   host's store is never seen or changed); podman gets --root, --runroot,
#   --tmpdir (root), --network-config-dir, TMPDIR and HOME there; root
#   skopeo's blob-info cache (/var/lib/containers/cache) is bind-mounted
#   over too.  The temp dir is a tmpfs unless DISK=1 (see the mount below).
# - cold: the image is not in the store.  Before each run the peer's store
#   is wiped and opened again (`paude images`, `podman images`), untimed, and
#   dirty pages are written back (sync), so a run times the pull and the
#   unpack, not the set-up of an empty store or the previous run's writeback.
# - layer stored: the compressed layer and the unpacked layer are in the
#   store, the image's name is not: `paude rmi` before each run (it removes
#   the name and the image record and keeps blobs and layers) and `podman
#   untag` (the image stays, nameless).  Both then fetch the manifest, find
#   the config and the layer stored, and write the name back.  skopeo + umoci
#   keep no unpacked layers: their "stored" run finds the blob in its OCI
#   layout (skopeo skips it) and unpacks it again into a new directory.
# - Peers are interleaved run by run; one untimed warm-up run each; RUNS
#   timed runs, medians.  Rootless runs are the user paudeb-sub (a subuid
#   range of 65536, as in startup.sh) through setpriv, with
#   XDG_RUNTIME_DIR=/run/user/UID (made when missing, removed after with
#   rootless podman's pause process).
#   umoci --rootless maps every file to the user (it uses no subuid range).
# - start: hyperfine -N, WARMUP then SRUNS runs of `paude run --network none
#   IMAGE /bin/true` and `paude run --network none dir:LAYER /bin/true`,
#   where LAYER is the stored image's own unpacked layer: the same tree, the
#   same inodes, so the difference is what a stored image costs (the names
#   index, the record, the config, the holds on image and layers).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=$(cd "${BUILD:-$TOP/build}" && pwd)
RUNS=${RUNS:-5}           # timed pulls per peer and mode
SRUNS=${SRUNS:-100}       # timed starts per command
WARMUP=${WARMUP:-10}      # start warm-up runs
SUITE=${SUITE:-bookworm}  # the debootstrap suite
CACHE=${CACHE:-/var/cache/paude-bench}
[ "$(id -u)" = 0 ] || { echo "bench/pull.sh runs as root (it creates the unprivileged bench user)" >&2; exit 1; }
[ -x "$BUILD/paude" ] || { echo "bench/pull.sh: $BUILD/paude missing (make)" >&2; exit 1; }

# All of it in a private mount namespace: the bind mounts over the stores,
# and whatever debootstrap mounts in its target, end with the script.
if [ "${PAUDE_PULLBENCH_NS:-}" != "$$" ]; then
	exec env PAUDE_PULLBENCH_NS=$$ unshare -m --propagation private bash "$0" "$@"
fi
unset PAUDE_PULLBENCH_NS

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
need=""
for p in debootstrap docker-registry skopeo umoci hyperfine uidmap podman; do
	installed "$p" || need="$need $p"
done
if [ -n "$need" ]; then
	echo "bench: installing$need"
	# podman without its recommends: a pull needs neither slirp4netns nor
	# fuse-overlayfs (rootless overlay is the kernel's own here)
	# shellcheck disable=SC2086 # a list of package names
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

W=$(mktemp -d /tmp/paude-pullbench.XXXXXX)
# Everything (the registry's storage, every store) on a tmpfs unless DISK=1:
# the bench measures the pullers, not the disk.  (This VM's ext4 has no
# journal, and then ext4 skips inodes freed in the last 60-360 s when it
# allocates: files made right after a big tree was removed, as every cold
# run does, get slower run after run.)
[ "${DISK:-0}" = 1 ] || mount -t tmpfs -o mode=755 paude-pullbench "$W"
chmod 755 "$W"
PIDS=()
MADE=()      # empty directories made outside $W (mount points), removed on exit
RUNMADE=""   # /run/user/UID when the bench made it
cleanup() {
	local p m
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	# rootless podman's pause process (started by the bench's runs)
	if [ -n "${RUNDIR:-}" ] && [ -f "$RUNDIR/libpod/tmp/pause.pid" ]; then
		kill -KILL "$(cat "$RUNDIR/libpod/tmp/pause.pid")" 2>/dev/null || true
	fi
	findmnt -rn -o TARGET | grep -E "^($W|/var/lib/paude|/var/lib/containers)(/|$)" | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf --one-file-system "$W"
	for m in "${MADE[@]}"; do rmdir "$m" 2>/dev/null || true; done
	[ -z "$RUNMADE" ] || rm -rf --one-file-system "$RUNMADE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
cp "$BUILD/paude" "$W/paude"
chmod 755 "$W/paude"
PAUDE=$W/paude

# ---- the image ----

# The mirror apt uses for SUITE (deb822 .sources or one-line .list files).
mirror() {
	local f m=""
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		m=$(awk -v s="$SUITE" 'BEGIN { RS = "" }
			{
				deb = 0; ok = 0; uri = ""
				n = split($0, line, "\n")
				for (i = 1; i <= n; i++) {
					if (line[i] ~ /^#/) continue
					if (line[i] ~ /^Types:/ && line[i] ~ /[ \t]deb([ \t]|$)/) deb = 1
					if (line[i] ~ /^URIs:/) { split(line[i], u, /[ \t]+/); uri = u[2] }
					if (line[i] ~ /^Suites:/ && (" " line[i] " ") ~ (" " s " ")) ok = 1
				}
				if (deb && ok && uri != "") { print uri; exit }
			}' "$f")
		[ -n "$m" ] && break
	done
	if [ -z "$m" ]; then
		m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed 's/\[[^]]*\]//' | awk -v s="$SUITE" '$1 == "deb" && $3 == s { print $2; exit }')
	fi
	echo "${m:-http://deb.debian.org/debian}"
}

ARCH=$(dpkg --print-architecture)
IMG=$CACHE/minbase-$SUITE-$ARCH
RECIPE="minbase, apt lists and .debs removed"
if [ ! -s "$IMG.tar.gz" ] || ! grep -qxF "recipe=$RECIPE" "$IMG.info" 2>/dev/null; then
	MIRROR=$(mirror)
	echo "bench: debootstrap --variant=minbase $SUITE from $MIRROR (cached in $CACHE)"
	if ! debootstrap --variant=minbase --arch="$ARCH" "$SUITE" "$W/deboot" "$MIRROR" >"$W/debootstrap.log" 2>&1; then
		tail -n 20 "$W/debootstrap.log" >&2
		exit 1
	fi
	# as image builders leave it (Debian's own images too): no package
	# lists, no downloaded packages
	rm -rf "$W/deboot/var/lib/apt/lists/"* "$W/deboot/var/cache/apt/"*.bin
	rm -f "$W/deboot/var/cache/apt/archives/"*.deb
	tar --numeric-owner --one-file-system -C "$W/deboot" -cf "$W/layer.tar" .
	diff_id=$(sha256sum "$W/layer.tar" | cut -d' ' -f1)
	entries=$(tar -tf "$W/layer.tar" | wc -l)
	files=$(tar -tvf "$W/layer.tar" | grep -c '^-' || true)
	gzip -n -6 <"$W/layer.tar" >"$W/layer.tar.gz"
	mkdir -p "$CACHE"
	mv "$W/layer.tar.gz" "$IMG.tar.gz.new"
	printf 'diff_id=%s\nentries=%s\nfiles=%s\nmirror=%s\nrecipe=%s\n' "$diff_id" "$entries" "$files" \
		"$MIRROR" "$RECIPE" >"$IMG.info.new"
	mv "$IMG.tar.gz.new" "$IMG.tar.gz"
	mv "$IMG.info.new" "$IMG.info"
	rm -rf --one-file-system "$W/deboot" "$W/layer.tar"
fi
diff_id=$(sed -n 's/^diff_id=//p' "$IMG.info")
entries=$(sed -n 's/^entries=//p' "$IMG.info")
files=$(sed -n 's/^files=//p' "$IMG.info")

# A one-layer OCI layout of it.
L=$W/layout
mkdir -p "$L/blobs/sha256"
blob() {   # FILE -> "DIGEST SIZE", the file moved into the layout
	local d s
	d=$(sha256sum "$1" | cut -d' ' -f1)
	s=$(stat -c %s "$1")
	mv "$1" "$L/blobs/sha256/$d"
	echo "sha256:$d $s"
}
cp "$IMG.tar.gz" "$W/l.gz"
read -r ldigest lsize <<<"$(blob "$W/l.gz")"
printf '{"architecture":"%s","os":"linux","created":"2026-01-01T00:00:00Z","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/bash"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
	"$ARCH" "$diff_id" >"$W/c.json"
read -r cdigest csize <<<"$(blob "$W/c.json")"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
	"$cdigest" "$csize" "$ldigest" "$lsize" >"$W/m.json"
read -r mdigest msize <<<"$(blob "$W/m.json")"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"1"}}]}' \
	"$mdigest" "$msize" >"$L/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$L/oci-layout"

# ---- the registry ----

mkdir -p "$W/registry/data"
cat >"$W/registry/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $W/registry/data
http:
  addr: 127.0.0.1:0
  secret: paude-bench-secret
EOF
docker-registry serve "$W/registry/config.yml" </dev/null >"$W/registry/log" 2>&1 &
PIDS+=($!)
PORT=""
for _ in $(seq 250); do
	PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$W/registry/log" | head -n 1)
	[ -n "$PORT" ] && break
	sleep 0.02
done
[ -n "$PORT" ] || { cat "$W/registry/log" >&2; echo "bench: docker-registry did not start" >&2; exit 1; }
REF=127.0.0.1:$PORT/bench/minbase:1
skopeo copy -q --dest-tls-verify=false "oci:$L:1" "docker://$REF" >"$W/push.log" 2>&1 ||
	{ cat "$W/push.log" >&2; exit 1; }
rm -rf "$L"

# ---- users, stores, helpers ----

SUB=paudeb-sub
id "$SUB" >/dev/null 2>&1 || useradd -M -s /bin/sh "$SUB"
sed -i "/^$SUB:/d" /etc/subuid /etc/subgid
echo "$SUB:400000:65536" >>/etc/subuid
echo "$SUB:400000:65536" >>/etc/subgid
SUID=$(id -u "$SUB")
SGID=$(id -g "$SUB")
RUNDIR=/run/user/$SUID
if [ ! -d "$RUNDIR" ]; then
	mkdir -p "$RUNDIR"
	RUNMADE=$RUNDIR
fi
chown "$SUID:$SGID" "$RUNDIR"
chmod 700 "$RUNDIR"
mkdir -p "$W/home" "$W/root-home" "$W/tmp-sub" "$W/tmp-root"
chown "$SUID:$SGID" "$W/home" "$W/tmp-sub"

# Root's stores: empty directories over the host's, in this namespace only.
for d in /var/lib/paude /var/lib/containers; do
	if [ ! -d "$d" ]; then
		mkdir -p "$d"
		MADE+=("$d")
	fi
	mkdir -p "$W/over/${d##*/}"
	chmod 700 "$W/over/${d##*/}"
	mount --bind "$W/over/${d##*/}" "$d"
done

as_user() {   # CMD...  as $SUB, with its own environment (XDG_DATA_HOME set by the caller)
	setpriv --reuid="$SUID" --regid="$SGID" --init-groups \
		env -i HOME="$W/home" PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
		XDG_RUNTIME_DIR="$RUNDIR" TMPDIR="$W/tmp-sub" XDG_DATA_HOME="${DATA:-$W/home/.local/share}" "$@"
}

# The peers: a title each and three functions: fresh_NAME (an empty, opened
# store), pull_NAME (the timed command), forget_NAME (drop the name, keep the
# layer).  A peer's own directory is $W/s/NAME (paude as root: $W/over/paude).
PEERS=(pd_sub pm_vfs_sub pm_ovl_sub su_sub pd_root pm_ovl_root su_root)
declare -A TITLE
TITLE[pd_sub]="paude pull"
TITLE[pm_vfs_sub]="podman pull (vfs)"
TITLE[pm_ovl_sub]="podman pull (overlay)"
TITLE[su_sub]="skopeo copy + umoci raw unpack"
TITLE[pd_root]="paude pull"
TITLE[pm_ovl_root]="podman pull (overlay)"
TITLE[su_root]="skopeo copy + umoci raw unpack"

wipe() {   # DIR [OWNER]: an empty DIR
	rm -rf --one-file-system "$1"
	mkdir -p "$1"
	[ -z "${2:-}" ] || chown "$2" "$1"
}

# paude rootless: the store is $DATA/paude/storage
pdu() { DATA=$W/s/pd_sub as_user "$PAUDE" "$@"; }
fresh_pd_sub() { wipe "$W/s/pd_sub" "$SUID:$SGID" && pdu images >/dev/null; }
pull_pd_sub() { pdu pull -q "$REF"; }
forget_pd_sub() { pdu rmi "$REF" >/dev/null; }
# paude as root: the store is /var/lib/paude/storage, bound from $W/over/paude
fresh_pd_root() { rm -rf --one-file-system /var/lib/paude/storage && "$PAUDE" images >/dev/null; }
pull_pd_root() { "$PAUDE" pull -q "$REF"; }
forget_pd_root() { "$PAUDE" rmi "$REF" >/dev/null; }

pm() {   # PEER DRIVER CMD... : podman with the peer's own everything
	local s=$W/s/$1 drv=$2
	shift 2
	local args=(--root "$s/root" --runroot "$s/run" --storage-driver "$drv" --cgroup-manager cgroupfs
		--events-backend file --network-config-dir "$s/net")
	if [ "$1" = root ]; then
		shift
		TMPDIR=$W/tmp-root HOME=$W/root-home podman "${args[@]}" --tmpdir "$s/tmp" "$@"
	else
		as_user podman "${args[@]}" "$@"
	fi
}
fresh_pm_vfs_sub() { wipe "$W/s/pm_vfs_sub" "$SUID:$SGID" && pm pm_vfs_sub vfs images >/dev/null; }
pull_pm_vfs_sub() { pm pm_vfs_sub vfs pull -q --tls-verify=false "$REF"; }
forget_pm_vfs_sub() { pm pm_vfs_sub vfs untag "$REF"; }
fresh_pm_ovl_sub() { wipe "$W/s/pm_ovl_sub" "$SUID:$SGID" && pm pm_ovl_sub overlay images >/dev/null; }
pull_pm_ovl_sub() { pm pm_ovl_sub overlay pull -q --tls-verify=false "$REF"; }
forget_pm_ovl_sub() { pm pm_ovl_sub overlay untag "$REF"; }
fresh_pm_ovl_root() { wipe "$W/s/pm_ovl_root" && pm pm_ovl_root overlay root images >/dev/null; }
pull_pm_ovl_root() { pm pm_ovl_root overlay root pull -q --tls-verify=false "$REF"; }
forget_pm_ovl_root() { pm pm_ovl_root overlay root untag "$REF"; }

# skopeo + umoci: an OCI layout and a rootfs directory
# shellcheck disable=SC2016 # expanded by sh -c, from its arguments
SU_CMD='skopeo copy -q --src-tls-verify=false "docker://$1" "oci:$2/oci:1" && umoci raw unpack $3 --image "$2/oci:1" "$2/rootfs"'
fresh_su_sub() { wipe "$W/s/su_sub" "$SUID:$SGID"; }
pull_su_sub() { as_user sh -c "$SU_CMD" sh "$REF" "$W/s/su_sub" --rootless; }
forget_su_sub() { rm -rf --one-file-system "$W/s/su_sub/rootfs"; }
fresh_su_root() { wipe "$W/s/su_root"; }
pull_su_root() { sh -c "$SU_CMD" sh "$REF" "$W/s/su_root" ""; }
forget_su_root() { rm -rf --one-file-system "$W/s/su_root/rootfs"; }

# ---- the pulls ----

R=$W/res
mkdir -p "$R"
declare -A FAILED
now_ns() { date +%s%N; }
# One run of PEER in MODE (cold|stored): the set-up, sync, the timed pull.
one() {   # MODE PEER RECORD(0|1)
	local m=$1 p=$2 t0 t1
	[ -z "${FAILED[$p]:-}" ] || return 0
	if [ "$m" = cold ]; then
		"fresh_$p" >>"$W/$p.log" 2>&1 || { FAILED[$p]="store set-up: $(tail -n 1 "$W/$p.log")"; return 0; }
	else
		"forget_$p" >>"$W/$p.log" 2>&1 || { FAILED[$p]="removing the name: $(tail -n 1 "$W/$p.log")"; return 0; }
	fi
	sync
	t0=$(now_ns)
	if ! "pull_$p" >>"$W/$p.log" 2>&1; then
		FAILED[$p]="$(tail -n 1 "$W/$p.log")"
		return 0
	fi
	t1=$(now_ns)
	[ "$3" = 0 ] || echo $(((t1 - t0) / 1000)) >>"$R/$m.$p"
}
echo "bench: pull $REF: $RUNS cold and $RUNS layer-stored runs per peer, interleaved"
for m in cold stored; do
	for p in "${PEERS[@]}"; do one "$m" "$p" 0; done   # warm-up
	for _ in $(seq 1 "$RUNS"); do
		for p in "${PEERS[@]}"; do one "$m" "$p" 1; done
	done
done

# ---- starts ----

hex=${diff_id#sha256:}
start_bench() {   # NAME LAYER-DIR [as_user]
	local name=$1 layer=$2
	shift 2
	local args=(-N --style none -w "$WARMUP" -r "$SRUNS" --export-csv "$W/res/$name.csv"
		"$PAUDE run --network none $REF /bin/true" "$PAUDE run --network none dir:$layer /bin/true")
	"$@" hyperfine "${args[@]}" >/dev/null 2>"$W/$name.err" || { cat "$W/$name.err" >&2; return 1; }
}
echo "bench: start: $SRUNS runs each (after $WARMUP warm-up runs), rootless and root"
chmod 777 "$R"
ST=""
if [ -z "${FAILED[pd_sub]:-}" ]; then
	DATA=$W/s/pd_sub start_bench start-sub "$W/s/pd_sub/paude/storage/layers/$hex" as_user || ST="$ST rootless"
fi
if [ -z "${FAILED[pd_root]:-}" ]; then
	start_bench start-root "/var/lib/paude/storage/layers/$hex" || ST="$ST root"
fi

# ---- the report ----

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.0f", v[int((NR + 1) / 2)] / 1000; else print "-" }'; }
med() { if [ -s "$R/$1.$2" ]; then median <"$R/$1.$2"; else echo "-"; fi; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000000 }'; }

echo
echo "pull (one gzip layer: $(mb "$lsize") MB compressed, $entries entries, $files regular files;"
echo "debootstrap --variant=minbase $SUITE; $(nproc) CPUs; $(uname -r); medians of $RUNS runs, ms;"
fs=tmpfs
[ "${DISK:-0}" != 1 ] || fs=$(findmnt -n -o FSTYPE --target "$W")
for p in podman skopeo umoci docker-registry; do printf '%s %s, ' "$p" "$(dpkg-query -W -f='${Version}' "$p")"; done
echo "stores on $fs):"
printf "  %-34s %9s %10s   %9s %10s\n" "" "cold" "paude/it" "stored" "paude/it"
row() {   # PEER BASE-PEER
	local p=$1 b=$2 c s
	if [ -n "${FAILED[$p]:-}" ]; then
		printf "  %-34s failed: %s\n" "${TITLE[$p]}" "${FAILED[$p]}"
		return
	fi
	c=$(med cold "$p")
	s=$(med stored "$p")
	if [ "$p" = "$b" ]; then
		printf "  %-34s %9s %10s   %9s\n" "${TITLE[$p]}" "$c" "" "$s"
	else
		printf "  %-34s %9s %10s   %9s %10s\n" "${TITLE[$p]}" "$c" "$(ratio "$(med cold "$b")" "$c")" \
			"$s" "$(ratio "$(med stored "$b")" "$s")"
	fi
}
echo "rootless (user $SUB, subuid range of 65536):"
for p in pd_sub pm_vfs_sub pm_ovl_sub su_sub; do row "$p" pd_sub; done
echo "root:"
for p in pd_root pm_ovl_root su_root; do row "$p" pd_root; done
verdict() {   # PAUDE PODMAN
	local r
	r=$(ratio "$(med cold "$1")" "$(med cold "$2")")
	printf "  %-34s %5s: %s\n" "${TITLE[$2]}, $3" "$r" \
		"$(awk -v r="$r" 'BEGIN { print (r == "-" ? "no figure" : (r <= 0.8 ? "met" : "missed")) }')"
}
echo "  (paude/it: paude's median over the row's, same mode; stored: the layer in the store, not the name)"
echo "target: cold paude pull <= 0.8x podman pull:"
verdict pd_sub pm_vfs_sub rootless
verdict pd_sub pm_ovl_sub rootless
verdict pd_root pm_ovl_root root

echo
echo "start (paude run --network none ... /bin/true; medians of $SRUNS runs, ms):"
start_row() {   # CSV TITLE
	local img dir r
	if [ ! -s "$R/$1.csv" ]; then
		printf "  %-10s failed\n" "$2"
		return
	fi
	img=$(awk -F, 'NR == 2 { printf "%.2f", $4 * 1000 }' "$R/$1.csv")
	dir=$(awk -F, 'NR == 3 { printf "%.2f", $4 * 1000 }' "$R/$1.csv")
	r=$(ratio "$img" "$dir")
	printf "  %-10s stored image %7s   dir: of its layer %7s   image/dir = %s (target <= 1.2: %s)\n" \
		"$2" "$img" "$dir" "$r" "$(awk -v r="$r" 'BEGIN { print (r == "-" ? "no figure" : (r <= 1.2 ? "met" : "missed")) }')"
}
start_row start-sub rootless
start_row start-root root
[ -z "$ST" ] || echo "  failed:$ST"
