#!/bin/bash
# Integration tests: drive the built paude against a busybox rootfs the tests
# build, in three modes:
#   root    - as root (idmapped rootfs, the "paude" subuid range)
#   subid   - as an unprivileged user with a subuid/subgid range (newuidmap)
#   single  - as an unprivileged user without one (single-id map)
# Each tests/integration/t_*.sh defines functions named t_*; every function
# runs once per mode in its own subshell.  Output is TAP.  A test skips with
# `skip REASON` (exit 77); a skip not listed in expected-skips fails the run,
# and so does an expected skip that did not happen (the list stays honest).
#
# Usage: tests/integration/run.sh [-m MODE]... [-k PATTERN]   (as root)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
export IT_TOP=$TOP
MODES=()
PATTERN=""
while getopts "m:k:" o; do
	case $o in
	m) MODES+=("$OPTARG") ;;
	k) PATTERN=$OPTARG ;;
	*) echo "usage: $0 [-m root|subid|single]... [-k PATTERN]"; exit 2 ;;
	esac
done
[ ${#MODES[@]} -gt 0 ] || MODES=(root subid single)

if [ "$(id -u)" != 0 ]; then
	echo "integration tests must run as root: they create the unprivileged test users" >&2
	echo "and run every test both as root and as those users (sudo make check-integration)" >&2
	exit 1
fi
for f in paude tests/pd-probe tests/ptyrun; do
	[ -x "$BUILD/$f" ] || { echo "missing $BUILD/$f: run make first" >&2; exit 1; }
done

. "$HERE/setup.sh"
it_setup || { echo "Bail out! test setup failed"; exit 1; }
trap it_teardown EXIT

. "$HERE/lib.sh"

# After each test: no paude of the test's left running, no new paude-* cgroup.
leftover_check() {   # LOG CGROUPS-BEFORE
	local left cg ok=0
	left=$(pgrep -f "^$IT_DIR/bin/paude " || true)
	if [ -n "$left" ]; then
		echo "FAIL (harness): paude processes left running: $(ps -o pid=,args= -p "$(echo $left | tr ' ' ,)")" >>"$1"
		kill -KILL $left 2>/dev/null
		ok=1
	fi
	cg=$(comm -13 <(printf '%s\n' "$2") <(cg_leftovers) | grep . || true)
	if [ -n "$cg" ]; then
		echo "FAIL (harness): cgroups left behind: $cg" >>"$1"
		for d in $cg; do rmdir "$d" 2>/dev/null; done
		ok=1
	fi
	return $ok
}

expected_skip() {   # MODE TEST -> 0 when listed
	grep -qE "^$1[[:space:]]+$2[[:space:]]" "$HERE/expected-skips" 2>/dev/null ||
		grep -qE "^\*[[:space:]]+$2[[:space:]]" "$HERE/expected-skips" 2>/dev/null
}

pass=0; fail=0; skipped=0; bad_skip=0; n=0
suite_start=$(date +%s)
failed_list=()
for mode in "${MODES[@]}"; do
	echo "# mode: $mode"
	for file in "$HERE"/t_*.sh; do
		tests=$(bash -c ". '$HERE/lib.sh'; . '$file'; declare -F" | awk '{print $3}' | grep '^t_' )
		for t in $tests; do
			[ -z "$PATTERN" ] || [[ "$t" == *$PATTERN* ]] || continue
			n=$((n + 1))
			log=$IT_LOGS/$mode.$t.log
			start=$(date +%s%N)
			cg_before=$(cg_leftovers)
			( . "$HERE/lib.sh"; it_mode "$mode"; . "$file"; set -e; "$t" ) >"$log" 2>&1
			rc=$?
			leftover_check "$log" "$cg_before" || { [ $rc = 77 ] || [ $rc = 0 ] && rc=1; }
			ms=$(( ($(date +%s%N) - start) / 1000000 ))
			if [ $rc = 0 ]; then
				if expected_skip "$mode" "$t"; then
					echo "not ok $n - $mode $t # listed in expected-skips but ran: remove it"
					fail=$((fail + 1)); failed_list+=("$mode/$t")
				else
					echo "ok $n - $mode $t (${ms}ms)"; pass=$((pass + 1))
				fi
			elif [ $rc = 77 ]; then
				reason=$(tail -n 1 "$log")
				if expected_skip "$mode" "$t"; then
					echo "ok $n - $mode $t # SKIP $reason"; skipped=$((skipped + 1))
				else
					echo "not ok $n - $mode $t # unexpected SKIP: $reason"
					bad_skip=$((bad_skip + 1)); failed_list+=("$mode/$t")
				fi
			else
				echo "not ok $n - $mode $t (exit $rc)"
				sed 's/^/#   /' "$log" | tail -n 25
				fail=$((fail + 1)); failed_list+=("$mode/$t")
			fi
		done
	done
done
echo "1..$n"
echo "# integration: $pass passed, $fail failed, $skipped expected skips, $bad_skip unexpected skips ($(( $(date +%s) - suite_start ))s)"
[ ${#failed_list[@]} = 0 ] || echo "# failed: ${failed_list[*]}"
[ $fail = 0 ] && [ $bad_skip = 0 ]
