#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mkimage.py - build test images from directories and push them to a registry.

    mkimage.py push REGISTRY REPO:TAG [options] --layer DIR [--layer DIR]...
    mkimage.py push dir:OUT REPO:TAG [options] ...   # blobs into OUT, named by
                                    # their hex digest, and the manifest as OUT/manifest-TAG
    mkimage.py layer DIR OUT.tar            # a layer's tar, as push makes it

Layers are tars of the directories' contents (numeric ids and modes kept;
files named .wh.NAME and .wh..wh..opq are ordinary files in DIR and become
whiteouts in the tar, as image builders write them).  Options:

    --compression gzip|zstd|none   layer compression (default gzip)
    --docker                       Docker schema 2 media types (default OCI)
    --layer-tar FILE               a ready tar (untrusted content) as the next layer
    --env K=V, --cmd ARG..., --entrypoint ARG..., --workdir D, --user U
    --bad-diff-id N                write a wrong diff_id for layer N (a forged config)
    --index PLAT[,PLAT...]         push an index whose entries are this image for
                                   each platform (os/arch[/variant]); the last one
                                   is the image itself, the others are copies with
                                   their own config
    --manifest-file FILE           push FILE's bytes as the manifest (forged manifests)
    --content-type T               with --manifest-file
Only the Python standard library and the zstd command are used; the registry
is spoken to over plain HTTP (a loopback test registry).
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import urllib.request

OCI = {
    "manifest": "application/vnd.oci.image.manifest.v1+json",
    "index": "application/vnd.oci.image.index.v1+json",
    "config": "application/vnd.oci.image.config.v1+json",
    "layer": {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
              "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
              "none": "application/vnd.oci.image.layer.v1.tar"},
}
DOCKER = {
    "manifest": "application/vnd.docker.distribution.manifest.v2+json",
    "index": "application/vnd.docker.distribution.manifest.list.v2+json",
    "config": "application/vnd.docker.container.image.v1+json",
    "layer": {"gzip": "application/vnd.docker.image.rootfs.diff.tar.gzip",
              "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
              "none": "application/vnd.docker.image.rootfs.diff.tar"},
}


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def tar_dir(d):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for root, dirs, files in os.walk(d):
            dirs.sort()
            for name in sorted(dirs) + sorted(files):
                p = os.path.join(root, name)
                rel = os.path.relpath(p, d)
                ti = t.gettarinfo(p, arcname=rel)
                ti.uname = ti.gname = ""
                ti.mtime = 0
                if ti.isreg():
                    with open(p, "rb") as f:
                        t.addfile(ti, f)
                else:
                    t.addfile(ti)
    return buf.getvalue()


def compress(data, how):
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c"], input=data, check=True,
                              stdout=subprocess.PIPE).stdout
    return data


class Registry:
    def __init__(self, host):
        self.base = "http://" + host

    def req(self, method, path, data=None, headers=None):
        r = urllib.request.Request(self.base + path, data=data, method=method,
                                   headers=headers or {})
        with urllib.request.urlopen(r) as resp:
            return resp.status, dict(resp.headers), resp.read()

    def blob(self, repo, data):
        d = sha(data)
        try:
            self.req("HEAD", "/v2/%s/blobs/%s" % (repo, d))
            return d
        except urllib.error.HTTPError:
            pass
        _, h, _ = self.req("POST", "/v2/%s/blobs/uploads/" % repo, b"")
        loc = h["Location"]
        if loc.startswith("/"):
            loc = self.base + loc
        sep = "&" if "?" in loc else "?"
        r = urllib.request.Request(loc + sep + "digest=" + d, data=data, method="PUT",
                                   headers={"Content-Type": "application/octet-stream"})
        urllib.request.urlopen(r).read()
        return d

    def manifest(self, repo, ref, body, ctype):
        self.req("PUT", "/v2/%s/manifests/%s" % (repo, ref), body, {"Content-Type": ctype})
        return sha(body)


class Dir:
    """What tests/oci/fake_registry.py --images serves."""

    def __init__(self, path):
        self.path = path
        os.makedirs(path, exist_ok=True)

    def blob(self, repo, data):
        d = sha(data)
        with open(os.path.join(self.path, d.split(":")[1]), "wb") as f:
            f.write(data)
        return d

    def manifest(self, repo, ref, body, ctype):
        d = self.blob(repo, body)
        if not ref.startswith("sha256:"):
            with open(os.path.join(self.path, "manifest-" + ref), "wb") as f:
                f.write(body)
        return d


def main(argv):
    if argv[:1] == ["layer"]:
        open(argv[2], "wb").write(tar_dir(argv[1]))
        return 0
    if argv[:1] != ["push"] or len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    reg = Dir(argv[1][4:]) if argv[1].startswith("dir:") else Registry(argv[1])
    name = argv[2]
    repo, tag = name.rsplit(":", 1)
    comp, mt = "gzip", OCI
    layers, cfg = [], {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
    bad, index, mfile, ctype = None, None, None, None
    i = 3
    while i < len(argv):
        a = argv[i]
        if a == "--compression":
            comp = argv[i + 1]; i += 2
        elif a == "--docker":
            mt = DOCKER; i += 1
        elif a == "--layer":
            layers.append(("dir", argv[i + 1])); i += 2
        elif a == "--layer-tar":
            layers.append(("tar", argv[i + 1])); i += 2
        elif a == "--env":
            cfg["Env"].append(argv[i + 1]); i += 2
        elif a in ("--cmd", "--entrypoint"):
            key = "Cmd" if a == "--cmd" else "Entrypoint"
            j = i + 1
            vals = []
            while j < len(argv) and not argv[j].startswith("--"):
                vals.append(argv[j]); j += 1
            cfg[key] = vals; i = j
        elif a == "--workdir":
            cfg["WorkingDir"] = argv[i + 1]; i += 2
        elif a == "--user":
            cfg["User"] = argv[i + 1]; i += 2
        elif a == "--bad-diff-id":
            bad = int(argv[i + 1]); i += 2
        elif a == "--index":
            index = argv[i + 1].split(","); i += 2
        elif a == "--manifest-file":
            mfile = argv[i + 1]; i += 2
        elif a == "--content-type":
            ctype = argv[i + 1]; i += 2
        else:
            sys.stderr.write("mkimage.py: unknown option %s\n" % a)
            return 2
    if mfile:
        body = open(mfile, "rb").read()
        print(reg.manifest(repo, tag, body, ctype or mt["manifest"]))
        return 0
    descs, diff_ids = [], []
    for n, (kind, src) in enumerate(layers):
        raw = tar_dir(src) if kind == "dir" else open(src, "rb").read()
        blob = compress(raw, comp)
        descs.append({"mediaType": mt["layer"][comp], "digest": reg.blob(repo, blob),
                      "size": len(blob)})
        diff_ids.append(sha(raw) if n != bad else sha(raw + b"forged"))

    def image(os_, arch, variant):
        c = {"architecture": arch, "os": os_, "config": cfg,
             "created": "2026-01-01T00:00:00Z",
             "rootfs": {"type": "layers", "diff_ids": diff_ids}}
        if variant:
            c["variant"] = variant
        cb = json.dumps(c).encode()
        m = {"schemaVersion": 2, "mediaType": mt["manifest"],
             "config": {"mediaType": mt["config"], "digest": reg.blob(repo, cb), "size": len(cb)},
             "layers": descs}
        mb = json.dumps(m).encode()
        return mb

    if not index:
        mb = image("linux", "amd64", None)
        print(reg.manifest(repo, tag, mb, mt["manifest"]))
        return 0
    entries = []
    for p in index:
        parts = p.split("/")
        mb = image(parts[0], parts[1], parts[2] if len(parts) > 2 else None)
        d = reg.manifest(repo, sha(mb), mb, mt["manifest"])
        e = {"mediaType": mt["manifest"], "digest": d, "size": len(mb),
             "platform": {"os": parts[0], "architecture": parts[1]}}
        if len(parts) > 2:
            e["platform"]["variant"] = parts[2]
        entries.append(e)
    ib = json.dumps({"schemaVersion": 2, "mediaType": mt["index"], "manifests": entries}).encode()
    print(reg.manifest(repo, tag, ib, mt["index"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
