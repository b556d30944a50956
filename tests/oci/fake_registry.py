#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A misbehaving registry for the failure paths of paude's registry client.

Two listeners: the registry on 127.0.0.1 and a "CDN" on 127.0.0.2 (another
host as far as the client's origin check goes).  Both log every request as
one JSON line to --log: {"server", "method", "path", "authorization"}; the
CDN logs all headers too.  Ports go to --port-file as "MAIN OTHER".

The registry wants a bearer token for everything under /v2/<repo>/: GET /v2/
answers 401 with a Bearer challenge whose realm is /token here, and /token
hands out "fake-token".  The first path component after /v2/ picks the
behaviour; the blob is BLOB below (its digest is printed by --print-digest),
the manifest MANIFEST.

  blobs:  ok, notfound, retry429 (first: 429 Retry-After: 1), retrydate
          (first: 429 with an HTTP date 10 s ahead), retrybig (first: 503
          Retry-After: 3600), retry503 (first two: 503), reset (first: half
          the body, then a TCP reset), stall (first: half, then silence for
          8 s), fail500 (always 500 with an error body), redirect (307 to the
          CDN, with a signed query), redirect-same (307 to /v2/ok/..., a
          relative Location), redirect-loop, redirect-ftp, corrupt (one byte
          flipped), long (one byte more, announced), chunkedlong (one byte
          more, chunked), noauth-cdn (the CDN itself answers 401)
  manifests: ok, badtype (text/html), huge (5 MiB, Content-Length), hugechunked
          (5 MiB, chunked), baddigest (a Docker-Content-Digest that lies),
          retry429 (first: 429)
  images (--images DIR, made by `mkimage.py push dir:DIR REPO:TAG ...`):
          /v2/img-<how>/manifests/TAG serves DIR/manifest-TAG, blobs come from
          DIR by digest; <how>: ok; reset (each blob's first GET: half, then a
          TCP reset); slow (each blob GET waits 0.4 s before its body; the log
          line carries "inflight", the blob GETs being served at that moment)
  uploads: POST /v2/<repo>/blobs/uploads/ answers 202 and PUT 201 (nothing is
          stored; blobs of "upload" and "flaky" are unknown to HEAD); for repo
          "flaky" the first PUT answers 503.
"""
import argparse
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BLOB = bytes((i * 7 + 3) % 251 for i in range(300000))
DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()
MANIFEST = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": DIGEST, "size": len(BLOB)},
    "layers": [],
}).encode()
MDIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
MT = "application/vnd.oci.image.manifest.v1+json"

COUNTS = {}
INFLIGHT = [0]
LOCK = threading.Lock()
ARGS = None
PORTS = {}


def count(key):
    with LOCK:
        COUNTS[key] = COUNTS.get(key, 0) + 1
        return COUNTS[key]


def log(entry):
    with LOCK, open(ARGS.log, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")


class Base(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_name_ = "main"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def send(self, status, body=b"", ctype="application/octet-stream", headers=(), head=False):
        head = head or self.command == "HEAD"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def error(self, status, code, message, headers=()):
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        self.send(status, body, "application/json", headers)

    def cut(self, body, how):
        """Headers for the whole body, half of it, then a reset or a silence."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        if how == "stall":
            time.sleep(8)
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def chunked(self, body, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(0, len(body), 65536):
            part = body[i:i + 65536]
            self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")


class Main(Base):
    def authorized(self):
        return self.headers.get("Authorization") == "Bearer fake-token"

    def challenge(self):
        realm = "http://127.0.0.1:%d/token" % PORTS["main"]
        self.error(401, "UNAUTHORIZED", "authentication required",
                   [("WWW-Authenticate", 'Bearer realm="%s",service="fake"' % realm)])

    def handle_any(self, method):
        url = urllib.parse.urlsplit(self.path)
        log({"server": "main", "method": method, "path": url.path,
             "authorization": self.headers.get("Authorization")})
        if method in ("PUT", "PATCH", "POST"):
            n = int(self.headers.get("Content-Length", "0"))
            if n:
                self.rfile.read(n)
        if url.path == "/token":
            self.send(200, json.dumps({"token": "fake-token"}).encode(), "application/json")
            return
        if url.path == "/v2/":
            self.challenge()
            return
        if not self.authorized():
            self.challenge()
            return
        parts = url.path.split("/")
        # /v2/<scenario>/(blobs|manifests)/<ref>, or /v2/<repo>/blobs/uploads/[id]
        if len(parts) < 5 or parts[1] != "v2":
            self.error(404, "NAME_UNKNOWN", "no such path")
            return
        scen, kind = parts[2], parts[3]
        if scen.startswith("img-") and ARGS.images:
            self.image(method, scen[4:], kind, parts[4])
        elif kind == "blobs" and parts[4] == "uploads":
            self.upload(method, scen, url)
        elif kind == "blobs":
            self.blob(method, scen, parts[4])
        elif kind == "manifests":
            self.manifest(scen, parts[4])
        else:
            self.error(404, "NAME_UNKNOWN", "no such path")

    def image(self, method, how, kind, ref):
        if kind == "manifests":
            name = ref if ref.startswith("sha256:") else "manifest-" + ref
            path = os.path.join(ARGS.images, name.replace("sha256:", ""))
        else:
            path = os.path.join(ARGS.images, ref.replace("sha256:", ""))
        if "/" in ref or not os.path.isfile(path):
            self.error(404, "MANIFEST_UNKNOWN" if kind == "manifests" else "BLOB_UNKNOWN",
                       "unknown")
            return
        with open(path, "rb") as f:
            body = f.read()
        if kind == "manifests":
            mt = json.loads(body).get("mediaType", MT)
            self.send(200, body, mt, [("Docker-Content-Digest", "sha256:" +
                                       hashlib.sha256(body).hexdigest())])
        elif method == "HEAD":
            self.send(200, body, head=True)
        elif how == "reset" and count("img-reset-" + ref) == 1:
            self.cut(body, "reset")
        elif how == "slow":
            with LOCK:
                INFLIGHT[0] += 1
                now = INFLIGHT[0]
            log({"server": "main", "method": method, "path": ref, "inflight": now})
            try:
                time.sleep(0.4)
                self.send(200, body)
            finally:
                with LOCK:
                    INFLIGHT[0] -= 1
        else:
            self.send(200, body)

    def upload(self, method, repo, url):
        if method == "POST":
            self.send(202, headers=[("Location", "/v2/%s/blobs/uploads/u1?_state=s" % repo),
                                    ("Range", "0-0")])
        elif method == "PUT" and repo == "flaky" and count("flaky-put") == 1:
            self.error(503, "UNAVAILABLE", "try again")
        elif method == "PUT":
            q = urllib.parse.parse_qs(url.query)
            self.send(201, headers=[("Docker-Content-Digest", q.get("digest", [""])[0])])
        else:
            self.error(405, "UNSUPPORTED", "no")

    def blob(self, method, scen, ref):
        n = count("blob-" + scen)
        head = method == "HEAD"
        if scen == "ok":
            self.send(200, BLOB, head=head)
        elif scen in ("notfound", "flaky", "upload"):
            self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        elif scen == "retry429" and n == 1:
            self.error(429, "TOOMANYREQUESTS", "slow down", [("Retry-After", "1")])
        elif scen == "retrydate" and n == 1:
            self.error(429, "TOOMANYREQUESTS", "slow down",
                       [("Retry-After", formatdate(time.time() + 10, usegmt=True))])
        elif scen == "retrybig" and n == 1:
            self.error(503, "UNAVAILABLE", "maintenance", [("Retry-After", "3600")])
        elif scen == "retry503" and n <= 2:
            self.error(503, "UNAVAILABLE", "busy")
        elif scen in ("reset", "stall") and n == 1:
            self.cut(BLOB, scen)
        elif scen == "fail500":
            self.error(500, "INTERNAL", "the storage is on fire")
        elif scen == "redirect":
            loc = "http://127.0.0.2:%d/cdn/%s?sig=secret" % (PORTS["other"], ref)
            self.send(307, b"", headers=[("Location", loc)])
        elif scen == "noauth-cdn":
            loc = "http://127.0.0.2:%d/deny/%s" % (PORTS["other"], ref)
            self.send(307, b"", headers=[("Location", loc)])
        elif scen == "redirect-same":
            self.send(307, b"", headers=[("Location", "/v2/ok/blobs/%s" % ref)])
        elif scen == "redirect-loop":
            self.send(302, b"", headers=[("Location", "/v2/redirect-loop/blobs/%s" % ref)])
        elif scen == "redirect-ftp":
            self.send(302, b"", headers=[("Location", "ftp://127.0.0.1/x")])
        elif scen == "corrupt":
            bad = bytearray(BLOB)
            bad[1000] ^= 1
            self.send(200, bytes(bad))
        elif scen == "long":
            self.send(200, BLOB + b"x")
        elif scen == "chunkedlong":
            self.chunked(BLOB + b"x", "application/octet-stream")
        else:
            self.send(200, BLOB, head=head)

    def manifest(self, scen, ref):
        n = count("manifest-" + scen)
        hdr = [("Docker-Content-Digest", MDIGEST)]
        if scen == "badtype":
            self.send(200, MANIFEST, "text/html")
        elif scen == "huge":
            self.send(200, b" " * (5 << 20), MT)
        elif scen == "hugechunked":
            self.chunked(b" " * (5 << 20), MT)
        elif scen == "baddigest":
            self.send(200, MANIFEST, MT, [("Docker-Content-Digest", "sha256:" + "0" * 64)])
        elif scen == "retry429" and n == 1:
            self.error(429, "TOOMANYREQUESTS", "slow down", [("Retry-After", "0")])
        else:
            self.send(200, MANIFEST, MT + "; charset=utf-8", hdr)

    def do_GET(self):
        self.handle_any("GET")

    def do_HEAD(self):
        self.handle_any("HEAD")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")


class Other(Base):
    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        log({"server": "other", "method": "GET", "path": url.path,
             "authorization": self.headers.get("Authorization"),
             "headers": {k: v for k, v in self.headers.items()}})
        if url.path.startswith("/deny/"):
            self.send(401, b"denied", "text/plain",
                      [("WWW-Authenticate", 'Basic realm="cdn"')])
        else:
            self.send(200, BLOB)


def serve(srv):
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port-file")
    p.add_argument("--log")
    p.add_argument("--print-digest", action="store_true")
    p.add_argument("--images")
    ARGS = p.parse_args()
    if ARGS.print_digest:
        print(DIGEST, len(BLOB), MDIGEST)
        return 0
    main_srv = ThreadingHTTPServer(("127.0.0.1", 0), Main)
    other_srv = ThreadingHTTPServer(("127.0.0.2", 0), Other)
    PORTS["main"] = main_srv.server_address[1]
    PORTS["other"] = other_srv.server_address[1]
    serve(other_srv)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d %d\n" % (PORTS["main"], PORTS["other"]))
    os.rename(tmp, ARGS.port_file)
    try:
        main_srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
