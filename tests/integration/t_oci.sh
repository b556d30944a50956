# OCI images end to end (paude pull/run/images/inspect/rmi/save): images
# built by tests/oci/mkimage.py (or by hand, for hostile ones) and pushed to a
# registry of the test's own, pulled and run in every mode.
#
# Each test starts its own plain docker-registry on 127.0.0.1 (a port the
# kernel picks; about 0.1 s), and, where a forged manifest is served with a
# Content-Type of the test's choosing, a static registry (oci_static: Debian's
# docker-registry refuses to store schema 1 and mismatched manifests, 400).
# Both are killed by their pids when the test ends (oci_cleanup).  The
# harness has no suite-level hook, and a process left running after a test
# fails it, so the registry is not shared between tests.
#
# Every test has a private image store: rootless, XDG_DATA_HOME points into
# a scratch directory; as root (whose store is always /var/lib/paude/storage)
# each paude command runs in a private mount namespace where a scratch
# directory is bound over /var/lib/paude/storage (oci_cmd_prefix).  The host's own
# stores are never read, written or wiped, and the tests may look at the
# whole store (what exists after a refusal, a SIGKILL, concurrent pulls).

OCI_PIDS=()
# Debian's python3 (scripts/install-deps.sh), not a wrapper found first on PATH
# (a pyenv shim costs 0.4 s a call).
OCI_PY=python3
[ ! -x /usr/bin/python3 ] || OCI_PY=/usr/bin/python3

oci_cleanup() {
	local p
	for p in "${OCI_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${OCI_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	OCI_PIDS=()
}

# oci_begin: the test's registry ($REG, 127.0.0.1:PORT), a private store
# ($OCI_STORE; rootless it is $OCI_DATA/paude/storage), a root-owned work
# directory ($OCI_TMP) and a sentinel directory the mode's user owns
# ($OCI_SENT, with one file: nothing may ever change it).
oci_begin() {
	trap oci_cleanup EXIT
	OCI_TMP=$(mktemp -d "$IT_DIR/oci.XXXXXX")
	OCI_DATA=$(scratch)
	OCI_STORE=$OCI_DATA/paude/storage
	[ "$MODE" != root ] || install -d -m 700 "$OCI_DATA/paude" "$OCI_STORE"
	OCI_SENT=$(scratch)
	echo "sentinel" >"$OCI_SENT/file"
	[ -z "$RUNUSER" ] || chown "$RUNUSER:" "$OCI_SENT/file"
	OCI_SENT_BEFORE=$(oci_tree "$OCI_SENT")
	oci_registry
}

# oci_tree DIR: every entry under DIR with its type, owner, mode, size and
# content digest (a before/after fingerprint).
oci_tree() {
	(cd "$1" && find . -printf '%p %y %u:%g %m %s %l\n' | sort &&
		find . -type f -exec sha256sum {} + | sort -k 2)
}

oci_sentinel_unchanged() {
	eq "$(oci_tree "$OCI_SENT")" "$OCI_SENT_BEFORE" "the sentinel directory outside the store changed"
}

oci_registry() {
	local d=$OCI_TMP/registry
	mkdir -p "$d/data"
	cat >"$d/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $d/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
  secret: paude-it-secret
EOF
	docker-registry serve "$d/config.yml" </dev/null >"$d/log" 2>&1 &
	OCI_PIDS+=("$!")
	wait_until 10 "docker-registry to listen" \
		'grep -q "listening on 127.0.0.1:[0-9]" "$OCI_TMP/registry/log" 2>/dev/null'
	REG=127.0.0.1:$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$d/log" | head -n 1)
	OCI_REGDATA=$d/data
}

# oci_cmd_prefix: OCMD, the command prefix that runs this mode's paude with
# the test's store (root: in a mount namespace of its own where OCI_STORE is
# /var/lib/paude/storage; the command is exec'd, so a pid taken after "&" is
# paude's own).  OCI_ENV="K=V ..." adds variables to its environment.
oci_cmd_prefix() {
	if [ "$MODE" = root ]; then
		# root's store, as paude makes it on first use: on a fresh machine
		# there is nothing yet to bind over
		(umask 077 && mkdir -p /var/lib/paude/storage)
		# OCI_ENV is split into words on purpose; $0 and $@ are the inner shell's.
		# shellcheck disable=SC2016,SC2206
		OCMD=(unshare --mount --propagation private -- /bin/sh -c
			'mount --bind "$0" /var/lib/paude/storage && exec "$@"' "$OCI_STORE"
			env ${OCI_ENV:-} "$PAUDE")
	else
		PEXEC_ENV="XDG_DATA_HOME=$OCI_DATA ${OCI_ENV:-}" pexec_prefix
		OCMD=("${PEXEC[@]}" "$PAUDE")
	fi
}

# opd ARGS...: paude ARGS as the mode's user, with the test's store.
opd() {
	oci_cmd_prefix
	"${OCMD[@]}" "$@"
}

# ocap ARGS...: opd, stdout in OUT, stderr in ERR, status in RC.
ocap() {
	local o e
	o=$(mktemp -p "$IT_DIR" out.XXXXXX)
	e=$(mktemp -p "$IT_DIR" err.XXXXXX)
	RC=0
	opd "$@" >"$o" 2>"$e" || RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	rm -f "$o" "$e"
}

# oci_push REPO:TAG ARGS...: mkimage.py push to the test's registry; prints
# the manifest's digest.
oci_push() {
	"$OCI_PY" "$IT_TOP/tests/oci/mkimage.py" push "$REG" "$@" ||
		fail "mkimage.py push $*"
}

# oci_base DIR: a busybox root filesystem (the root mode's, owned by root,
# /home/agent by 1000:1000) with /etc/motd, as a layer directory.  Without
# pd-probe: mkimage.py gzips at level 9, about 0.5 s a MB, on every push
# (tests that push many images use --compression none).
oci_base() {
	cp -a "$IT_DIR/rootfs-root" "$1"
	rm "$1/bin/pd-probe"
	echo "hello from the image" >"$1/etc/motd"
}

# oci_diff_id DIR: the diff_id of DIR as mkimage.py makes its layer.
oci_diff_id() {
	"$OCI_PY" "$IT_TOP/tests/oci/mkimage.py" layer "$1" "$OCI_TMP/layer.tar"
	echo "sha256:$(sha256sum "$OCI_TMP/layer.tar" | cut -d' ' -f1)"
	rm -f "$OCI_TMP/layer.tar"
}

# oci_json EXPR: EXPR (python, over the JSON document j read from stdin)
# printed; lists one item a line.
oci_json() {
	"$OCI_PY" -c '
import json, sys
j = json.load(sys.stdin)
v = eval(sys.argv[1])
if isinstance(v, list):
    for x in v:
        print(x if isinstance(x, str) else json.dumps(x))
elif isinstance(v, str):
    print(v)
else:
    print(json.dumps(v))' "$1"
}

# oci_manifest REPO REF [ACCEPT]: the manifest's bytes, from the test's registry.
oci_manifest() {
	curl -fsS -H "Accept: ${3:-application/vnd.oci.image.manifest.v1+json}" \
		"http://$REG/v2/$1/manifests/$2"
}

# oci_ls DIR: the names in DIR, sorted, one a line (nothing for a missing DIR).
oci_ls() { [ ! -d "$1" ] || (cd "$1" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' | sort); }

# oci_store_empty_of_images: no image record, no name.
oci_store_no_images() {
	eq "$(oci_ls "$OCI_STORE/images")" "" "image records in the store"
	if [ -f "$OCI_STORE/names.json" ]; then
		eq "$(oci_json 'sorted(j)' <"$OCI_STORE/names.json")" "" "names in the store"
	fi
}

# oci_tar OUT: a tar written from the lines on stdin, in order:
#   file NAME CONTENT | dir NAME | sym NAME TARGET | hard NAME TARGET |
#   fifo NAME | char NAME MAJOR:MINOR | owned UID:GID NAME CONTENT
# (names and targets taken as they are: this is how hostile layers are made).
oci_tar() {
	"$OCI_PY" -c '
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for line in sys.stdin:
        kind, name, rest = (line.rstrip("\n").split(" ", 2) + [""])[:3]
        if kind == "owned":
            ids = name
            name, rest = (rest.split(" ", 1) + [""])[:2]
            kind = "file"
        else:
            ids = "0:0"
        ti = tarfile.TarInfo(name)
        ti.mtime = 0
        ti.uid, ti.gid = (int(x) for x in ids.split(":"))
        if kind == "file":
            data = (rest + "\n").encode()
            ti.size, ti.mode = len(data), 0o644
            t.addfile(ti, io.BytesIO(data))
            continue
        if kind == "dir":
            ti.type, ti.mode = tarfile.DIRTYPE, 0o755
        elif kind == "sym":
            ti.type, ti.linkname = tarfile.SYMTYPE, rest
        elif kind == "hard":
            ti.type, ti.linkname = tarfile.LNKTYPE, rest
        elif kind == "fifo":
            ti.type, ti.mode = tarfile.FIFOTYPE, 0o644
        elif kind == "char":
            ti.type, ti.mode = tarfile.CHRTYPE, 0o666
            ti.devmajor, ti.devminor = (int(x) for x in rest.split(":"))
        t.addfile(ti)' "$1"
}

# oci_static DIR: a static registry on 127.0.0.1 ($STATIC, host:port) that
# answers GET/HEAD /v2/ with 200, a manifest REPO:REF with the bytes of
# DIR/REPO/REF and the Content-Type in DIR/REPO/REF.type, and any blob from
# the test's docker-registry's storage.
oci_static() {
	local f=$OCI_TMP/static.py
	cat >"$f" <<'EOF'
import hashlib, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
root, blobs, portfile = sys.argv[1:4]

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, code, body, ctype="application/json", digest=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        if digest:
            self.send_header("Docker-Content-Digest", digest)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        p = self.path.split("?")[0]
        if p in ("/v2", "/v2/"):
            return self.answer(200, b"{}")
        try:
            if "/manifests/" in p:
                repo, ref = p[len("/v2/"):].split("/manifests/")
                f = os.path.join(root, repo, ref)
                body = open(f, "rb").read()
                ctype = open(f + ".type").read().strip()
                return self.answer(200, body, ctype, "sha256:" + hashlib.sha256(body).hexdigest())
            if "/blobs/sha256:" in p:
                h = p.split("/blobs/sha256:")[1]
                if len(h) == 64 and all(c in "0123456789abcdef" for c in h):
                    f = os.path.join(blobs, "docker/registry/v2/blobs/sha256", h[:2], h, "data")
                    return self.answer(200, open(f, "rb").read(), "application/octet-stream",
                                       "sha256:" + h)
        except OSError:
            pass
        self.answer(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"not here"}]}')

    do_HEAD = do_GET

s = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as pf:
    pf.write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
EOF
	mkdir -p "$1"
	"$OCI_PY" "$f" "$1" "$OCI_REGDATA" "$OCI_TMP/static.port" </dev/null >"$OCI_TMP/static.log" 2>&1 &
	OCI_PIDS+=("$!")
	wait_until 10 "the static registry to listen" '[ -s "$OCI_TMP/static.port" ]'
	STATIC=127.0.0.1:$(cat "$OCI_TMP/static.port")
}

# oci_static_put DIR REPO REF TYPE FILE: serve FILE as REPO:REF with TYPE.
oci_static_put() {
	mkdir -p "$1/$2"
	cp "$5" "$1/$2/$3"
	printf '%s\n' "$4" >"$1/$2/$3.type"
}

# oci_paude_procs: this test's paude processes (pulls and what they forked).
oci_paude_procs() { it_pgrep "^$PAUDE( |\$)"; }

# oci_store_check LAYERMAP: the store is consistent.  LAYERMAP has lines
# "DIFF_ID SOURCE-DIR": every layers/X is one of them, with exactly the
# source's content; every blob's content has its name's digest; every image
# record's layers are all there; every name names a record; nothing but the
# store's own entries at its top (tmp/ may hold what a killed pull left).
oci_store_check() {
	local map=$1 x src rec hex top
	top=$(oci_ls "$OCI_STORE" | grep -vxE 'blobs|layers|images|tmp|locks|names.json' || true)
	eq "$top" "" "unexpected entries at the store's top"
	for x in $(oci_ls "$OCI_STORE/blobs/sha256"); do
		eq "$(sha256sum "$OCI_STORE/blobs/sha256/$x" | cut -d' ' -f1)" "$x" \
			"blob $x holds other bytes (a half-written blob)"
	done
	for x in $(oci_ls "$OCI_STORE/layers"); do
		src=$(awk -v d="sha256:$x" '$1 == d { print $2 }' <<<"$map")
		[ -n "$src" ] || fail "layers/$x is no layer of the image"
		diff -r --no-dereference "$src" "$OCI_STORE/layers/$x" >/dev/null ||
			fail "layers/$x differs from its source $src (a half layer): $(diff -r --no-dereference "$src" "$OCI_STORE/layers/$x" 2>&1 | head -n 5)"
	done
	for rec in $(oci_ls "$OCI_STORE/images"); do
		for x in $(oci_json '[l["diff_id"] for l in j["layers"]]' <"$OCI_STORE/images/$rec"); do
			hex=${x#sha256:}
			[ -d "$OCI_STORE/layers/$hex" ] || fail "image record $rec names layer $x, not in the store"
		done
	done
	if [ -f "$OCI_STORE/names.json" ]; then
		for x in $(oci_json 'list(j.values())' <"$OCI_STORE/names.json"); do
			[ -f "$OCI_STORE/images/${x#sha256:}.json" ] || fail "a name points to $x, which has no record"
		done
	fi
}

# --- 1. pull, run, images, inspect, rmi ---------------------------------------

t_oci_pull_run() {
	local id ref hex man cfg l1
	oci_begin
	oci_base "$OCI_TMP/base"
	id=$(oci_push it/hello:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd)
	ref=$REG/it/hello:1
	hex=${id#sha256:}
	ocap pull "$ref"
	status_is "$RC" 0 "pull ($ERR)"
	eq "$OUT" "$hex" "pull prints the image id"
	contains "$ERR" "Copying blob sha256:" "pull reports its progress on stderr"
	ocap pull -q "$ref"
	status_is "$RC" 0 "pull -q again ($ERR)"
	eq "$OUT" "$hex" "pull -q prints the image id"
	eq "$(without_notes "$ERR")" "" "pull -q of a stored image prints nothing else"

	ocap run "$ref"
	status_is "$RC" 0 "run ($ERR)"
	eq "$OUT" "hello from the image" "the image's Cmd ran"
	not_contains "$ERR" "Trying to pull" "a stored image is not pulled again"
	ocap run "$ref" /bin/sh -c 'echo "$0 $1"; exit 7' a b
	status_is "$RC" 7 "the command's exit status"
	eq "$OUT" "a b" "the command's arguments"
	ocap run "${hex:0:12}" /bin/cat /etc/motd
	status_is "$RC" 0 "run by the image id's first 12 digits ($ERR)"
	eq "$OUT" "hello from the image" "run by id"

	ocap images
	status_is "$RC" 0 "images ($ERR)"
	eq "$(head -n 1 <<<"$OUT" | awk '{ print $1, $2, $3, $4 }')" "REPOSITORY TAG IMAGE ID" "images: the header"
	eq "$(awk 'NR > 1 { print $1, $2, $3 }' <<<"$OUT")" "$REG/it/hello 1 ${hex:0:12}" "images: one line, REPOSITORY TAG IMAGE-ID"
	ocap images --digests
	contains "$OUT" "$id" "images --digests shows the digest"
	ocap images --json
	status_is "$RC" 0 "images --json ($ERR)"
	eq "$(oci_json '[(i["id"], i["names"], i["platform"]) for i in j]' <<<"$OUT")" \
		"[\"$id\", [\"$ref\"], \"linux/amd64\"]" "images --json"

	ocap inspect "$ref"
	status_is "$RC" 0 "inspect ($ERR)"
	man=$(oci_manifest it/hello 1)
	eq "sha256:$(printf '%s' "$man" | sha256sum | cut -d' ' -f1)" "$id" "the registry's manifest is the image id"
	l1=$(oci_diff_id "$OCI_TMP/base")
	eq "$(oci_json '[j[0]["Id"]] + j[0]["RepoTags"] + [j[0]["ConfigDigest"], len(j[0]["Layers"])]' <<<"$OUT")" \
		"$id
$ref
$(oci_json 'j["config"]["digest"]' <<<"$man")
1" "inspect: id, name, config digest, one layer"
	eq "$(oci_json '[(l["Digest"], l["DiffID"], l["MediaType"], l["Size"]) for l in j[0]["Layers"]]' <<<"$OUT")" \
		"$(oci_json '[(l["digest"], "'"$l1"'", l["mediaType"], l["size"]) for l in j["layers"]]' <<<"$man")" \
		"inspect: the layer's digest, diff_id (the tar's sha256), media type and size"
	cfg=$(oci_json 'j[0]["Config"]' <<<"$OUT")
	eq "$(oci_json '[j["config"]["Cmd"], j["architecture"], j["rootfs"]["diff_ids"]]' <<<"$cfg")" \
		"[\"/bin/cat\", \"/etc/motd\"]
amd64
[\"$l1\"]" "inspect: the image's config"

	ocap rmi "$ref"
	status_is "$RC" 0 "rmi ($ERR)"
	eq "$OUT" "Untagged and removed $id" "rmi's report"
	ocap images
	eq "$(awk 'NR > 1' <<<"$OUT")" "" "images after rmi"
	ocap images --json
	eq "$(oci_json 'len(j)' <<<"$OUT")" 0 "images --json after rmi"
	oci_store_no_images
	ocap run --pull=never "$ref" /bin/true
	status_is "$RC" 125 "run --pull=never after rmi"
	eq "$OUT" "" "run --pull=never after rmi ran something"
	contains "$ERR" "\"$ref\" is not in the store and --pull=never was given" "run --pull=never after rmi: the message"
	ocap inspect "$ref"
	status_is "$RC" 1 "inspect after rmi"
	eq "$(errlines "$ERR")" "paude: image \"$ref\": not in the store" "inspect after rmi: the message"
	ocap rmi "$ref"
	status_is "$RC" 1 "rmi of a removed image"
	eq "$(errlines "$ERR")" "paude: image \"$ref\": not in the store" "rmi of a removed image: the message"
}

t_oci_run_pulls_missing() {
	local ref out never_err
	oci_begin
	oci_base "$OCI_TMP/base"
	oci_push it/auto:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd >/dev/null
	ref=$REG/it/auto:1

	ocap run --pull=never "$ref"
	status_is "$RC" 125 "run --pull=never of a missing image"
	eq "$OUT" "" "run --pull=never of a missing image ran something"
	eq "$(count_lines "$(errlines "$ERR")")" 1 "run --pull=never: one error line ($ERR)"
	contains "$(errlines "$ERR")" "image \"$ref\" is not in the store and --pull=never was given" "run --pull=never: the message"
	never_err=$(errlines "$ERR")
	not_contains "$ERR" "Trying to pull" "run --pull=never pulled"
	eq "$(oci_ls "$OCI_STORE/blobs/sha256")$(oci_ls "$OCI_STORE/layers")" "" "run --pull=never stored something"
	oci_store_no_images

	ocap run "$ref"
	status_is "$RC" 0 "run of a missing image ($ERR)"
	eq "$OUT" "hello from the image" "run of a missing image: pulled, then run"
	eq "$(without_notes "$ERR" | head -n 1)" "Trying to pull $ref..." "run of a missing image says so first"
	ocap images
	eq "$(awk 'NR > 1 { print $1, $2 }' <<<"$OUT")" "$REG/it/auto 1" "the pulled image is stored"

	ocap run "docker://$ref"
	status_is "$RC" 0 "run docker://REF ($ERR)"
	eq "$OUT" "hello from the image" "run docker://REF"
	not_contains "$ERR" "Trying to pull" "docker://REF is the stored image"

	# A new image under the same tag: missing keeps the stored one, newer
	# and always pull the new one.
	echo "second version" >"$OCI_TMP/base/etc/motd"
	oci_push it/auto:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd >/dev/null
	ocap run "$ref"
	eq "$OUT" "hello from the image" "--pull=missing keeps the stored image"
	ocap run --pull=newer "$ref"
	status_is "$RC" 0 "run --pull=newer ($ERR)"
	eq "$OUT" "second version" "run --pull=newer runs the registry's newer image"
	echo "third version" >"$OCI_TMP/base/etc/motd"
	oci_push it/auto:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd >/dev/null
	ocap run --pull=always "$ref"
	status_is "$RC" 0 "run --pull=always ($ERR)"
	contains "$ERR" "Trying to pull $ref..." "run --pull=always pulls"
	eq "$OUT" "third version" "run --pull=always runs the registry's current image"
	ocap run --pull=never "$ref"
	eq "$OUT" "third version" "the name now means the new image"
	out=$(opd images --json)
	eq "$(oci_json 'len(j)' <<<"$out")" 3 "the three images are stored"

	ocap run --pull=sometimes "$ref"
	status_is "$RC" 125 "run --pull=sometimes"
	contains "$ERR" "--pull \"sometimes\": expected missing, always, never or newer" "a bad --pull policy"
	ocap run "$REG/it/nosuch:1"
	status_is "$RC" 125 "run of an image the registry does not have"
	eq "$OUT" "" "run of an unknown image ran something"
	contains "$ERR" "Trying to pull $REG/it/nosuch:1..." "run of an unknown image tried"
	contains "$(errlines "$ERR")" "it/nosuch" "the error names the image"
	# With the registry gone, newer runs the stored image (as podman, the
	# pull's error is a note) and always fails.
	for p in "${OCI_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait_until 10 "the registry to stop" '! curl -s "http://$REG/v2/" >/dev/null 2>&1'
	ocap run --pull=newer "$ref"
	status_is "$RC" 0 "run --pull=newer without the registry ($ERR)"
	eq "$OUT" "third version" "run --pull=newer without the registry runs the stored image"
	contains "$ERR" "--pull=newer: " "run --pull=newer without the registry says why ($ERR)"
	ocap run --pull=always "$ref"
	status_is "$RC" 125 "run --pull=always without the registry"
	# Last (the rest holds without it): the error of --pull=never names the
	# image once, not twice.
	eq "$(grep -oF "\"$ref\"" <<<"$never_err" | wc -l)" 1 "run --pull=never: the message names the image once ($never_err)"
}

# References: a missing tag is "latest", a digest reference, "localhost"
# (a loopback name: plain HTTP allowed) and the docker:// prefix.
t_oci_refs() {
	local id hex
	oci_begin
	oci_base "$OCI_TMP/base"
	oci_push it/refs:latest --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd >/dev/null
	id=$(oci_push it/refs:2 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd)
	hex=${id#sha256:}
	ocap pull -q "$REG/it/refs"
	status_is "$RC" 0 "pull without a tag ($ERR)"
	eq "$OUT" "$hex" "pull without a tag: latest"
	ocap pull -q "$REG/it/refs@$id"
	status_is "$RC" 0 "pull by digest ($ERR)"
	eq "$OUT" "$hex" "pull by digest"
	ocap pull -q "localhost:${REG#127.0.0.1:}/it/refs:2"
	status_is "$RC" 0 "pull from localhost:PORT ($ERR)"
	ocap pull -q "$REG/it/refs@sha256:$(printf '0%.0s' $(seq 1 64))"
	status_is "$RC" 1 "pull of a digest the registry lacks"
	ocap images --json
	eq "$(oci_json '[sorted(i["names"]) for i in j]' <<<"$OUT")" \
		"[\"$REG/it/refs:latest\", \"$REG/it/refs@$id\", \"localhost:${REG#127.0.0.1:}/it/refs:2\"]" \
		"one image, three names"
	ocap run --network none --pull=never "$REG/it/refs@$id"
	status_is "$RC" 0 "run by digest ($ERR)"
	eq "$OUT" "hello from the image" "run by digest"
	ocap run --network none --pull=never "docker://$REG/it/refs"
	eq "$OUT" "hello from the image" "run docker://REF without a tag"
}

# A layer gone from the store: run says so (and runs nothing); a pull makes
# it again from the stored blob.
t_oci_layer_missing() {
	local ref l
	oci_begin
	oci_base "$OCI_TMP/base"
	oci_push it/gone:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd >/dev/null
	ref=$REG/it/gone:1
	ocap pull -q "$ref"
	status_is "$RC" 0 "pull ($ERR)"
	l=$(oci_ls "$OCI_STORE/layers")
	rm -rf "${OCI_STORE:?}/layers/$l"
	ocap run --network none "$ref"
	status_is "$RC" 125 "run with a layer missing"
	eq "$OUT" "" "run with a layer missing ran something"
	contains "$(errlines "$ERR")" "layer sha256:$l of image" "the message names the layer"
	contains "$(errlines "$ERR")" "is missing from the store (pull the image again)" "the message says what to do"
	ocap pull -q "$ref"
	status_is "$RC" 0 "pull again ($ERR)"
	[ -d "$OCI_STORE/layers/$l" ] || fail "the pull did not make the layer again"
	ocap run --network none "$ref"
	eq "$OUT" "hello from the image" "run after the layer was made again"
}

# Plain HTTP is spoken only to a loopback registry named literally (or with
# --tls-verify=false): a registry at 192.0.2.1 (TEST-NET, on the loopback
# device of a private network namespace) is asked for HTTPS and refused.
oci_plain_http_inner() {
	local d=$OCI_TMP/remote
	ip link set lo up
	ip addr add 192.0.2.1/32 dev lo
	mkdir -p "$d/data"
	sed "s|127.0.0.1:0|192.0.2.1:5000|; s|$OCI_TMP/registry/data|$d/data|" "$OCI_TMP/registry/config.yml" >"$d/config.yml"
	docker-registry serve "$d/config.yml" </dev/null >"$d/log" 2>&1 &
	# shellcheck disable=SC2064   # this pid
	trap "kill $!; wait $! 2>/dev/null || true" EXIT
	wait_until 10 "the registry on 192.0.2.1" 'grep -q "listening on 192.0.2.1:5000" "$d/log" 2>/dev/null'
	REG=192.0.2.1:5000
	oci_push it/remote:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd >/dev/null
	ocap pull "$REG/it/remote:1"
	status_is "$RC" 1 "pull over plain HTTP from 192.0.2.1"
	eq "$(count_lines "$(errlines "$ERR")")" 1 "one error line ($ERR)"
	contains "$(errlines "$ERR")" "GET https://$REG/v2/" "HTTPS was asked for"
	eq "$(oci_ls "$OCI_STORE/blobs/sha256")" "" "nothing was fetched"
	ocap run --network none "$REG/it/remote:1"
	status_is "$RC" 125 "run over plain HTTP from 192.0.2.1"
	ocap pull -q --tls-verify=false "$REG/it/remote:1"
	status_is "$RC" 0 "pull --tls-verify=false ($ERR)"
	ocap run --network none --tls-verify=false --pull=always "$REG/it/remote:1"
	status_is "$RC" 0 "run --tls-verify=false ($ERR)"
	eq "$OUT" "hello from the image" "run --tls-verify=false"
	# a registry registries.conf lists as insecure: plain HTTP without the flag
	local conf
	conf=$(scratch)/insecure.conf
	printf '[[registry]]\nlocation = "%s"\ninsecure = true\n' "$REG" >"$conf"
	chmod a+r "$conf"
	OCI_ENV="CONTAINERS_REGISTRIES_CONF=$conf" ocap run --network none --pull=always "$REG/it/remote:1"
	status_is "$RC" 0 "run from an insecure registry of registries.conf ($ERR)"
	eq "$OUT" "hello from the image" "run from an insecure registry of registries.conf"
}

t_oci_plain_http() {
	oci_begin
	oci_base "$OCI_TMP/base"
	export OCI_TMP OCI_DATA OCI_STORE OCI_PY
	unshare --net --mount --propagation private -- bash -c "$(declare -f)
		set -e
		oci_plain_http_inner"
}

# --- 2. the image's config ----------------------------------------------------

t_oci_config_cmd() {
	local ref
	oci_begin
	oci_base "$OCI_TMP/base"
	mkdir -p "$OCI_TMP/base/srv/app"
	oci_push it/cfg:1 --layer "$OCI_TMP/base" --env GREETING=hello --env "SPACED=a b=c" \
		--entrypoint /bin/echo ep --cmd c1 c2 --workdir /srv/app >/dev/null
	ref=$REG/it/cfg:1
	ocap run --network none "$ref"
	status_is "$RC" 0 "run ($ERR)"
	eq "$OUT" "ep c1 c2" "Entrypoint + Cmd"
	ocap run --network none "$ref" x "y z"
	eq "$OUT" "ep x y z" "arguments replace Cmd, after the Entrypoint"
	ocap run --network none --entrypoint /bin/sh "$ref" -c 'echo "$GREETING|$SPACED|$PATH"; pwd'
	status_is "$RC" 0 "--entrypoint ($ERR)"
	eq "$OUT" "hello|a b=c|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
/srv/app" "--entrypoint replaces the Entrypoint; Env and WorkingDir apply"
	ocap run --network none --entrypoint /bin/pwd "$ref"
	eq "$OUT" "/srv/app" "--entrypoint drops the image's Cmd too"
	ocap run --network none --entrypoint '' "$ref" /bin/sh -c 'echo "$0"; pwd' cleared
	status_is "$RC" 0 "--entrypoint '' ($ERR)"
	eq "$OUT" "cleared
/srv/app" "--entrypoint '' clears the Entrypoint"
	ocap run --network none --entrypoint '' "$ref"
	status_is "$RC" 125 "--entrypoint '' without a command"
	eq "$OUT" "" "--entrypoint '' without a command ran something"
	contains "$ERR" "no command given and image \"$ref\" has none" "--entrypoint '' without a command: the message"
	ocap run --network none -e GREETING=override -e NEW=1 -w /tmp --entrypoint /bin/sh "$ref" \
		-c 'echo "$GREETING $NEW $SPACED"; pwd'
	eq "$OUT" "override 1 a b=c
/tmp" "-e wins over the image's Env; -w over its WorkingDir"
}

t_oci_config_workdir_missing() {
	local ref
	oci_begin
	oci_base "$OCI_TMP/base"
	oci_push it/wd:1 --layer "$OCI_TMP/base" --workdir /does/not/exist --cmd /bin/pwd >/dev/null
	ref=$REG/it/wd:1
	ocap run --network none "$ref"
	status_is "$RC" 0 "a WorkingDir the image lacks ($ERR)"
	eq "$OUT" "/does/not/exist" "a WorkingDir the image lacks is made (as podman does)"
}

t_oci_config_user() {
	local ref
	oci_begin
	oci_base "$OCI_TMP/base"
	set -- --compression none --layer "$OCI_TMP/base"
	oci_push it/user:name "$@" --user agent --cmd /bin/sh -c 'id; echo "HOME=$HOME"' >/dev/null
	oci_push it/user:num "$@" --user 1000:10 --cmd /bin/id >/dev/null
	oci_push it/user:uid "$@" --user 1000 --cmd /bin/id >/dev/null
	oci_push it/user:ghost "$@" --user ghost --cmd /bin/id >/dev/null
	oci_push it/user:ghostgroup "$@" --user agent:ghosts --cmd /bin/id >/dev/null

	for ref in "$REG/it/user:ghost" "$REG/it/user:ghostgroup"; do
		ocap run --network none "$ref"
		status_is "$RC" 125 "an image User that does not resolve ($ref)"
		eq "$OUT" "" "an unresolvable image User ran the command (never as root)"
		contains "$(errlines "$ERR")" "ghost" "the error names the user ($ERR)"
		eq "$(count_lines "$(errlines "$ERR")")" 1 "one error line ($ERR)"
	done

	ocap run --network none --user 0 "$REG/it/user:name"
	status_is "$RC" 0 "--user 0 over the image's User ($ERR)"
	eq "$OUT" "uid=0(root) gid=0(root) groups=0(root)
HOME=/root" "--user overrides the image's User"

	if ! maps_ids; then
		# Only uid 0 exists: an image User other than root is refused,
		# never replaced by root.
		for ref in "$REG/it/user:name" "$REG/it/user:num" "$REG/it/user:uid"; do
			ocap run --network none "$ref"
			status_is "$RC" 125 "single mode: image User ($ref)"
			eq "$OUT" "" "single mode: an image User ran the command as root"
			contains "$ERR" "usermod --add-subuids" "single mode: the message names the fix ($ERR)"
		done
		return 0
	fi
	ocap run --network none "$REG/it/user:name"
	status_is "$RC" 0 "image User agent ($ERR)"
	eq "$OUT" "uid=1000(agent) gid=1000(agent) groups=5(tty),10(wheel),1000(agent)
HOME=/home/agent" "image User by name"
	ocap run --network none "$REG/it/user:num"
	status_is "$RC" 0 "image User 1000:10 ($ERR)"
	eq "$OUT" "uid=1000(agent) gid=10(wheel) groups=5(tty),10(wheel)" "image User uid:gid"
	ocap run --network none "$REG/it/user:uid"
	status_is "$RC" 0 "image User 1000 ($ERR)"
	eq "$OUT" "uid=1000(agent) gid=1000(agent) groups=5(tty),10(wheel),1000(agent)" "image User by uid"
}

# --- 3. layers ----------------------------------------------------------------

t_oci_layers_whiteout_opaque() {
	local ref l1=$OCI_TMP/l1 l2 l3
	oci_begin
	l1=$OCI_TMP/l1 l2=$OCI_TMP/l2 l3=$OCI_TMP/l3
	oci_base "$l1"
	mkdir -p "$l1/data" "$l1/opq/sub" "$l1/gonedir/deep" "$l2/data" "$l3/opq"
	echo gone >"$l1/data/gone"
	echo kept >"$l1/data/kept"
	echo old >"$l1/opq/old"
	echo old2 >"$l1/opq/sub/old2"
	echo "layer 1" >"$l1/opq/same"
	echo x >"$l1/gonedir/deep/x"
	: >"$l2/data/.wh.gone"
	: >"$l2/.wh.gonedir"
	echo added >"$l2/data/added"
	: >"$l3/opq/.wh..wh..opq"
	echo new >"$l3/opq/new"
	echo "layer 3" >"$l3/opq/same"
	oci_push it/layers:1 --layer "$l1" --layer "$l2" --layer "$l3" >/dev/null
	ref=$REG/it/layers:1
	ocap run --network none "$ref" /bin/sh -c '
		echo "data: $(ls -A /data | tr "\n" " ")"
		echo "opq: $(ls -A /opq | tr "\n" " ")"
		echo "same: $(cat /opq/same)"
		test -e /data/gone && echo "gone is there"
		test -e /gonedir && echo "gonedir is there"
		test -e /opq/old && echo "old is there"
		test -e /opq/sub && echo "sub is there"
		find / -xdev -name ".wh.*" | sed "s/^/whiteout file: /"
		rm /data/kept && echo > /data/gone && echo "written"
		echo "data after: $(ls -A /data | tr "\n" " ")"'
	status_is "$RC" 0 "run ($ERR)"
	eq "$OUT" "data: added kept 
opq: new same 
same: layer 3
written
data after: added gone " "whiteouts delete, the opaque directory shows only layer 3's entries"
	ocap inspect "$ref"
	eq "$(oci_json 'len(j[0]["Layers"])' <<<"$OUT")" 3 "three layers"
}

# A directory deleted and made again in one layer: the whiteout applies to
# the lower layers only ("Whiteout files MUST only apply to resources in
# lower/parent layers", OCI image spec, layer.md), whichever comes first in
# the tar (the spec says producers SHOULD put whiteouts first); an opaque
# marker after its siblings hides only the lower entries too.
t_oci_layers_whiteout_recreate() {
	local order got want
	oci_begin
	oci_base "$OCI_TMP/base"
	printf 'dir d\nfile d/old old\ndir o\nfile o/old old\n' | oci_tar "$OCI_TMP/lower.tar"
	printf 'file .wh.d x\ndir d\nfile d/new new\n' | oci_tar "$OCI_TMP/whfirst.tar"
	printf 'dir d\nfile .wh.d x\nfile d/new new\n' | oci_tar "$OCI_TMP/whlast.tar"
	printf 'dir o\nfile o/new new\nfile o/.wh..wh..opq x\n' | oci_tar "$OCI_TMP/opqlast.tar"
	got="" want=""
	for order in whfirst whlast opqlast; do
		oci_push "it/recreate:$order" --compression none --layer "$OCI_TMP/base" \
			--layer-tar "$OCI_TMP/lower.tar" --layer-tar "$OCI_TMP/$order.tar" >/dev/null
		ocap run --network none "$REG/it/recreate:$order" /bin/sh -c 'echo "d: $(ls -A /d | tr "\n" " ")o: $(ls -A /o | tr "\n" " ")"'
		got="$got$order: $RC $OUT
"
		case $order in
		opqlast) want="${want}$order: 0 d: old o: new 
" ;;
		*) want="${want}$order: 0 d: new o: old 
" ;;
		esac
		[ "$RC" = 0 ] || echo "# $order: $ERR"
	done
	eq "$got" "$want" "a directory whited out and made again in one layer shows only that layer's entries"
}

t_oci_layers_ownership() {
	local ref want l
	oci_begin
	oci_base "$OCI_TMP/base"
	mkdir -p "$OCI_TMP/base/srv"
	echo s >"$OCI_TMP/base/srv/setuid"
	chown 1000:10 "$OCI_TMP/base/srv/setuid"
	chmod 4750 "$OCI_TMP/base/srv/setuid"
	oci_push it/own:1 --layer "$OCI_TMP/base" >/dev/null
	ref=$REG/it/own:1
	ocap pull "$ref"
	status_is "$RC" 0 "pull ($ERR)"
	if maps_ids; then
		not_contains "$ERR" "owned by you" "a squash note with ids to map"
	else
		contains "$ERR" "paude: note: no subuid range: every file of the image's layers is owned by you" \
			"single mode: the squash is noted"
	fi
	# On the host: root's layers keep the archive's ids (the sandbox sees
	# them through an id-mapped mount); rootless, they are the ids of the
	# user's own namespace (uid 1000 is IT_SUB_START + 999 with a range).
	case $MODE in
	root) want="1000:1000 1000:10 0:0" ;;
	subid) want="$((IT_SUB_START + 999)):$((IT_SUB_START + 999)) $((IT_SUB_START + 999)):$((IT_SUB_START + 9)) $(id -u "$RUNUSER"):$(id -g "$RUNUSER")" ;;
	single) want="$(id -u "$RUNUSER"):$(id -g "$RUNUSER") $(id -u "$RUNUSER"):$(id -g "$RUNUSER") $(id -u "$RUNUSER"):$(id -g "$RUNUSER")" ;;
	esac
	l=$OCI_STORE/layers/$(oci_ls "$OCI_STORE/layers")
	eq "$(stat -c %u:%g "$l/home/agent" "$l/srv/setuid" "$l/bin/busybox" | paste -sd' ')" "$want" \
		"the owners of the layer's files on the host"
	ocap run --network none "$ref" /bin/stat -c '%n %u:%g %a' /home/agent /srv/setuid /bin/busybox
	status_is "$RC" 0 "run ($ERR)"
	if maps_ids; then
		eq "$OUT" "/home/agent 1000:1000 755
/srv/setuid 1000:10 4750
/bin/busybox 0:0 755" "the layer's owners and modes, inside"
	else
		# The modes stay: a set-user-ID file of the user's own is nothing
		# the user could not make.
		eq "$OUT" "/home/agent 0:0 755
/srv/setuid 0:0 4750
/bin/busybox 0:0 755" "single mode: every owner is the container's root"
	fi
}

# Hard links, fifos and devices in a layer: a hard link is one file inside;
# a fifo is made in every mode; a device node only as root (rootless it is
# skipped, with a note).
t_oci_layers_special() {
	local ref
	oci_begin
	oci_base "$OCI_TMP/base"
	printf 'dir srv\nfile srv/t shared data\nhard srv/h srv/t\nfifo srv/fifo\nchar srv/null 1:3\n' |
		oci_tar "$OCI_TMP/special.tar"
	oci_push it/special:1 --compression none --layer "$OCI_TMP/base" --layer-tar "$OCI_TMP/special.tar" >/dev/null
	ref=$REG/it/special:1
	ocap pull "$ref"
	status_is "$RC" 0 "pull ($ERR)"
	if [ "$MODE" = root ]; then
		not_contains "$ERR" "device nodes skipped" "root: devices skipped"
	else
		contains "$ERR" "paude: note: layer sha256:" "rootless: the skipped device is noted"
		contains "$ERR" ": 1 device nodes skipped (rootless)" "rootless: the skipped device is noted"
	fi
	ocap run --network none "$ref" /bin/sh -c '
		cat /srv/h; [ /srv/h -ef /srv/t ] && echo "one file"; stat -c "%h %F" /srv/t /srv/fifo
		if [ -e /srv/null ]; then stat -c "%F %t:%T" /srv/null; else echo "no /srv/null"; fi'
	status_is "$RC" 0 "run ($ERR)"
	if [ "$MODE" = root ]; then
		eq "$OUT" "shared data
one file
2 regular file
1 fifo
character special file 1:3" "the hard link, the fifo and the device"
	else
		eq "$OUT" "shared data
one file
2 regular file
1 fifo
no /srv/null" "the hard link and the fifo, no device"
	fi
}

t_oci_layers_compression() {
	local c ref base_id mt
	oci_begin
	oci_base "$OCI_TMP/base"
	mkdir -p "$OCI_TMP/top/srv"
	head -c 200000 /dev/urandom >"$OCI_TMP/top/srv/blob"
	base_id=$(oci_diff_id "$OCI_TMP/base")
	for c in gzip zstd none; do
		oci_push "it/comp:$c" --compression "$c" --layer "$OCI_TMP/base" --layer "$OCI_TMP/top" >/dev/null
		ref=$REG/it/comp:$c
		ocap run --network none "$ref" /bin/sh -c 'sha256sum /srv/blob | cut -d" " -f1; cat /etc/motd'
		status_is "$RC" 0 "$c layers ($ERR)"
		eq "$OUT" "$(sha256sum "$OCI_TMP/top/srv/blob" | cut -d' ' -f1)
hello from the image" "$c layers: the content"
		case $c in
		gzip) mt=application/vnd.oci.image.layer.v1.tar+gzip ;;
		zstd) mt=application/vnd.oci.image.layer.v1.tar+zstd ;;
		none) mt=application/vnd.oci.image.layer.v1.tar ;;
		esac
		ocap inspect "$ref"
		eq "$(oci_json '[(l["MediaType"], l["DiffID"]) for l in j[0]["Layers"]][0]' <<<"$OUT")" \
			"[\"$mt\", \"$base_id\"]" "$c: the media type and the same diff_id"
		if [ "$c" = none ]; then
			eq "$(oci_json '[l["Digest"] == l["DiffID"] for l in j[0]["Layers"]]' <<<"$OUT")" "true
true" "uncompressed layers: digest = diff_id"
		fi
	done
	eq "$(oci_ls "$OCI_STORE/layers" | wc -l)" 2 "a layer is stored once per diff_id, whatever its compression"
}

t_oci_docker_schema2() {
	local ref id
	oci_begin
	oci_base "$OCI_TMP/base"
	id=$(oci_push it/docker:1 --docker --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd --env FROM=docker)
	ref=$REG/it/docker:1
	eq "$(oci_manifest it/docker 1 application/vnd.docker.distribution.manifest.v2+json | oci_json 'j["mediaType"]')" \
		application/vnd.docker.distribution.manifest.v2+json "the registry serves a Docker schema 2 manifest"
	ocap run "$ref"
	status_is "$RC" 0 "run ($ERR)"
	eq "$OUT" "hello from the image" "a Docker schema 2 image runs"
	ocap run --network none --entrypoint /bin/sh "$ref" -c 'echo "$FROM"'
	eq "$OUT" docker "its config's Env"
	ocap inspect "$ref"
	eq "$(oci_json '[j[0]["Id"]] + [l["MediaType"] for l in j[0]["Layers"]]' <<<"$OUT")" "$id
application/vnd.docker.image.rootfs.diff.tar.gzip" "inspect: the id and the Docker layer media type"
}

# oci_index_push LAYER-ARGS...: it/multi:1, an index whose entries differ
# (FLAVOR in their Env): linux/arm64/v8 first, then linux/amd64.  Their
# manifests' digests in OCI_AMD and OCI_ARM.
oci_index_push() {
	local arm amd mt=application/vnd.oci.image.index.v1+json
	oci_push it/multi:amd "$@" --index linux/amd64 --env FLAVOR=amd >/dev/null
	oci_push it/multi:arm "$@" --index linux/arm64/v8 --env FLAVOR=arm >/dev/null
	amd=$(oci_manifest it/multi amd "$mt" | oci_json 'j["manifests"][0]')
	arm=$(oci_manifest it/multi arm "$mt" | oci_json 'j["manifests"][0]')
	OCI_AMD=$(oci_json 'j["digest"]' <<<"$amd")
	OCI_ARM=$(oci_json 'j["digest"]' <<<"$arm")
	printf '{"schemaVersion":2,"mediaType":"%s","manifests":[%s,%s]}' "$mt" "$arm" "$amd" \
		>"$OCI_TMP/index.json"
	oci_push it/multi:1 --manifest-file "$OCI_TMP/index.json" --content-type "$mt" >/dev/null
}

# The host is x86_64 (the CI host; the busybox of every mode is its own):
# its platform is linux/amd64.
t_oci_index_platform() {
	local ref
	oci_begin
	oci_base "$OCI_TMP/base"
	oci_index_push --compression none --layer "$OCI_TMP/base"
	ref=$REG/it/multi:1

	ocap pull "$ref"
	status_is "$RC" 0 "pull of an index ($ERR)"
	eq "$OUT" "${OCI_AMD#sha256:}" "the host's platform (linux/amd64) is chosen"
	ocap inspect "$OCI_AMD"
	eq "$(oci_json '[j[0]["Config"]["architecture"], j[0]["Platform"]] + j[0]["Config"]["config"]["Env"][1:]' <<<"$OUT")" \
		"amd64
linux/amd64
FLAVOR=amd" "the amd64 image"
	ocap pull --platform linux/arm64 "$ref"
	status_is "$RC" 0 "pull --platform linux/arm64 ($ERR)"
	eq "$OUT" "${OCI_ARM#sha256:}" "--platform linux/arm64 chooses the other entry"
	ocap inspect "$OCI_ARM"
	eq "$(oci_json '[j[0]["Config"]["architecture"], j[0]["Config"]["variant"]] + j[0]["RepoTags"] + j[0]["Config"]["config"]["Env"][1:]' <<<"$OUT")" \
		"arm64
v8
$ref
FLAVOR=arm" "the arm64 image, which now has the name"
	ocap pull --platform linux/s390x "$ref"
	status_is "$RC" 1 "pull of a platform the index lacks"
	contains "$(errlines "$ERR")" "s390x" "the error names the platform"
	ocap images
	eq "$(awk 'NR > 1 { print $1, $2, $3 }' <<<"$OUT" | sort)" "$(printf '%s\n' "$REG/it/multi 1 ${OCI_ARM:7:12}" "<none> <none> ${OCI_AMD:7:12}" | sort)" \
		"two images stored (nothing for s390x); the amd64 one lost its name"
}

# run --platform: the binary is the same static x86 busybox in both entries,
# so the arm64 entry runs too; what is checked is which config applies.
t_oci_index_run_platform() {
	local ref
	oci_begin
	oci_base "$OCI_TMP/base"
	oci_index_push --compression none --layer "$OCI_TMP/base"
	ref=$REG/it/multi:1
	ocap run --network none --platform linux/arm64 "$ref" /bin/sh -c 'echo "$FLAVOR"'
	status_is "$RC" 0 "run --platform linux/arm64 ($ERR)"
	eq "$OUT" arm "run --platform linux/arm64 of a missing image"
	# The stored image is arm64; asking for amd64 must not run it.
	ocap run --network none --platform linux/amd64 "$ref" /bin/sh -c 'echo "$FLAVOR"'
	status_is "$RC" 0 "run --platform linux/amd64 ($ERR)"
	eq "$OUT" amd "run --platform linux/amd64 when the name holds the arm64 image (podman pulls the platform asked for)"
}

# --- 4. refusals --------------------------------------------------------------

t_oci_refuse_diff_id() {
	local ref real forged good
	oci_begin
	oci_base "$OCI_TMP/base"
	mkdir -p "$OCI_TMP/top/srv"
	echo "the real content" >"$OCI_TMP/top/srv/file"
	real=$(oci_diff_id "$OCI_TMP/top")
	oci_push it/forged:1 --layer "$OCI_TMP/base" --layer "$OCI_TMP/top" --bad-diff-id 1 >/dev/null
	ref=$REG/it/forged:1
	forged=$(oci_manifest it/forged 1 | oci_json 'j["config"]["digest"]')
	forged=$(curl -fsS "http://$REG/v2/it/forged/blobs/$forged" | oci_json 'j["rootfs"]["diff_ids"][1]')
	[ "$forged" != "$real" ] || fail "mkimage.py did not forge the diff_id"

	ocap pull "$ref"
	status_is "$RC" 1 "pull of a forged diff_id"
	eq "$OUT" "" "pull of a forged diff_id printed an id"
	eq "$(count_lines "$(errlines "$ERR")")" 1 "one error line ($ERR)"
	contains "$(errlines "$ERR")" "its content is $real, but the image's config says $forged: not stored" \
		"the error names both digests"
	[ ! -e "$OCI_STORE/layers/${real#sha256:}" ] || fail "the layer was stored under its real diff_id"
	[ ! -e "$OCI_STORE/layers/${forged#sha256:}" ] || fail "the layer was stored under the forged diff_id"
	eq "$(oci_ls "$OCI_STORE/tmp")" "" "the refused layer's unpacking is removed"
	oci_store_no_images
	ocap run --network none "$ref" /bin/true
	status_is "$RC" 125 "run of the forged image"
	contains "$ERR" "not stored" "run pulls and refuses it too"
	oci_store_no_images
	oci_sentinel_unchanged

	# The same layer with an honest config is stored and used.
	good=$(oci_push it/honest:1 --layer "$OCI_TMP/base" --layer "$OCI_TMP/top")
	ocap run --network none "$REG/it/honest:1" /bin/cat /srv/file
	status_is "$RC" 0 "the honest image ($ERR)"
	eq "$OUT" "the real content" "the honest image's layer"
	[ -d "$OCI_STORE/layers/${real#sha256:}" ] || fail "the honest layer is not stored"
	ocap images --json
	eq "$(oci_json '[i["id"] for i in j]' <<<"$OUT")" "$good" "only the honest image is stored"
}

# oci_refuse_tar TAG TARFILE WANT: an image of the base layer plus TARFILE
# fails to pull with WANT in its one error line, and the store holds neither
# the layer nor the image; the sentinel is untouched.
oci_refuse_tar() {
	local tag=$1 tar=$2 want=$3 bad
	bad=sha256:$(sha256sum "$tar" | cut -d' ' -f1)
	oci_push "it/hostile:$tag" --compression none --layer "$OCI_TMP/base" --layer-tar "$tar" >/dev/null
	ocap pull "$REG/it/hostile:$tag"
	status_is "$RC" 1 "$tag: pull"
	eq "$OUT" "" "$tag: pull printed an id"
	eq "$(count_lines "$(errlines "$ERR")")" 1 "$tag: one error line ($ERR)"
	contains "$(errlines "$ERR")" "$want" "$tag: the message"
	[ ! -e "$OCI_STORE/layers/${bad#sha256:}" ] || fail "$tag: the hostile layer was stored"
	eq "$(oci_ls "$OCI_STORE/tmp")" "" "$tag: the refused layer's unpacking is removed"
	oci_store_no_images
	oci_sentinel_unchanged
}

t_oci_refuse_escape() {
	local up=""
	oci_begin
	oci_base "$OCI_TMP/base"
	printf 'file ok.txt fine\nfile ../escape out\n' | oci_tar "$OCI_TMP/dotdot.tar"
	oci_refuse_tar dotdot "$OCI_TMP/dotdot.tar" 'entry "../escape"'
	# Far enough up to reach / from the store's tmp/, then the sentinel.
	up=$(printf '../%.0s' $(seq 1 40))
	printf 'file %s%s/escaped out\n' "$up" "${OCI_SENT#/}" | oci_tar "$OCI_TMP/deep.tar"
	oci_refuse_tar deep "$OCI_TMP/deep.tar" "entry \"$up${OCI_SENT#/}/escaped\""
	printf 'file %s/abs out\n' "$OCI_SENT" | oci_tar "$OCI_TMP/abs.tar"
	oci_refuse_tar abs "$OCI_TMP/abs.tar" "entry \"$OCI_SENT/abs\""
	printf 'dir a\nfile a/../../up out\n' | oci_tar "$OCI_TMP/mid.tar"
	oci_refuse_tar mid "$OCI_TMP/mid.tar" 'entry "a/../../up"'
	[ -z "$(find "$OCI_DATA" -name escape -o -name up -o -name abs | head -n 1)" ] ||
		fail "an escaping entry was written: $(find "$OCI_DATA" -name escape -o -name up -o -name abs)"
}

# Ids above 65535 in a layer are refused with a subordinate range (root and
# subid); a single-id user gets every id squashed to its own anyway.
t_oci_refuse_ids() {
	oci_begin
	oci_base "$OCI_TMP/base"
	printf 'owned 4000000000:0 big uid\n' | oci_tar "$OCI_TMP/uid.tar"
	printf 'owned 0:70000 big gid\n' | oci_tar "$OCI_TMP/gid.tar"
	if maps_ids; then
		oci_refuse_tar uid "$OCI_TMP/uid.tar" 'entry "big": uid 4000000000 is above 65535, the highest id allowed'
		oci_refuse_tar gid "$OCI_TMP/gid.tar" 'entry "big": gid 70000 is above 65535, the highest id allowed'
		return 0
	fi
	oci_push it/ids:1 --compression none --layer "$OCI_TMP/base" --layer-tar "$OCI_TMP/uid.tar" >/dev/null
	ocap run --network none "$REG/it/ids:1" /bin/stat -c '%u:%g' /big
	status_is "$RC" 0 "single mode: a big uid is squashed ($ERR)"
	eq "$OUT" "0:0" "single mode: a big uid is squashed"
}

# A decompression bomb (300 MB of zeros, gzip and zstd): refused once past
# 256 MB at more than 100:1, nothing unpacked kept.
t_oci_refuse_bomb() {
	local c
	oci_begin
	mkdir -p "$OCI_TMP/bomb"
	head -c 300000000 /dev/zero >"$OCI_TMP/bomb/zero"
	tar -C "$OCI_TMP/bomb" -cf "$OCI_TMP/bomb.tar" zero
	rm -rf "$OCI_TMP/bomb"
	for c in gzip zstd; do
		oci_push "it/bomb:$c" --compression "$c" --layer-tar "$OCI_TMP/bomb.tar" >/dev/null
		ocap pull "$REG/it/bomb:$c"
		status_is "$RC" 1 "$c bomb: pull"
		eq "$(count_lines "$(errlines "$ERR")")" 1 "$c bomb: one error line ($ERR)"
		contains "$(errlines "$ERR")" 'entry "zero": expands more than 100:1 past 268435456 bytes (the ratio limit): a decompression bomb?' \
			"$c bomb: the message"
		eq "$(oci_ls "$OCI_STORE/layers")$(oci_ls "$OCI_STORE/tmp")" "" "$c bomb: something unpacked was kept"
		oci_store_no_images
	done
	rm -f "$OCI_TMP/bomb.tar"
}

t_oci_refuse_symlink() {
	oci_begin
	oci_base "$OCI_TMP/base"
	printf 'sym link %s\nfile link/pwned out\n' "$OCI_SENT" | oci_tar "$OCI_TMP/abs.tar"
	oci_refuse_tar abslink "$OCI_TMP/abs.tar" 'parent "link" is a symbolic link'
	printf 'sym up %s%s\nfile up/pwned out\n' "$(printf '../%.0s' $(seq 1 40))" "${OCI_SENT#/}" |
		oci_tar "$OCI_TMP/rel.tar"
	oci_refuse_tar rellink "$OCI_TMP/rel.tar" 'parent "up" is a symbolic link'
	printf 'dir d\nsym d/l /\nfile d/l/etc/pwned out\n' | oci_tar "$OCI_TMP/nested.tar"
	oci_refuse_tar nested "$OCI_TMP/nested.tar" 'is a symbolic link'
	printf 'sym s %s/file\nhard h s\n' "$OCI_SENT" | oci_tar "$OCI_TMP/hard.tar"
	oci_refuse_tar hardsym "$OCI_TMP/hard.tar" 'hard link target "s" is a symbolic link'
	printf 'hard h %s/file\n' "$OCI_SENT" | oci_tar "$OCI_TMP/hardout.tar"
	oci_refuse_tar hardout "$OCI_TMP/hardout.tar" 'entry "h"'

	# A regular file over a symlink replaces the link (as tar does): accepted,
	# and nothing is written through it.  A later layer's directory over an
	# earlier layer's link is a directory of its own.
	printf 'sym f %s/file\nfile f mine\nsym l %s\n' "$OCI_SENT" "$OCI_SENT" | oci_tar "$OCI_TMP/over.tar"
	printf 'dir l\nfile l/pwned written\n' | oci_tar "$OCI_TMP/later.tar"
	oci_push it/over:1 --compression none --layer "$OCI_TMP/base" --layer-tar "$OCI_TMP/over.tar" \
		--layer-tar "$OCI_TMP/later.tar" >/dev/null
	ocap run --network none "$REG/it/over:1" /bin/sh -c 'stat -c "%n %F" /f /l; cat /f /l/pwned; echo x >/l/more'
	status_is "$RC" 0 "symlinks replaced by later entries ($ERR)"
	eq "$OUT" "/f regular file
/l directory
mine
written" "the file and the directory are the image's own"
	oci_sentinel_unchanged
}

t_oci_refuse_schema1() {
	local s got want tag
	oci_begin
	s=$OCI_TMP/static
	oci_static "$s"
	cat >"$OCI_TMP/s1.json" <<'EOF'
{"schemaVersion": 1, "name": "it/s1", "tag": "1", "architecture": "amd64",
 "fsLayers": [{"blobSum": "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"}],
 "history": [{"v1Compatibility": "{\"id\": \"x\"}"}]}
EOF
	# The registry of the test refuses to store it (as registries do now).
	"$OCI_PY" "$IT_TOP/tests/oci/mkimage.py" push "$REG" it/s1:1 --manifest-file "$OCI_TMP/s1.json" \
		--content-type application/vnd.docker.distribution.manifest.v1+prettyjws >/dev/null 2>&1 &&
		fail "docker-registry stored a schema 1 manifest: use it rather than the static registry"
	# Served as what it is (signed or not), as a registry that predates
	# OCI did (application/json), and under an OCI type (only the body says).
	oci_static_put "$s" it/s1 signed application/vnd.docker.distribution.manifest.v1+prettyjws "$OCI_TMP/s1.json"
	oci_static_put "$s" it/s1 plain application/vnd.docker.distribution.manifest.v1+json "$OCI_TMP/s1.json"
	oci_static_put "$s" it/s1 json application/json "$OCI_TMP/s1.json"
	oci_static_put "$s" it/s1 oci application/vnd.oci.image.manifest.v1+json "$OCI_TMP/s1.json"
	got="" want=""
	for tag in signed plain json oci; do
		ocap pull "$STATIC/it/s1:$tag"
		got="$got$tag: pull $RC [$OUT] $(count_lines "$(errlines "$ERR")") error line(s), $(grep -c "Docker schema 1 is not supported" <<<"$ERR" || true) saying schema 1
"
		want="$want$tag: pull 1 [] 1 error line(s), 1 saying schema 1
"
		echo "# $tag: $ERR"
		ocap run --network none "$STATIC/it/s1:$tag" /bin/true
		got="$got$tag: run $RC [$OUT] $(grep -c "Docker schema 1 is not supported" <<<"$ERR" || true) saying schema 1
"
		want="$want$tag: run 125 [] 1 saying schema 1
"
	done
	eq "$(oci_ls "$OCI_STORE/blobs/sha256")$(oci_ls "$OCI_STORE/layers")$(oci_ls "$OCI_STORE/tmp")" "" \
		"schema 1: something was stored"
	oci_store_no_images
	oci_sentinel_unchanged
	eq "$got" "$want" "schema 1 manifests: refused, saying so"
}

# A manifest body with both "manifests" and "layers", and a good manifest
# served with a Content-Type that disagrees with it (the control: the same
# bytes with the right type pull).
t_oci_refuse_manifest_shape() {
	local s=$OCI_TMP/static man mt_m=application/vnd.oci.image.manifest.v1+json
	local mt_i=application/vnd.oci.image.index.v1+json id
	oci_begin
	oci_base "$OCI_TMP/base"
	id=$(oci_push it/good:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd)
	oci_static "$s"
	oci_manifest it/good 1 >"$OCI_TMP/good.json"
	man=$(cat "$OCI_TMP/good.json")
	# both: the good manifest plus a "manifests" list naming itself
	"$OCI_PY" -c '
import json, sys
m = json.load(open(sys.argv[1]))
m["manifests"] = [{"mediaType": sys.argv[2], "digest": sys.argv[3], "size": 1,
                   "platform": {"os": "linux", "architecture": "amd64"}}]
sys.stdout.write(json.dumps(m))' "$OCI_TMP/good.json" "$mt_m" "$id" >"$OCI_TMP/both.json"
	oci_static_put "$s" it/m both-as-manifest "$mt_m" "$OCI_TMP/both.json"
	oci_static_put "$s" it/m both-as-index "$mt_i" "$OCI_TMP/both.json"
	oci_static_put "$s" it/m liar "$mt_i" "$OCI_TMP/good.json"
	oci_static_put "$s" it/m liar-docker application/vnd.docker.distribution.manifest.list.v2+json "$OCI_TMP/good.json"
	oci_static_put "$s" it/m good "$mt_m" "$OCI_TMP/good.json"
	for tag in both-as-manifest both-as-index; do
		ocap pull "$STATIC/it/m:$tag"
		status_is "$RC" 1 "$tag"
		eq "$(count_lines "$(errlines "$ERR")")" 1 "$tag: one error line ($ERR)"
		contains "$ERR" "both an index and a manifest" "$tag: the message"
	done
	for tag in liar liar-docker; do
		ocap pull "$STATIC/it/m:$tag"
		status_is "$RC" 1 "$tag"
		eq "$(count_lines "$(errlines "$ERR")")" 1 "$tag: one error line ($ERR)"
		contains "$ERR" "disagrees with the body" "$tag: the message"
	done
	eq "$(oci_ls "$OCI_STORE/blobs/sha256")$(oci_ls "$OCI_STORE/layers")$(oci_ls "$OCI_STORE/tmp")" "" \
		"refused manifests: something was stored"
	oci_store_no_images
	oci_sentinel_unchanged
	ocap run --network none "$STATIC/it/m:good"
	status_is "$RC" 0 "the same bytes with the right Content-Type ($ERR)"
	eq "$OUT" "hello from the image" "the control image runs"
	eq "$(printf '%s' "$man" | sha256sum | cut -d' ' -f1)" "${id#sha256:}" "the static registry serves the registry's bytes"
}

# --- 5. robustness ------------------------------------------------------------

# oci_big_image: base + two layers of 6 MB of random bytes and 200 empty
# files each; OCI_MAP is the layer map for oci_store_check.
oci_big_image() {
	local i
	oci_base "$OCI_TMP/base"
	for i in 1 2; do
		mkdir -p "$OCI_TMP/big$i/big$i"
		head -c 6000000 /dev/urandom >"$OCI_TMP/big$i/big$i/data"
		seq 1 200 | sed "s|.*|$OCI_TMP/big$i/big$i/f&|" | xargs touch
	done
	oci_push it/big:1 --layer "$OCI_TMP/base" --layer "$OCI_TMP/big1" --layer "$OCI_TMP/big2" >/dev/null
	OCI_MAP="$(oci_diff_id "$OCI_TMP/base") $OCI_TMP/base
$(oci_diff_id "$OCI_TMP/big1") $OCI_TMP/big1
$(oci_diff_id "$OCI_TMP/big2") $OCI_TMP/big2"
}

oci_big_run_check() {
	ocap run --network none "$1" /bin/sh -c 'sha256sum /big1/data /big2/data; ls /big1 | wc -l; ls /big2 | wc -l; cat /etc/motd'
	status_is "$RC" 0 "run of the big image ($ERR)"
	eq "$OUT" "$(cd "$OCI_TMP/big1" && sha256sum big1/data | sed 's| big1| /big1|')
$(cd "$OCI_TMP/big2" && sha256sum big2/data | sed 's| big2| /big2|')
201
201
hello from the image" "the big image's content"
}

# SIGKILL a pull at random points of its course (fetching, unpacking each
# layer, writing the record; T is how long a whole pull takes here), check
# the store after each kill; then a pull completes and the image runs.
# it-timeout: 400
t_oci_pull_killed() {
	local ref i ms pid rc t0 t completed=0 killed=0
	oci_begin
	oci_big_image
	ref=$REG/it/big:1
	oci_cmd_prefix
	t0=$(date +%s%N)
	"${OCMD[@]}" pull -q "$ref" >"$OCI_TMP/pull.out" 2>&1 || fail "the first pull: $(cat "$OCI_TMP/pull.out")"
	t=$((($(date +%s%N) - t0) / 1000000))
	echo "# a whole pull takes $t ms"
	oci_store_check "$OCI_MAP"
	rm -rf "${OCI_STORE:?}"/*
	for i in $(seq 1 12); do
		ms=$((RANDOM % t))
		"${OCMD[@]}" pull -q "$ref" >"$OCI_TMP/pull.out" 2>&1 &
		pid=$!
		sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
		kill -KILL "$pid" 2>/dev/null || true
		rc=0
		wait "$pid" || rc=$?
		# What the killed pull forked (the registry worker, the unpacking
		# helper) dies with it (parent-death signal), not minutes later
		# when its downloads are done.
		wait_until 10 "the killed pull's children to die with it" '[ -z "$(oci_paude_procs)" ]'
		oci_store_check "$OCI_MAP"
		echo "# iteration $i: killed after ${ms} ms (status $rc): $(oci_ls "$OCI_STORE/blobs/sha256" | wc -l) blobs, $(oci_ls "$OCI_STORE/layers" | wc -l) layers, $(oci_ls "$OCI_STORE/images" | wc -l) records, $(oci_ls "$OCI_STORE/tmp" | wc -l) in tmp/"
		if [ "$rc" = 0 ]; then
			# It finished first: start again from an empty store, so that
			# the next kill lands in a pull again.
			completed=$((completed + 1))
			rm -rf "${OCI_STORE:?}"/*
		else
			status_is "$rc" 137 "iteration $i (${ms} ms): $(cat "$OCI_TMP/pull.out")"
			killed=$((killed + 1))
		fi
	done
	echo "# $killed killed, $completed completed before the kill"
	[ "$killed" -ge 4 ] || fail "only $killed of 12 pulls were killed before they ended"
	ocap pull -q "$ref"
	status_is "$RC" 0 "a pull after the killed ones ($ERR)"
	oci_store_check "$OCI_MAP"
	eq "$(oci_ls "$OCI_STORE/layers" | wc -l)" 3 "the three layers are stored"
	eq "$(oci_ls "$OCI_STORE/images" | wc -l)" 1 "one image record"
	oci_big_run_check "$ref"
}

# A SIGKILLed pull takes its registry worker with it (parent-death signal):
# here the worker is in the middle of a blob the registry stalls for 8 s,
# and would live that long without it.
t_oci_pull_killed_worker_dies() {
	local d port other pid
	oci_begin
	d=$OCI_TMP/fake
	mkdir -p "$d"
	python3 "$IT_TOP/tests/oci/fake_registry.py" --port-file "$d/port" --log "$d/log" \
		</dev/null >"$d/out" 2>&1 &
	OCI_PIDS+=("$!")
	wait_until 10 "the fake registry" '[ -s "$d/port" ]'
	read -r port other <"$d/port"
	: "$other"
	oci_cmd_prefix
	"${OCMD[@]}" pull -q "127.0.0.1:$port/stall:1" >"$d/pull.out" 2>&1 &
	pid=$!
	wait_until 10 "the pull to ask for the stalled blob" 'grep -q "/v2/stall/blobs/" "$d/log"'
	[ -n "$(oci_paude_procs)" ] || fail "the pull is not running: $(cat "$d/pull.out")"
	[ "$(oci_paude_procs | wc -l)" -ge 2 ] || fail "no registry worker: $(oci_paude_procs)"
	kill -KILL "$pid"
	wait "$pid" || true
	wait_until 3 "the worker to die with the pull" '[ -z "$(oci_paude_procs)" ]'
	oci_store_check /dev/null
}

# oci_fake_images: tests/oci/fake_registry.py serving the images
# `mkimage.py push dir:$OCI_FAKE/images` made; its port in OCI_FAKE_PORT.
oci_fake_images() {
	local other
	OCI_FAKE=$OCI_TMP/fake
	mkdir -p "$OCI_FAKE/images"
	python3 "$IT_TOP/tests/oci/fake_registry.py" --port-file "$OCI_FAKE/port" \
		--log "$OCI_FAKE/log" --images "$OCI_FAKE/images" </dev/null >"$OCI_FAKE/out" 2>&1 &
	OCI_PIDS+=("$!")
	wait_until 10 "the fake registry" '[ -s "$OCI_FAKE/port" ]'
	read -r OCI_FAKE_PORT other <"$OCI_FAKE/port"
	: "$other"
}

# A layer unpacks while it downloads.  When the download starts over (the
# registry resets the connection half way through every blob), the stream
# the unpack was reading is cut: the layer is unpacked again from the
# stored blob, once it is whole and verified, and the pull succeeds.
t_oci_pull_stream_cut() {
	local ref gets
	oci_begin
	oci_fake_images
	oci_base "$OCI_TMP/base"
	mkdir -p "$OCI_TMP/l2/data"
	head -c 600000 /dev/urandom >"$OCI_TMP/l2/data/blob"
	"$OCI_PY" "$IT_TOP/tests/oci/mkimage.py" push "dir:$OCI_FAKE/images" x:1 \
		--compression none --layer "$OCI_TMP/base" --layer "$OCI_TMP/l2" \
		--cmd /bin/sha256sum /data/blob >/dev/null || fail "mkimage.py"
	ref=127.0.0.1:$OCI_FAKE_PORT/img-reset:1
	oci_cmd_prefix
	ocap pull -q "$ref"
	status_is "$RC" 0 "a pull whose every blob is cut once ($ERR)"
	gets=$(grep -c '"GET", "path": "/v2/img-reset/blobs/sha256:' "$OCI_FAKE/log")
	eq "$gets" 6 "each of the three blobs asked for twice"
	ocap run --network none "$ref"
	status_is "$RC" 0 "run the image ($ERR)"
	eq "${OUT%% *}" "$(sha256sum <"$OCI_TMP/l2/data/blob" | cut -d' ' -f1)" \
		"the cut layer's file is whole"
	oci_store_check "$(oci_diff_id "$OCI_TMP/base") $OCI_TMP/base
$(oci_diff_id "$OCI_TMP/l2") $OCI_TMP/l2"
	eq "$(oci_ls "$OCI_STORE/tmp")" "" "nothing left in tmp/"
}

# Layers download (and unpack) in parallel: with three layers each served
# 0.4 s late, the registry sees more than one blob request at once.
t_oci_pull_parallel() {
	local most
	oci_begin
	oci_fake_images
	oci_base "$OCI_TMP/base"
	mkdir -p "$OCI_TMP/l2" "$OCI_TMP/l3"
	echo two >"$OCI_TMP/l2/two"
	echo three >"$OCI_TMP/l3/three"
	"$OCI_PY" "$IT_TOP/tests/oci/mkimage.py" push "dir:$OCI_FAKE/images" x:1 \
		--compression none --layer "$OCI_TMP/base" --layer "$OCI_TMP/l2" \
		--layer "$OCI_TMP/l3" --cmd /bin/cat /two /three >/dev/null || fail "mkimage.py"
	oci_cmd_prefix
	ocap pull -q "127.0.0.1:$OCI_FAKE_PORT/img-slow:1"
	status_is "$RC" 0 "pull ($ERR)"
	most=$("$OCI_PY" -c '
import json, sys
print(max([json.loads(l).get("inflight", 0) for l in open(sys.argv[1])] or [0]))' "$OCI_FAKE/log")
	[ "$most" -ge 2 ] || fail "at most $most blob requests at once: the layers came one by one"
	eq "$(oci_ls "$OCI_STORE/layers" | wc -l)" 3 "three layers"
	ocap run --network none "127.0.0.1:$OCI_FAKE_PORT/img-slow:1"
	eq "$OUT" "two
three" "the image runs ($ERR)"
	oci_store_check "$(oci_diff_id "$OCI_TMP/base") $OCI_TMP/base
$(oci_diff_id "$OCI_TMP/l2") $OCI_TMP/l2
$(oci_diff_id "$OCI_TMP/l3") $OCI_TMP/l3"
}

# More layers than overlayfs stacks (500): the bottom ones are merged into
# one layer of the store, once, applying their whiteouts; the image runs
# with the upper layers over it, and a second run reuses the merged layer.
# it-timeout: 300
t_oci_many_layers() {
	local i args=() n
	oci_begin
	oci_fake_images
	oci_base "$OCI_TMP/base"
	mkdir -p "$OCI_TMP/v" "$OCI_TMP/w"
	echo victim >"$OCI_TMP/v/victim"
	touch "$OCI_TMP/w/.wh.victim"
	args=(--layer "$OCI_TMP/base" --layer "$OCI_TMP/v" --layer "$OCI_TMP/w")
	for i in $(seq 1 499); do
		mkdir -p "$OCI_TMP/l$i/l"
		echo "$i" >"$OCI_TMP/l$i/l/$i"
		args+=(--layer "$OCI_TMP/l$i")
	done
	"$OCI_PY" "$IT_TOP/tests/oci/mkimage.py" push "dir:$OCI_FAKE/images" x:1 \
		--compression none "${args[@]}" --cmd /bin/sh -c 'ls /l | wc -l; cat /l/499; test -e /victim && echo victim; true' \
		>/dev/null || fail "mkimage.py"
	oci_cmd_prefix
	ocap pull -q "127.0.0.1:$OCI_FAKE_PORT/img-ok:1"
	status_is "$RC" 0 "pull 502 layers ($ERR)"
	ocap run --network none "127.0.0.1:$OCI_FAKE_PORT/img-ok:1"
	status_is "$RC" 0 "run an image of 502 layers ($ERR)"
	eq "$OUT" "499
499" "the upper layers over the merged ones, whose whiteout was applied"
	contains "$ERR" "its bottom 3 are merged into one" "said once ($ERR)"
	n=$(oci_ls "$OCI_STORE/layers" | wc -l)
	eq "$n" 503 "502 layers and the merged one"
	ocap run --network none "127.0.0.1:$OCI_FAKE_PORT/img-ok:1"
	status_is "$RC" 0 "run it again ($ERR)"
	not_contains "$ERR" "merged into one" "the merged layer is reused"
	eq "$(oci_ls "$OCI_STORE/tmp")" "" "nothing left in tmp/"
}

# it-timeout: 200
t_oci_pull_concurrent() {
	local ref i pids=() rcs="" ids
	oci_begin
	oci_big_image
	ref=$REG/it/big:1
	oci_push it/other:1 --layer "$OCI_TMP/base" --layer "$OCI_TMP/big2" --cmd /bin/true >/dev/null
	oci_cmd_prefix
	for i in 1 2 3; do
		"${OCMD[@]}" pull -q "$ref" >"$OCI_TMP/pull$i.out" 2>"$OCI_TMP/pull$i.err" &
		pids+=("$!")
	done
	"${OCMD[@]}" pull -q "$REG/it/other:1" >"$OCI_TMP/pull4.out" 2>"$OCI_TMP/pull4.err" &
	pids+=("$!")
	for i in "${!pids[@]}"; do
		rc=0
		wait "${pids[$i]}" || rc=$?
		rcs="$rcs $rc"
	done
	eq "$rcs" " 0 0 0 0" "four concurrent pulls: $(cat "$OCI_TMP"/pull*.err)"
	ids=$(cat "$OCI_TMP/pull1.out" "$OCI_TMP/pull2.out" "$OCI_TMP/pull3.out" | sort -u)
	eq "$(count_lines "$ids")" 1 "the three pulls of one image print one id"
	oci_store_check "$OCI_MAP"
	eq "$(oci_ls "$OCI_STORE/layers" | wc -l)" 3 "each layer stored once"
	eq "$(oci_ls "$OCI_STORE/images" | wc -l)" 2 "two image records"
	eq "$(oci_json 'sorted(j)' <"$OCI_STORE/names.json")" "$REG/it/big:1
$REG/it/other:1" "both names"
	eq "$(oci_ls "$OCI_STORE/tmp")" "" "nothing left in tmp/ by pulls that succeeded"
	oci_big_run_check "$ref"
}

# --- 6. save, skopeo, umoci ---------------------------------------------------

oci_skopeo() { skopeo --policy "$OCI_TMP/policy.json" "$@"; }

oci_policy() {
	echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$OCI_TMP/policy.json"
}

t_oci_save_skopeo_umoci() {
	local ref id lay bundle out l
	oci_begin
	oci_policy
	oci_base "$OCI_TMP/base"
	mkdir -p "$OCI_TMP/top/srv"
	echo "top layer" >"$OCI_TMP/top/srv/file"
	id=$(oci_push it/save:1 --layer "$OCI_TMP/base" --layer "$OCI_TMP/top" --cmd /bin/cat /etc/motd --env SAVED=yes)
	ref=$REG/it/save:1
	oci_push it/save:2 --layer "$OCI_TMP/base" --cmd /bin/true >/dev/null
	ocap pull -q "$ref"
	status_is "$RC" 0 "pull ($ERR)"
	lay=$(scratch)/layout
	ocap save "$ref" "oci:$lay:mytag"
	status_is "$RC" 0 "save ($ERR)"
	eq "$OUT" "" "save prints nothing"
	out=$(oci_skopeo inspect "oci:$lay:mytag") || fail "skopeo inspect of the saved layout"
	eq "$(oci_json '[j["Digest"]] + j["Layers"] + [e for e in j["Env"] if e.startswith("SAVED")]' <<<"$out")" \
		"$id
$(oci_manifest it/save 1 | oci_json '[l["digest"] for l in j["layers"]]')
SAVED=yes" "skopeo inspect: the digest, the layers and the config of the saved image"
	eq "sha256:$(oci_skopeo inspect --raw "oci:$lay:mytag" | sha256sum | cut -d' ' -f1)" "$id" \
		"the saved manifest is byte for byte the registry's"

	# A second image into the same layout, and the first tag again.
	ocap pull -q "$REG/it/save:2"
	ocap save "$REG/it/save:2" "oci:$lay:other"
	status_is "$RC" 0 "save of a second image ($ERR)"
	ocap save "$ref" "oci:$lay:mytag"
	status_is "$RC" 0 "save to the same tag again ($ERR)"
	eq "$(oci_json '[m["annotations"]["org.opencontainers.image.ref.name"] for m in j["manifests"]]' <"$lay/index.json" | sort)" \
		"mytag
other" "index.json: one entry per tag"
	oci_skopeo inspect "oci:$lay:other" >/dev/null || fail "skopeo inspect of the second tag"

	bundle=$(scratch)/bundle
	if [ "$MODE" = root ]; then
		umoci unpack --image "$lay:mytag" "$bundle" >"$OCI_TMP/umoci.log" 2>&1 ||
			fail "umoci unpack: $(cat "$OCI_TMP/umoci.log")"
	else
		pexec umoci unpack --rootless --image "$lay:mytag" "$bundle" >"$OCI_TMP/umoci.log" 2>&1 ||
			fail "umoci unpack --rootless: $(cat "$OCI_TMP/umoci.log")"
	fi
	eq "$(cat "$bundle/rootfs/etc/motd" "$bundle/rootfs/srv/file")" "hello from the image
top layer" "umoci unpacks the saved image's files"
	cmp "$bundle/rootfs/bin/busybox" "$OCI_TMP/base/bin/busybox" || fail "umoci: busybox differs"
	eq "$(oci_json 'j["process"]["args"]' <"$bundle/config.json")" "/bin/cat
/etc/motd" "umoci: the runtime config from the image's config"

	for l in "oci:$lay" "oci:" "docker-archive:$lay.tar" "$lay"; do
		ocap save "$ref" "$l"
		[ "$l" = "oci:$lay" ] && { status_is "$RC" 0 "save without a tag ($ERR)"; continue; }
		status_is "$RC" 2 "save to \"$l\""
		contains "$(errlines "$ERR")" "save: " "save to \"$l\": a usage error ($ERR)"
	done
	ocap save "$REG/it/nosuch:1" "oci:$lay:x"
	status_is "$RC" 1 "save of an image not in the store"
	contains "$ERR" "not in the store" "save of an image not in the store: the message"
}

# A Docker schema 2 image saved: skopeo (containers/image) finds only OCI
# media types in a layout's index.json, and itself converts a Docker image
# when it writes one.
t_oci_save_docker_image() {
	local ref lay
	oci_begin
	oci_policy
	oci_base "$OCI_TMP/base"
	oci_push it/dsave:1 --docker --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd >/dev/null
	ref=$REG/it/dsave:1
	ocap pull -q "$ref"
	status_is "$RC" 0 "pull ($ERR)"
	lay=$(scratch)/layout
	ocap save "$ref" "oci:$lay:d"
	status_is "$RC" 0 "save ($ERR)"
	oci_skopeo inspect "oci:$lay:d" >"$OCI_TMP/skopeo.log" 2>&1 ||
		fail "skopeo inspect oci:DIR:TAG of a saved Docker schema 2 image: $(cat "$OCI_TMP/skopeo.log"); index.json: $(cat "$lay/index.json")"
}

# skopeo's images, pulled by paude: a saved layout copied back into the
# registry keeps its digest; skopeo's Docker schema 2 and zstd conversions run.
t_oci_skopeo_interop() {
	local ref id lay out
	oci_begin
	oci_policy
	oci_base "$OCI_TMP/base"
	id=$(oci_push it/src:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd)
	ref=$REG/it/src:1
	ocap pull -q "$ref"
	status_is "$RC" 0 "pull ($ERR)"
	lay=$(scratch)/layout
	ocap save "$ref" "oci:$lay:t"
	status_is "$RC" 0 "save ($ERR)"
	oci_skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$lay:t" "docker://$REG/it/copied:1" \
		>"$OCI_TMP/skopeo.log" 2>&1 || fail "skopeo copy of the saved layout: $(cat "$OCI_TMP/skopeo.log")"
	ocap pull -q "$REG/it/copied:1"
	status_is "$RC" 0 "pull of skopeo's copy ($ERR)"
	eq "$OUT" "${id#sha256:}" "the saved layout, copied by skopeo, is the same image"
	ocap images --json
	eq "$(oci_json '[sorted(i["names"]) for i in j]' <<<"$OUT")" "[\"$REG/it/copied:1\", \"$ref\"]" \
		"one image, two names"

	oci_skopeo copy -q --src-tls-verify=false --dest-tls-verify=false --format v2s2 \
		"docker://$ref" "docker://$REG/it/v2s2:1" >"$OCI_TMP/skopeo.log" 2>&1 ||
		fail "skopeo copy --format v2s2: $(cat "$OCI_TMP/skopeo.log")"
	# zstd by way of a layout: straight to the registry, skopeo reuses the
	# gzip blob it finds there.
	oci_skopeo copy -q --src-tls-verify=false --dest-compress-format zstd --dest-compress \
		"docker://$ref" "oci:$OCI_TMP/zstd:t" >"$OCI_TMP/skopeo.log" 2>&1 ||
		fail "skopeo copy to zstd: $(cat "$OCI_TMP/skopeo.log")"
	oci_skopeo copy -q --dest-tls-verify=false "oci:$OCI_TMP/zstd:t" "docker://$REG/it/zstd:1" \
		>"$OCI_TMP/skopeo.log" 2>&1 || fail "skopeo copy of the zstd layout: $(cat "$OCI_TMP/skopeo.log")"
	for out in v2s2 zstd; do
		ocap run --network none "$REG/it/$out:1"
		status_is "$RC" 0 "run of skopeo's $out copy ($ERR)"
		eq "$OUT" "hello from the image" "skopeo's $out copy runs"
	done
	ocap inspect "$REG/it/v2s2:1" "$REG/it/zstd:1"
	eq "$(oci_json '[l["MediaType"] for i in j for l in i["Layers"]]' <<<"$OUT")" \
		"application/vnd.docker.image.rootfs.diff.tar.gzip
application/vnd.oci.image.layer.v1.tar+zstd" "skopeo's conversions: the layer media types"
	eq "$(oci_ls "$OCI_STORE/layers" | wc -l)" 1 "one layer for all of them (one diff_id)"
}

# --- the store's place ----------------------------------------------------------

t_oci_store_location() {
	local ref home d
	oci_begin
	oci_base "$OCI_TMP/base"
	oci_push it/where:1 --layer "$OCI_TMP/base" >/dev/null
	ref=$REG/it/where:1
	if [ "$MODE" = root ]; then
		# Root's store is /var/lib/paude/storage whatever HOME and
		# XDG_DATA_HOME say (here: the test's store bound there).
		d=$(scratch)
		OCI_ENV="HOME=$d XDG_DATA_HOME=$d" ocap pull -q "$ref"
		status_is "$RC" 0 "pull ($ERR)"
		[ -f "$OCI_STORE/images/$OUT.json" ] || fail "root's image is not in /var/lib/paude/storage"
		eq "$(oci_ls "$d")" "" "root's pull wrote into \$HOME or \$XDG_DATA_HOME"
		eq "$(stat -c '%a %U' "$OCI_STORE")" "700 root" "the store is private"
		return 0
	fi
	home=$(scratch)
	pexec_prefix
	PEXEC_ENV="HOME=$home" pexec "$PAUDE" pull -q "$ref" >"$OCI_TMP/out" 2>"$OCI_TMP/err" ||
		fail "pull with the default store: $(cat "$OCI_TMP/err")"
	d=$home/.local/share/paude/storage
	[ -f "$d/images/$(cat "$OCI_TMP/out").json" ] || fail "the image is not in \$HOME/.local/share/paude/storage"
	eq "$(stat -c '%a %U' "$d")" "700 $RUNUSER" "the store is private to the user"
	eq "$(oci_ls "$OCI_STORE/images")" "" "XDG_DATA_HOME was not set, its store is untouched"
	# A relative XDG_DATA_HOME is ignored (the XDG rule).
	PEXEC_ENV="HOME=$home XDG_DATA_HOME=rel" pexec "$PAUDE" images >"$OCI_TMP/out" 2>&1 ||
		fail "images with a relative XDG_DATA_HOME: $(cat "$OCI_TMP/out")"
	contains "$(cat "$OCI_TMP/out")" "$REG/it/where" "a relative XDG_DATA_HOME falls back to HOME"
	# With XDG_DATA_HOME, that one.
	ocap pull -q "$ref"
	status_is "$RC" 0 "pull into XDG_DATA_HOME ($ERR)"
	[ -f "$OCI_STORE/images/$OUT.json" ] || fail "the image is not in \$XDG_DATA_HOME/paude/storage"
	eq "$(stat -c '%a %U' "$OCI_STORE")" "700 $RUNUSER" "the store is private to the user"
	# A store someone else owns is refused.
	d=$(mktemp -d "$IT_DIR/oci-foreign.XXXXXX")
	chmod 755 "$d"
	mkdir -p "$d/paude/storage"
	chmod 755 "$d/paude" "$d/paude/storage"
	PEXEC_ENV="XDG_DATA_HOME=$d" pexec "$PAUDE" images >"$OCI_TMP/out" 2>&1 && fail "a store root owns was used"
	contains "$(cat "$OCI_TMP/out")" "the store \"$d/paude/storage\" is not owned by this user" "a foreign store"
}

# push: a stored image goes up under another name (blobs the registry has are
# skipped), comes back by that name and by digest, and runs the same.
t_oci_push() {
	local id hex pushed
	oci_begin
	oci_base "$OCI_TMP/base"
	id=$(oci_push it/src:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd)
	hex=${id#sha256:}
	ocap pull -q "$REG/it/src:1"
	status_is "$RC" 0 "pull ($ERR)"
	ocap push "$REG/it/src:1" "docker://$REG/it/dst:2"
	status_is "$RC" 0 "push ($ERR)"
	pushed=$OUT
	eq "$pushed" "$id" "push prints the manifest's digest, the same bytes"
	contains "$ERR" "blob sha256:" "push reports each blob"
	ocap push "$REG/it/src:1" "$REG/it/dst:3"
	status_is "$RC" 0 "push again ($ERR)"
	contains "$ERR" "Skipped (exists)" "a blob the registry has is not sent again"
	ocap rmi "$REG/it/src:1"
	status_is "$RC" 0 "rmi ($ERR)"
	ocap run --pull always "$REG/it/dst@$id"
	status_is "$RC" 0 "run of the pushed image by digest ($ERR)"
	eq "$OUT" "hello from the image" "the pushed image runs"
	ocap images --json
	contains "$OUT" "$hex" "the pulled-back image has the same id"
	ocap push "$REG/it/none:1" "$REG/it/x:1"
	status_is "$RC" 1 "push of an image not in the store"
	contains "$ERR" "not in the store" "the reason"
}

# login/logout: the credentials file is written 0600 with the pair (never from
# the command line) and logout removes it; a wrong password stores nothing.
t_oci_login_logout() {
	local d auth
	oci_begin
	d=$(scratch)
	auth=$d/auth.json
	[ -z "$RUNUSER" ] || chown "$RUNUSER:" "$d"
	OCI_ENV="REGISTRY_AUTH_FILE=$auth"
	# the test registry has no authentication: any password is "right"
	oci_cmd_prefix
	RC=0
	OUT=$(printf 's3cret\n' | "${OCMD[@]}" login -u alice --password-stdin "$REG" 2>&1) || RC=$?
	status_is "$RC" 0 "login ($OUT)"
	contains "$OUT" "Login Succeeded!" "login says so"
	eq "$(stat -c %a "$auth")" 600 "the auth file's mode"
	contains "$(cat "$auth")" "$(printf 'alice:s3cret' | base64)" "the pair, as podman writes it"
	ocap logout "$REG"
	status_is "$RC" 0 "logout ($ERR)"
	not_contains "$(cat "$auth")" "$REG" "logout removed the entry"
	ocap logout "$REG"
	status_is "$RC" 1 "logout again"
	contains "$ERR" "not logged into $REG" "the reason"
	ocap login -u alice --password-stdin </dev/null "$REG"
	status_is "$RC" 2 "an empty password is a usage error"
	OCI_ENV=
}

# Images from skopeo's local transports run: an OCI layout (oci:DIR:NAME),
# a tar of it (oci-archive:), and a `docker save` archive (docker-archive:,
# whose duplicate layer is a symlink member), plain and gzipped; each is
# stored under its name, and a second import finds everything stored.
# it-timeout: 200
t_oci_import_local_transports() {
	local ref d lay n
	oci_begin
	oci_policy
	oci_base "$OCI_TMP/base"
	oci_push it/imp:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd >/dev/null
	ref=$REG/it/imp:1
	d=$(scratch)
	lay=$d/Lay
	oci_skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$lay:t1" ||
		fail "skopeo copy to oci:"
	oci_skopeo copy -q --src-tls-verify=false "docker://$ref" "docker-archive:$d/dk.tar:it/imp:1" ||
		fail "skopeo copy to docker-archive:"
	tar -C "$lay" -cf "$d/lay.tar" .
	gzip -k "$d/dk.tar"
	chmod -R a+rX "$d"
	for src in "oci:$lay:t1" "oci:$lay" "oci-archive:$d/lay.tar:t1" "docker-archive:$d/dk.tar" \
		"docker-archive:$d/dk.tar:it/imp:1" "docker-archive:$d/dk.tar.gz"; do
		ocap run --network none "$src"
		status_is "$RC" 0 "run $src ($ERR)"
		eq "$OUT" "hello from the image" "run $src"
	done
	ocap images
	contains "$OUT" "localhost/lay" "the layout's image is named after its directory"
	contains "$OUT" "docker.io/it/imp" "the archive's image is named by its RepoTag"
	ocap run --network none --pull=never lay:t1
	status_is "$RC" 0 "its short name finds localhost/lay:t1, as podman's lookup does ($ERR)"
	eq "$OUT" "hello from the image" "run lay:t1"
	n=$(oci_ls "$OCI_STORE/layers" | wc -l)
	eq "$n" 1 "one layer stored for all of them"
	eq "$(oci_ls "$OCI_STORE/tmp" | wc -l)" 0 "nothing left in tmp/"
	ocap pull -q "oci-archive:$d/lay.tar:t1"
	status_is "$RC" 0 "pull oci-archive: ($ERR)"
	oci_store_check "$(oci_diff_id "$OCI_TMP/base") $OCI_TMP/base"
	oci_sentinel_unchanged
}

# What a layout or archive holds is checked: a blob whose bytes are not its
# name, a blob that is a symlink, a name the layout lacks, a layout of two
# images asked for none, an archive without manifest.json: each is refused
# with the reason, and nothing of it is stored.
t_oci_import_refusals() {
	local ref d lay blob
	oci_begin
	oci_policy
	oci_base "$OCI_TMP/base"
	oci_push it/imp:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd >/dev/null
	ref=$REG/it/imp:1
	d=$(scratch)
	lay=$d/lay
	oci_skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$lay:t1" || fail "skopeo copy"
	oci_skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$lay:t2" || fail "skopeo copy"
	# the biggest blob is the layer
	blob=$(find "$lay/blobs/sha256" -type f -printf '%s %f\n' | sort -rn | head -n 1 | cut -d' ' -f2)
	cp -a "$lay" "$d/forged"
	printf 'X' | dd of="$d/forged/blobs/sha256/$blob" bs=1 seek=100 conv=notrunc status=none
	cp -a "$lay" "$d/linked"
	mv "$d/linked/blobs/sha256/$blob" "$d/outside"
	ln -s "$d/outside" "$d/linked/blobs/sha256/$blob"
	mkdir -p "$d/notar" && echo '{}' >"$d/notar/other.json" && tar -C "$d/notar" -cf "$d/notar.tar" .
	cp -a "$lay" "$d/fifo" && rm "$d/fifo/index.json" && mkfifo "$d/fifo/index.json"
	mkfifo "$d/fifo.tar"
	# a docker-archive whose RepoTags claim the name of an image already stored
	oci_skopeo copy -q --src-tls-verify=false "docker://$ref" "docker-archive:$d/dk.tar:it/claim:1" ||
		fail "skopeo copy to docker-archive:"
	chmod -R a+rX "$d"
	ocap run --network none "oci:$d/forged:t1"
	status_is "$RC" 125 "a forged blob"
	contains "$ERR" "its bytes hash to" "a forged blob: the reason ($ERR)"
	ocap run --network none "oci:$d/linked:t1"
	status_is "$RC" 125 "a symlinked blob"
	contains "$ERR" "blobs/sha256/$blob" "a symlinked blob: which ($ERR)"
	ocap run --network none "oci:$lay:t3"
	status_is "$RC" 125 "a name the layout lacks"
	contains "$ERR" 'no image named "t3" in the layout (it names: t1, t2)' "the names ($ERR)"
	ocap run --network none "oci:$lay"
	status_is "$RC" 125 "two images, none named"
	contains "$ERR" "the layout holds 2 images: name one" "none named ($ERR)"
	ocap run --network none "docker-archive:$d/notar.tar"
	status_is "$RC" 125 "an archive without manifest.json"
	contains "$ERR" 'not a docker-archive: the archive has no file "manifest.json"' "($ERR)"
	ocap run --network none "oci:$d/fifo:t1"
	status_is "$RC" 125 "a fifo as index.json (no hang)"
	contains "$ERR" "index.json is not a regular file" "a fifo as index.json ($ERR)"
	ocap run --network none "oci-archive:$d/fifo.tar"
	status_is "$RC" 125 "a fifo as the archive (no hang)"
	contains "$ERR" "is not a regular file" "a fifo as the archive ($ERR)"
	eq "$(oci_ls "$OCI_STORE/layers" | wc -l)" 0 "no layer stored"
	eq "$(oci_ls "$OCI_STORE/images" | wc -l)" 0 "no image stored"
	eq "$(oci_ls "$OCI_STORE/tmp" | wc -l)" 0 "nothing left in tmp/"
	[ ! -e "$OCI_STORE/blobs/sha256/$blob" ] || fail "the forged layer blob was stored"
	# an archive's own tag never takes over a name another image has
	oci_base "$OCI_TMP/other"
	echo "the other image" >"$OCI_TMP/other/etc/motd"
	oci_push it/claim:1 --layer "$OCI_TMP/other" --cmd /bin/cat /etc/motd >/dev/null
	ocap pull -q "$REG/it/claim:1"
	status_is "$RC" 0 "pull it/claim:1 ($ERR)"
	python3 - "$d/dk.tar" "$d/claim.tar" "$REG/it/claim:1" <<'PY'
import io, json, sys, tarfile
src, out = tarfile.open(sys.argv[1]), tarfile.open(sys.argv[2], "w")
for m in src.getmembers():
    if m.name == "manifest.json":
        d = json.loads(src.extractfile(m).read())
        d[0]["RepoTags"] = [sys.argv[3]]
        b = json.dumps(d).encode()
        m.size = len(b)
        out.addfile(m, io.BytesIO(b))
    else:
        out.addfile(m, src.extractfile(m) if m.isfile() else None)
out.close()
PY
	chmod a+r "$d/claim.tar"
	ocap run --network none "docker-archive:$d/claim.tar"
	status_is "$RC" 0 "run the claiming archive ($ERR)"
	eq "$OUT" "hello from the image" "the archive's own image runs"
	contains "$ERR" "names another image already" "said so ($ERR)"
	ocap run --network none "$REG/it/claim:1"
	eq "$OUT" "the other image" "the name still runs the image it named"
	oci_sentinel_unchanged
}

# save to oci-archive: a tar of a layout that skopeo reads and paude runs;
# the same image saved twice gives the same bytes; a failed save leaves the
# file it would have replaced as it was.
t_oci_save_oci_archive() {
	local ref d
	oci_begin
	oci_policy
	oci_base "$OCI_TMP/base"
	oci_push it/sar:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd >/dev/null
	ref=$REG/it/sar:1
	ocap pull -q "$ref"
	status_is "$RC" 0 "pull ($ERR)"
	d=$(scratch)
	ocap save "$ref" "oci-archive:$d/a.tar:v1"
	status_is "$RC" 0 "save oci-archive: ($ERR)"
	oci_skopeo inspect "oci-archive:$d/a.tar:v1" >"$OCI_TMP/skopeo.log" 2>&1 ||
		fail "skopeo inspect oci-archive: $(cat "$OCI_TMP/skopeo.log")"
	ocap save "$ref" "oci-archive:$d/b.tar:v1"
	status_is "$RC" 0 "save again ($ERR)"
	eq "$(sha256sum <"$d/a.tar")" "$(sha256sum <"$d/b.tar")" "the same image, the same archive"
	ocap run --network none "oci-archive:$d/a.tar:v1"
	status_is "$RC" 0 "run the saved archive ($ERR)"
	eq "$OUT" "hello from the image" "run the saved archive"
	ocap save it/not-here:1 "oci-archive:$d/a.tar:v1"
	status_is "$RC" 1 "save of an image not in the store"
	eq "$(sha256sum <"$d/a.tar")" "$(sha256sum <"$d/b.tar")" "the archive a failed save would replace"
	eq "$(ls "$d")" "a.tar
b.tar" "no temporary file left beside it"
	eq "$(oci_ls "$OCI_STORE/tmp" | wc -l)" 0 "nothing left in the store's tmp/"
}

# image prune: images without a name, then with -a every one, go with the
# layers and blobs nobody else needs and what killed pulls left in tmp/;
# an image a running sandbox uses, and its layers, stay; without a terminal
# it asks for -f.
# it-timeout: 200
t_oci_image_prune() {
	local d pid
	oci_begin
	oci_policy
	oci_base "$OCI_TMP/base"
	mkdir -p "$OCI_TMP/extra/srv" && echo extra >"$OCI_TMP/extra/srv/file"
	oci_push it/a:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd >/dev/null
	oci_push it/b:1 --layer "$OCI_TMP/base" --layer "$OCI_TMP/extra" --cmd /bin/true >/dev/null
	d=$(scratch)
	oci_skopeo copy -q --src-tls-verify=false "docker://$REG/it/b:1" "docker-archive:$d/untagged.tar" ||
		fail "skopeo copy"
	chmod -R a+rX "$d"
	for r in "$REG/it/a:1" "$REG/it/b:1" "docker-archive:$d/untagged.tar"; do
		ocap pull -q "$r"
		status_is "$RC" 0 "pull $r ($ERR)"
	done
	eq "$(oci_ls "$OCI_STORE/images" | wc -l)" 3 "three images"
	eq "$(oci_ls "$OCI_STORE/layers" | wc -l)" 2 "two layers: the archive shares both, by diff_id"
	# leftovers of killed pulls, made as the store's owner
	opd run --network none "$REG/it/a:1" true >/dev/null 2>&1 || true
	install -d "$OCI_STORE/tmp/layer-0000000000000001/etc"
	touch "$OCI_STORE/tmp/layer-0000000000000001/etc/x" "$OCI_STORE/tmp/blob-0000000000000002"
	[ -z "$RUNUSER" ] || chown -R "$RUNUSER:" "$OCI_STORE/tmp"
	oci_cmd_prefix
	"${OCMD[@]}" run --network none "$REG/it/a:1" sleep 60 >"$OCI_TMP/run.out" 2>&1 &
	pid=$!
	wait_until 20 "the sandbox on it/a:1" '[ -n "$(init_pid "$pid")" ]'
	ocap image prune </dev/null
	status_is "$RC" 2 "prune without a terminal or -f"
	contains "$ERR" "give -f" "prune without -f: the reason ($ERR)"
	eq "$(oci_ls "$OCI_STORE/images" | wc -l)" 3 "nothing removed without -f"
	ocap image prune -f
	status_is "$RC" 0 "prune -f ($ERR)"
	contains "$ERR" "1 images" "the untagged image went ($ERR)"
	contains "$ERR" "2 leftovers" "tmp/ was swept ($ERR)"
	eq "$(oci_ls "$OCI_STORE/images" | wc -l)" 2 "the named images stay"
	eq "$(oci_ls "$OCI_STORE/tmp" | wc -l)" 0 "tmp/ is empty"
	ocap rmi "$REG/it/a:1"
	status_is "$RC" 1 "rmi of the running image"
	contains "$ERR" "is in use by a running sandbox" "rmi of the running image: the reason ($ERR)"
	ocap pull -q "$REG/it/a:1"
	status_is "$RC" 0 "a pull of the running image again rewrites its record ($ERR)"
	ocap image prune -a -f
	status_is "$RC" 0 "prune -a -f ($ERR)"
	contains "$ERR" "what running sandboxes use is kept" "the running image is kept ($ERR)"
	eq "$(oci_ls "$OCI_STORE/images" | wc -l)" 1 "only the running image stays"
	eq "$(oci_ls "$OCI_STORE/layers" | wc -l)" 1 "only its layer stays"
	ocap images
	contains "$OUT" "it/a" "the running image is still listed"
	not_contains "$OUT" "it/b" "it/b went"
	kill "$pid"
	wait "$pid" || true
	ocap image prune -a -f
	status_is "$RC" 0 "prune -a -f once the sandbox is gone ($ERR)"
	eq "$(oci_ls "$OCI_STORE/images" | wc -l)" 0 "no image left"
	eq "$(oci_ls "$OCI_STORE/layers" | wc -l)" 0 "no layer left"
	eq "$(oci_ls "$OCI_STORE/blobs/sha256" | wc -l)" 0 "no blob left"
	eq "$(oci_ls "$OCI_STORE/locks" | grep -c '^image-' || true)" 0 "no image hold file left"
	oci_sentinel_unchanged
}

# `rmi -f` of a running image leaves its hold file while the sandbox holds
# it; prune keeps it then, and sweeps it once the sandbox is gone.
t_oci_prune_hold_files() {
	local pid
	oci_begin
	oci_base "$OCI_TMP/base"
	oci_push it/h:1 --layer "$OCI_TMP/base" --cmd /bin/true >/dev/null
	ocap pull -q "$REG/it/h:1"
	status_is "$RC" 0 "pull ($ERR)"
	oci_cmd_prefix
	"${OCMD[@]}" run --network none "$REG/it/h:1" sleep 60 >"$OCI_TMP/run.out" 2>&1 &
	pid=$!
	wait_until 20 "the sandbox on it/h:1" '[ -n "$(init_pid "$pid")" ]'
	ocap rmi -f "$REG/it/h:1"
	status_is "$RC" 0 "rmi -f of the running image ($ERR)"
	eq "$(oci_ls "$OCI_STORE/locks" | grep -c '^image-' || true)" 1 "its hold file stays while held"
	ocap image prune -f
	status_is "$RC" 0 "prune ($ERR)"
	eq "$(oci_ls "$OCI_STORE/locks" | grep -c '^image-' || true)" 1 "prune keeps a held one"
	kill "$pid"
	wait "$pid" || true
	ocap image prune -f
	status_is "$RC" 0 "prune once the sandbox is gone ($ERR)"
	eq "$(oci_ls "$OCI_STORE/locks" | grep -c '^image-' || true)" 0 "the hold file is swept"
}

# paude system reset: without -f it needs a terminal to ask on; while a
# sandbox runs on the store it removes nothing and says why; then it
# removes the whole store, subordinate-owned layers included, and the
# sessions' files.  As root the paths are the host's (/var/lib/paude,
# /run/paude): the reset runs in a mount namespace where they are the test's.
t_oci_system_reset() {
	local pid rcmd
	oci_begin
	oci_base "$OCI_TMP/base"
	oci_push it/r:1 --layer "$OCI_TMP/base" --cmd /bin/true >/dev/null
	ocap pull -q "$REG/it/r:1"
	status_is "$RC" 0 "pull ($ERR)"
	ocap system reset </dev/null
	status_is "$RC" 2 "without a terminal or -f"
	contains "$ERR" "give -f" "the reason ($ERR)"
	[ -d "$OCI_STORE/layers" ] || fail "the store went without -f"
	oci_cmd_prefix
	"${OCMD[@]}" run --network none "$REG/it/r:1" sleep 60 >"$OCI_TMP/run.out" 2>&1 &
	pid=$!
	wait_until 20 "the sandbox on it/r:1" '[ -n "$(init_pid "$pid")" ]'
	ocap system reset -f
	status_is "$RC" 1 "reset while a sandbox runs"
	contains "$ERR" "a sandbox runs on images of the store" "the reason ($ERR)"
	eq "$(oci_ls "$OCI_STORE/layers" | wc -l)" 1 "nothing removed"
	kill "$pid"
	wait "$pid" || true
	if [ "$MODE" = root ]; then
		mkdir -p "$OCI_TMP/varlib" "$OCI_TMP/run"
		# shellcheck disable=SC2016 # $0..$3 are the inner shell's
		rcmd=(unshare --mount --propagation private -- /bin/sh -c
			'mount --bind "$1" /var/lib/paude && mkdir -p /var/lib/paude/storage /var/lib/paude/sessions/s1 &&
			 mount --bind "$0" /var/lib/paude/storage && mount --bind "$2" /run && mkdir -p /run/paude &&
			 "$3" system reset -f && ! test -e /var/lib/paude/sessions && ! test -e /run/paude'
			"$OCI_STORE" "$OCI_TMP/varlib" "$OCI_TMP/run" "$PAUDE")
		RC=0
		ERR=$("${rcmd[@]}" 2>&1 >/dev/null) || RC=$?
	else
		mkdir -p "$OCI_DATA/paude/sessions/s1"
		[ -z "$RUNUSER" ] || chown -R "$RUNUSER:" "$OCI_DATA/paude/sessions"
		ocap system reset -f
		[ ! -e "$OCI_DATA/paude/sessions" ] || fail "the sessions' directory is still there"
	fi
	status_is "$RC" 0 "reset once the sandbox is gone ($ERR)"
	eq "$(oci_ls "$OCI_STORE")" "locks" "the store is empty but for its gc lock"
	eq "$(oci_ls "$OCI_STORE/locks")" "gc.lock" "which stays: waiting processes hold it"
	ocap images
	status_is "$RC" 0 "images after a reset ($ERR)"
	not_contains "$OUT" "it/r" "no image left"
}

# Progress: on a terminal each blob's line is redrawn in place and ends in
# "done"; without one, one line per blob and no carriage return.
t_oci_pull_progress() {
	local out
	oci_begin
	oci_base "$OCI_TMP/base"
	oci_push it/prog:1 --layer "$OCI_TMP/base" --cmd /bin/true >/dev/null
	oci_cmd_prefix
	out=$("$PTYRUN" --timeout 60 -- "${OCMD[@]}" pull "$REG/it/prog:1" 2>&1 | tr '\r' '~')
	contains "$out" "ptyrun: exit 0" "pull on a terminal ($out)"
	contains "$out" "~Copying blob " "the blob's line is drawn in place ($out)"
	contains "$out" " MiB  done" "and ends in done ($out)"
	ocap rmi "$REG/it/prog:1"
	ocap image prune -f
	ocap pull "$REG/it/prog:1"
	status_is "$RC" 0 "pull without a terminal ($ERR)"
	contains "$ERR" "Copying blob sha256:" "one line per blob"
	not_contains "$ERR" $'\r' "no carriage return without a terminal"
}

# Short names as podman resolves them with registries.conf: an [aliases]
# entry is the name's one meaning; otherwise, short-name-mode "enforcing"
# (the default) refuses to guess among several search registries, and
# "permissive" tries them in order (one that fails is said and skipped).
# The image is stored under the name that worked, and the short name finds
# it again; an empty search list with no alias is refused, naming the fix.
t_oci_short_names() {
	local conf
	oci_begin
	oci_base "$OCI_TMP/base"
	oci_push it/short:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd >/dev/null
	conf=$(scratch)/registries.conf
	cat >"$conf" <<EOC
unqualified-search-registries = ["127.0.0.1:1", "$REG"]
[aliases]
"nick" = "$REG/it/short"
EOC
	chmod a+r "$conf"
	OCI_ENV="CONTAINERS_REGISTRIES_CONF=$conf" ocap run --network none it/short:1
	status_is "$RC" 125 "enforcing: a short name with two search registries"
	contains "$ERR" "short-name-mode is enforcing and 2 registries could serve it" \
		"the reason ($ERR)"
	sed -i '1i short-name-mode = "permissive"' "$conf"
	OCI_ENV="CONTAINERS_REGISTRIES_CONF=$conf" ocap run --network none it/short:1
	status_is "$RC" 0 "run of a short name ($ERR)"
	eq "$OUT" "hello from the image" "the image found through the search list"
	contains "$ERR" "Trying to pull 127.0.0.1:1/it/short:1..." "the first registry tried ($ERR)"
	contains "$ERR" "Trying to pull $REG/it/short:1..." "then the second"
	ocap images
	contains "$OUT" "$REG/it/short" "stored under the name that worked"
	OCI_ENV="CONTAINERS_REGISTRIES_CONF=$conf" ocap run --network none it/short:1
	eq "$OUT" "hello from the image" "run of the short name again ($ERR)"
	not_contains "$ERR" "Trying to pull" "the short name finds the stored image"
	OCI_ENV="CONTAINERS_REGISTRIES_CONF=$conf" ocap run --network none --pull=always it/short:1
	status_is "$RC" 0 "--pull=always of the short name ($ERR)"
	contains "$ERR" "Trying to pull $REG/it/short:1..." "pulled again under the name it was found by"
	not_contains "$ERR" "127.0.0.1:1" "no other search registry is asked"
	OCI_ENV="CONTAINERS_REGISTRIES_CONF=$conf" ocap rmi it/short:1
	status_is "$RC" 0 "rmi by the short name ($ERR)"
	OCI_ENV="CONTAINERS_REGISTRIES_CONF=$conf" ocap run --network none nick:1
	status_is "$RC" 0 "run of an alias ($ERR)"
	eq "$OUT" "hello from the image" "the alias's image"
	contains "$ERR" "its alias in registries.conf is $REG/it/short:1" "the alias said ($ERR)"
	not_contains "$ERR" "127.0.0.1:1" "an alias is the name's one meaning"
	# registries.conf.d: a drop-in of the user's config dir adds an alias (rootless;
	# as root only /etc is read, which a test does not change)
	if [ "$MODE" != root ]; then
		mkdir -p "$(dirname "$conf")/xdg/containers/registries.conf.d"
		printf '[aliases]\n"dropin" = "%s/it/short"\n' "$REG" \
			>"$(dirname "$conf")/xdg/containers/registries.conf.d/50-test.conf"
		chmod -R a+rX "$(dirname "$conf")/xdg"
		OCI_ENV="XDG_CONFIG_HOME=$(dirname "$conf")/xdg" ocap pull dropin:1
		status_is "$RC" 0 "pull an alias of a registries.conf.d drop-in ($ERR)"
		contains "$ERR" "its alias in registries.conf is $REG/it/short:1" "the drop-in's alias ($ERR)"
	fi
	echo 'unqualified-search-registries = []' >"$conf"
	OCI_ENV="CONTAINERS_REGISTRIES_CONF=$conf" ocap pull it/short:1
	status_is "$RC" 1 "a short name with an empty search list"
	contains "$ERR" "no alias and no unqualified-search-registries" "the reason ($ERR)"
	contains "$ERR" "docker.io/it/short" "and the fix"
}

# registries.conf: mirrors are tried first, in order (one that fails is
# skipped with a note), the image keeps the name asked for; a blocked
# registry is refused before anything is fetched; a file paude cannot read
# is an error that names its line.
t_oci_registries_conf() {
	local conf bad
	oci_begin
	oci_base "$OCI_TMP/base"
	oci_push it/mir:1 --layer "$OCI_TMP/base" --cmd /bin/cat /etc/motd >/dev/null
	conf=$(scratch)/registries.conf
	bad=$(dirname "$conf")/bad.conf
	cat >"$conf" <<EOC
unqualified-search-registries = ["docker.io"]
[[registry]]
prefix = "mirrored.test/team"
location = "mirrored.test/team"
[[registry.mirror]]
location = "127.0.0.1:1/team"
[[registry.mirror]]
location = "$REG/it"
[[registry]]
location = "blocked.test"
blocked = true
EOC
	echo 'location "x"' >"$bad"
	chmod a+r "$conf" "$bad"
	OCI_ENV="CONTAINERS_REGISTRIES_CONF=$conf" ocap run --network none mirrored.test/team/mir:1
	status_is "$RC" 0 "run through a mirror ($ERR)"
	eq "$OUT" "hello from the image" "run through a mirror"
	contains "$ERR" "mirror 127.0.0.1:1/team/mir: " "the failing mirror is skipped, said so ($ERR)"
	ocap images
	contains "$OUT" "mirrored.test/team/mir" "stored under the name asked for"
	OCI_ENV="CONTAINERS_REGISTRIES_CONF=$conf" ocap pull blocked.test/x:1
	status_is "$RC" 1 "pull from a blocked registry"
	contains "$ERR" "blocked.test/x is blocked by registries.conf" "the reason ($ERR)"
	OCI_ENV="CONTAINERS_REGISTRIES_CONF=$bad" ocap pull "$REG/it/mir:1"
	status_is "$RC" 1 "pull with a broken registries.conf"
	contains "$ERR" "bad.conf:1: expected '=' after the key" "the line ($ERR)"
	eq "$(oci_ls "$OCI_STORE/images" | wc -l)" 1 "only the mirrored image is stored"
}
