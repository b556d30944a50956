#!/bin/sh
# Installs the packages paude needs to build and test, from Debian. Idempotent:
# packages already present are left alone and apt is not run at all when none is missing.
set -eu
PKGS="
build-essential pkg-config clang lld llvm libclang-rt-dev
libseccomp-dev libcap-dev libnl-3-dev libnl-route-3-dev libcjson-dev check
libc-ares-dev libidn2-dev
libcurl4-openssl-dev libarchive-dev libssl-dev zlib1g-dev libzstd-dev
uidmap busybox-static util-linux passwd iproute2 procps
valgrind cppcheck clang-tidy clang-format shellcheck keyutils
python3 openssl curl
docker-registry skopeo umoci zstd apache2-utils
git tmux bash debootstrap
"
need=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
  echo "install-deps: installing:$need"
  if [ "$(id -u)" -ne 0 ]; then echo "install-deps: run as root to install packages" >&2; exit 1; fi
  apt-get update -qq
  # shellcheck disable=SC2086 # a list of package names
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

# Claude Code (its native Linux binary, from the npm registry): the `host`
# image of sessions carries it, and the end-to-end tests run it.
CC_VERSION=2.1.328
CC_SHA512=KuzL+dBHgDCFTHJxwW+xuBJdVKfBsesGx2BBcTOG9sYDGoAD7b1hUV8rsTS4xjoJsB2SmeGraGjBiFuhrYuC9w==
if ! /usr/local/bin/claude --version 2>/dev/null | grep -q "^$CC_VERSION "; then
  if [ "$(id -u)" -ne 0 ]; then echo "install-deps: run as root to install Claude Code" >&2; exit 1; fi
  echo "install-deps: installing Claude Code $CC_VERSION into /usr/local/bin"
  tmp=$(mktemp -d)
  curl -fsSL -o "$tmp/cc.tgz" "https://registry.npmjs.org/@anthropic-ai/claude-code-linux-x64/-/claude-code-linux-x64-$CC_VERSION.tgz"
  got=$(openssl dgst -sha512 -binary "$tmp/cc.tgz" | openssl base64 -A)
  if [ "$got" != "$CC_SHA512" ]; then echo "install-deps: Claude Code download: wrong sha512" >&2; rm -rf "$tmp"; exit 1; fi
  tar -C "$tmp" -xzf "$tmp/cc.tgz" package/claude
  install -m 0755 "$tmp/package/claude" /usr/local/bin/claude
  rm -rf "$tmp"
fi
echo "install-deps: all build and test packages present"
