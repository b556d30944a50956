#!/bin/sh
# make lint: every check below runs; any finding fails, and so does a missing
# tool (`make deps` installs them all).  LINT_ALLOW_MISSING=1 turns a missing
# tool into a note on a developer machine, never in CI (CI set and not false).
#  - grep rules: no sprintf/vsprintf/strcpy/strcat/gets/strerror (use snprintf,
#    pd_strlcpy, pd_strerror: strerror is not thread-safe and may allocate);
#    every open/openat/socket/socketpair/pipe/accept/epoll/eventfd/signalfd/
#    memfd/inotify/dup carries its CLOEXEC flag (or is dup2 onto 0-2);
#  - cppcheck, and clang-tidy with .clang-tidy (reads $BUILD/gen);
#  - clang-format --dry-run --Werror with .clang-format, every tracked .c/.h;
#  - sh -n / bash -n and shellcheck on every tracked shell script.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
JOBS=$(nproc 2>/dev/null || echo 2)
fail=0

# tracked FILE-PATTERN...: the tracked files (or, outside git, what find sees).
tracked() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -- "$@"
	else
		for p in "$@"; do find . -path "./$p" -type f | sed 's:^\./::'; done
	fi
}

# have TOOL PACKAGE: 0 when installed; otherwise a failure (or a note).
have() {
	command -v "$1" >/dev/null 2>&1 && return 0
	case ${CI:-} in
	"" | false | 0) in_ci=0 ;;
	*) in_ci=1 ;;
	esac
	if [ "${LINT_ALLOW_MISSING:-0}" = 1 ] && [ $in_ci = 0 ]; then
		echo "lint: $1 not installed: skipped (LINT_ALLOW_MISSING=1)"
	else
		echo "lint: $1 not installed (Debian package $2; run make deps)"
		fail=1
	fi
	return 1
}

SRC=$(tracked 'src/*.c' 'src/*.h' 'runtime/*.c' 'runtime/*.h' 'netfilter/*.c' 'proxy/*.c' 'oci/*.c')
# Code only: strip /* */ and // comments and string contents first.
strip() { sed -e 's://.*$::' -e 's:"[^"]*":"":g' "$1" | awk 'BEGIN{c=0} { l=$0; out="";
  while (length(l)) { if (c) { i=index(l,"*/"); if (!i) { l=""; break } l=substr(l,i+2); c=0 }
  else { i=index(l,"/*"); if (!i) { out=out l; l=""; break } out=out substr(l,1,i-1); l=substr(l,i+2); c=1 } }
  print out }'; }
# One statement per line (joined up to ';', '{' or '}'), so calls split over
# lines are seen whole.
stmts() { strip "$1" | tr '\n' ' ' | sed -e 's/[;{}]/&\n/g' | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]][[:space:]]*/ /g'; }
for f in $SRC; do
  code=$(stmts "$f")
  bad=$(printf '%s\n' "$code" | grep -nE '(^|[^_a-z])(sprintf|vsprintf|strcpy|strcat|gets|strerror)[[:space:]]*\(' | grep -v 'snprintf\|vsnprintf')
  [ -z "$bad" ] || { echo "lint: $f: banned call:"; echo "$bad"; fail=1; }
  # fd-creating calls on one line without CLOEXEC
  bad=$(printf '%s\n' "$code" | grep -nE '(^|[^_a-z0-9])(open|openat|socket|socketpair|pipe2|accept4|epoll_create1|eventfd|signalfd|memfd_create|inotify_init1|fsopen|fsmount|open_tree|pidfd_open|fcntl[^;]*F_DUPFD)[[:space:]]*\(' \
        | grep -vE 'CLOEXEC|O_PATH \| O_NOFOLLOW \| O_CLOEXEC|pd_openat2|^\s*[0-9]+:\s*(static |extern )?(int|void|bool)' )
  [ -z "$bad" ] || { echo "lint: $f: fd created without CLOEXEC:"; echo "$bad"; fail=1; }
  bad=$(printf '%s\n' "$code" | grep -nE '(^|[^_a-z0-9])(pipe|accept|epoll_create|inotify_init|dup)[[:space:]]*\(')
  [ -z "$bad" ] || { echo "lint: $f: use the CLOEXEC variant (pipe2, accept4, epoll_create1, inotify_init1, fcntl F_DUPFD_CLOEXEC):"; echo "$bad"; fail=1; }
done

if have cppcheck cppcheck; then
  # The configuration that is built: _GNU_SOURCE and the compiler's native
  # architecture (cppcheck predefines none, and code picks per-arch values).
  arch_defs=$(${CC:-cc} -dM -E -x c /dev/null | awk '$2 ~ /^__(x86_64__|aarch64__|i386__|riscv|riscv_xlen|powerpc64__|s390x__|BYTE_ORDER__|ORDER_LITTLE_ENDIAN__|ORDER_BIG_ENDIAN__)$/ { printf " -D%s=%s", $2, $3 }')
  # shellcheck disable=SC2086 # arch_defs is a list of options
  cppcheck -q --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
    --inline-suppr --suppress=missingIncludeSystem --suppress=ctuuninitvar -D_GNU_SOURCE $arch_defs -I. -Isrc \
    src runtime netfilter proxy oci 2>&1 | grep -v '^$' && fail=1
fi

if have clang-tidy clang-tidy; then
  if [ ! -f .clang-tidy ]; then
    echo "lint: .clang-tidy missing"; fail=1
  elif [ ! -f "$BUILD/gen/seccomp-default.h" ]; then
    echo "lint: $BUILD/gen/seccomp-default.h missing: run make lint (it builds it)"; fail=1
  else
    # One clang-tidy per file, JOBS at a time; any warning or error fails.
    # shellcheck disable=SC2016 # $1, $GEN, $PKGCF are the inner sh's
    out=$(printf '%s\n' "$SRC" | grep '\.c$' | PKGCF=$(pkg-config --cflags libseccomp libcap libcjson libnl-3.0 libnl-route-3.0 libcares libidn2 libarchive libcurl 2>/dev/null) \
      GEN="$BUILD/gen" xargs -r -P "$JOBS" -I{} sh -c \
      'clang-tidy --quiet "$1" -- -std=gnu11 -D_GNU_SOURCE -DPAUDE_VERSION="\"lint\"" -I. -Isrc -I"$GEN" $PKGCF 2>/dev/null' sh {} |
      grep -E 'warning:|error:')
    [ -z "$out" ] || { echo "$out"; fail=1; }
  fi
fi

if have clang-format clang-format; then
  if [ ! -f .clang-format ]; then
    echo "lint: .clang-format missing"; fail=1
  else
    nbad=0
    for f in $(tracked '*.c' '*.h'); do
      out=$(clang-format --dry-run --Werror "$f" 2>&1) && continue
      n=$(printf '%s\n' "$out" | grep -c 'Wclang-format-violations')
      if [ "$n" -gt 0 ]; then
        echo "lint: $f: $n places differ from .clang-format (clang-format -i $f)"
      else
        printf 'lint: clang-format %s:\n%s\n' "$f" "$out"
      fi
      nbad=$((nbad + 1))
    done
    [ $nbad = 0 ] || { echo "lint: clang-format: $nbad files not formatted ($(clang-format --version))"; fail=1; }
  fi
fi

# Shell scripts: *.sh and anything with a sh/bash #! line.  A file without
# one is sourced by bash scripts (tests/integration) and checked as bash.
SH=$(tracked '*' | while IFS= read -r f; do
  case $f in
  *.sh) echo "$f" ;;
  *) head -n 1 "$f" 2>/dev/null | grep -qE '^#! ?(/usr)?/bin/(env +)?(ba|da)?sh( |$)' && echo "$f" ;;
  esac
done)
for f in $SH; do
  interp=$(head -n 1 "$f" | sed -nE 's:^#! ?(/usr)?/bin/(env +)?((ba|da)?sh).*:\3:p')
  "${interp:-bash}" -n "$f" || { echo "lint: $f: syntax error (${interp:-bash} -n)"; fail=1; }
done
if have shellcheck shellcheck; then
  nbad=0
  for f in $SH; do
    if head -n 1 "$f" | grep -q '^#!'; then
      out=$(shellcheck -f gcc "$f" 2>&1)
    else
      out=$(shellcheck -f gcc -s bash "$f" 2>&1)
    fi
    [ -n "$out" ] || continue
    printf '%s\n' "$out"
    nbad=$((nbad + 1))
  done
  [ $nbad = 0 ] || { echo "lint: shellcheck: findings in $nbad files"; fail=1; }
fi

[ $fail = 0 ] && echo "lint: clean"
exit $fail
