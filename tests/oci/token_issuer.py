#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A tiny token server of the distribution token protocol, for paude's tests.

docker-registry (auth: token:) sends clients here; the JWTs this issues are
RS256, signed with `openssl dgst` (no Python package beyond the standard
library), and carry the signing certificate in x5c; the registry checks them
against its rootcertbundle (that same self-signed certificate).

  GET  /token?service=S&scope=A&scope=B   Basic credentials optional
  POST /token  (form) grant_type=refresh_token&refresh_token=R&service&scope
               or grant_type=password&username&password

Grants: an anonymous client gets "pull" on every repository but those under
"private/"; a user (--user NAME:PASSWORD, or a refresh token --refresh
TOKEN:NAME) gets whatever it asks for.  GET answers carry "token", POST
answers "access_token" (OAuth2 style), so a client must read both.  Every
request is appended to --log as one JSON line (method, user, scopes, grant).
The port it listens on (127.0.0.1, chosen by the kernel) goes to --port-file.
"""
import argparse
import base64
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    def __init__(self, args):
        self.args = args
        self.users = dict(u.split(":", 1) for u in args.user)
        self.refresh = dict(r.split(":", 1) for r in args.refresh)
        with open(args.cert, encoding="ascii") as f:
            pem = f.read()
        body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
        self.x5c = "".join(body.split())
        self.lock = threading.Lock()

    def sign(self, data):
        out = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.args.key],
                             input=data, capture_output=True, check=True)
        return out.stdout

    def grant(self, user, scopes):
        access = []
        for scope in scopes:
            for one in scope.split(" "):
                parts = one.split(":")
                if len(parts) != 3 or parts[0] != "repository":
                    continue
                name, wanted = parts[1], parts[2].split(",")
                if user is None:
                    wanted = [a for a in wanted if a == "pull"]
                    if name.startswith("private/"):
                        wanted = []
                access.append({"type": "repository", "name": name, "actions": wanted})
        return access

    def token(self, user, service, scopes):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        claims = {
            "iss": self.args.issuer, "sub": user or "", "aud": service,
            "exp": now + 300, "nbf": now - 10, "iat": now,
            "jti": b64url(os.urandom(12)), "access": self.grant(user, scopes),
        }
        signing = (b64url(json.dumps(header).encode()) + "." +
                   b64url(json.dumps(claims).encode())).encode()
        return signing.decode() + "." + b64url(self.sign(signing))

    def log(self, entry):
        with self.lock, open(self.args.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    issuer = None

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def basic_user(self):
        h = self.headers.get("Authorization", "")
        if not h.startswith("Basic "):
            return None, False
        try:
            name, pw = base64.b64decode(h[6:]).decode().split(":", 1)
        except (ValueError, UnicodeDecodeError):
            return None, True
        return (name, False) if self.issuer.users.get(name) == pw else (None, True)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            self.answer(404, {"error": "not found"})
            return
        q = urllib.parse.parse_qs(url.query)
        user, bad = self.basic_user()
        self.issuer.log({"method": "GET", "user": user, "bad_credentials": bad,
                         "service": q.get("service", [""])[0], "scopes": q.get("scope", [])})
        if bad:
            self.answer(401, {"errors": [{"code": "UNAUTHORIZED",
                                          "message": "wrong user name or password"}]})
            return
        tok = self.issuer.token(user, q.get("service", [""])[0], q.get("scope", []))
        self.answer(200, {"token": tok, "expires_in": 300,
                          "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        grant = form.get("grant_type", [""])[0]
        user = None
        if grant == "refresh_token":
            user = self.issuer.refresh.get(form.get("refresh_token", [""])[0])
        elif grant == "password":
            name = form.get("username", [""])[0]
            if self.issuer.users.get(name) == form.get("password", [""])[0]:
                user = name
        scopes = form.get("scope", [""])[0].split(" ") if form.get("scope") else []
        self.issuer.log({"method": "POST", "user": user, "grant": grant,
                         "client_id": form.get("client_id", [""])[0], "scopes": scopes})
        if user is None:
            self.answer(401, {"error": "invalid_grant"})
            return
        tok = self.issuer.token(user, form.get("service", [""])[0], scopes)
        self.answer(200, {"access_token": tok, "expires_in": 300, "scope": " ".join(scopes)})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--key", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--user", action="append", default=[])
    p.add_argument("--refresh", action="append", default=[])
    args = p.parse_args()
    Handler.issuer = Issuer(args)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
