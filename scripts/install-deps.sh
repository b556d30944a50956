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
echo "install-deps: all build and test packages present"
