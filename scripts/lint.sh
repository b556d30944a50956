#!/bin/sh
# make lint: grep rules that always run, plus cppcheck and clang-tidy where installed.
#  - no sprintf/vsprintf/strcpy/strcat/gets/strerror (use snprintf, pd_strlcpy,
#    pd_strerror: strerror is not thread-safe and may allocate);
#  - every open/openat/socket/socketpair/pipe/accept/epoll/eventfd/signalfd/
#    memfd/inotify/dup carries its CLOEXEC flag (or is dup2 onto 0-2).
set -u
cd "$(dirname "$0")/.."
fail=0
SRC=$(git ls-files 'src/*.c' 'src/*.h' 'runtime/*.c' 'runtime/*.h' 'netfilter/*.c' 'proxy/*.c' 'oci/*.c' 2>/dev/null)
[ -n "$SRC" ] || SRC=$(find src runtime netfilter proxy oci -name '*.[ch]')
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
if command -v cppcheck >/dev/null 2>&1; then
  cppcheck -q --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
    --inline-suppr --suppress=missingIncludeSystem --suppress=ctuuninitvar -D_GNU_SOURCE -I. -Isrc \
    src runtime netfilter proxy oci 2>&1 | grep -v '^$' && fail=1
else
  echo "lint: cppcheck not installed: skipped"
fi
if command -v clang-tidy >/dev/null 2>&1 && [ -f .clang-tidy ]; then
  for f in $(printf '%s\n' $SRC | grep '\.c$'); do
    out=$(clang-tidy --quiet "$f" -- -std=gnu11 -D_GNU_SOURCE -DPAUDE_VERSION='"lint"' -I. -Isrc -Ibuild/gen $(pkg-config --cflags libseccomp libcap libcjson 2>/dev/null) 2>/dev/null | grep -E 'warning:|error:')
    [ -z "$out" ] || { echo "$out"; fail=1; }
  done
else
  echo "lint: clang-tidy or .clang-tidy missing: skipped"
fi
[ $fail = 0 ] && echo "lint: clean"
exit $fail
