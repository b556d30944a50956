#!/bin/bash
# Integration tests: drive the built paude against a busybox rootfs the tests
# build, in three modes:
#   root    - as root (idmapped rootfs, the "paude" subuid range)
#   subid   - as an unprivileged user with a subuid/subgid range (newuidmap)
#   single  - as an unprivileged user without one (single-id map)
# Each tests/integration/t_*.sh defines functions named t_*; every function
# runs once per mode in its own process.  Output is TAP.  A test skips with
# `skip REASON` (exit 77); a skip not listed in expected-skips fails the run,
# and so does an expected skip that did not happen (the list stays honest).
#
# Every test runs
#   - in cgroups of its own (it-<run.sh pid>-<n>, under run.sh's cgroup of
#     the pids, memory and cpu hierarchies): paude's cgroups are made inside
#     them, so a test sees only its own (cg_dir, cg_leftovers), and every
#     process the test started, even one that left its session, is found
#     there (it_pids) and killed after the test;
#   - under a timeout, 120 s unless IT_TIMEOUT or -t says otherwise, or a
#     comment line "# it-timeout: SECONDS" right above the test's function.
# The run fails when a test file does not parse or prints errors when
# sourced, when -k matches nothing, and when no test ran.
#
# Usage: tests/integration/run.sh [-m MODE]... [-k PATTERN] [-t SECONDS]   (as root)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
export IT_TOP=$TOP
MODES=()
PATTERN=""
TIMEOUT=${IT_TIMEOUT:-120}
usage() { echo "usage: $0 [-m root|subid|single]... [-k PATTERN] [-t SECONDS]" >&2; exit 2; }
while getopts "m:k:t:" o; do
	case $o in
	m) case $OPTARG in root|subid|single) MODES+=("$OPTARG") ;; *) usage ;; esac ;;
	k) PATTERN=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	*) usage ;;
	esac
done
[ $# -lt "$OPTIND" ] || usage
case $TIMEOUT in ''|*[!0-9]*|0) echo "bad timeout [$TIMEOUT]" >&2; exit 2 ;; esac
[ ${#MODES[@]} -gt 0 ] || MODES=(root subid single)

bail() { echo "Bail out! $*"; exit 1; }

if [ "$(id -u)" != 0 ]; then
	echo "integration tests must run as root: they create the unprivileged test users" >&2
	echo "and run every test both as root and as those users (sudo make check-integration)" >&2
	exit 1
fi
for f in paude tests/pd-probe tests/ptyrun; do
	[ -x "$BUILD/$f" ] || { echo "missing $BUILD/$f: run make first" >&2; exit 1; }
done

# --- The test list, before anything runs: every file must parse and source
# cleanly (a file that stops half-way would silently drop its later tests).
FILES=("$HERE"/t_*.sh)
[ -e "${FILES[0]}" ] || bail "no test files in $HERE"
for f in "$HERE/lib.sh" "$HERE/setup.sh" "${FILES[@]}"; do
	err=$(bash -n "$f" 2>&1) || bail "syntax error in $f: $err"
	[ -z "$err" ] || bail "bash -n $f: $err"
done
dups=$(grep -ho '^t_[A-Za-z0-9_]*[[:space:]]*()' "${FILES[@]}" | tr -d ' ()' | sort | uniq -d)
[ -z "$dups" ] || bail "test functions defined twice: $dups"
LIST=()   # "TEST TIMEOUT FILE"
nomatch=1
for file in "${FILES[@]}"; do
	errf=$(mktemp)
	names=$(bash -c '. "$1" || exit 1; . "$2" || exit 1; declare -F' _ "$HERE/lib.sh" "$file" 2>"$errf") ||
		{ bail "sourcing $file failed: $(cat "$errf")"; }
	[ ! -s "$errf" ] || bail "sourcing $file printed errors: $(cat "$errf")"
	rm -f "$errf"
	names=$(printf '%s\n' "$names" | awk '$3 ~ /^t_/ { print $3 }')
	[ -n "$names" ] || bail "$file defines no t_* function"
	# Per-test timeouts: "# it-timeout: SECONDS" on the line above "t_name() {".
	timeouts=$(awk '/^# it-timeout: [0-9]+$/ { t = $3; next }
		t && match($0, /^t_[A-Za-z0-9_]+/) { print substr($0, RSTART, RLENGTH), t }
		{ t = "" }' "$file")
	for t in $names; do
		[ -z "$PATTERN" ] || [[ "$t" == *$PATTERN* ]] || continue
		nomatch=0
		tmo=$(printf '%s\n' "$timeouts" | awk -v t="$t" '$1 == t { print $2 }')
		LIST+=("$t ${tmo:-$TIMEOUT} $file")
	done
done
[ $nomatch = 0 ] || bail "no test matches -k '$PATTERN'"

# shellcheck source=setup.sh
. "$HERE/setup.sh"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# --- Per-test cgroups.  CG_PARENTS: run.sh's own cgroup in each hierarchy the
# tests use; the first one listed (pids) also tracks the test's processes.
CG_PARENTS=()
for c in pids memory cpu; do
	d=$(cg_dir "$c") && [ -d "$d" ] && CG_PARENTS+=("$d")
done
if [ ${#CG_PARENTS[@]} = 0 ] && [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	d=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)
	[ -d "$d" ] && CG_PARENTS+=("${d%/}")
fi
[ ${#CG_PARENTS[@]} -gt 0 ] || bail "no cgroup hierarchy to run the tests in"

# Cgroups of an earlier run.sh that was killed: removed when empty.
for p in "${CG_PARENTS[@]}"; do
	for d in "$p"/it-[0-9]*-[0-9]*; do
		[ -d "$d" ] || continue
		pid=${d##*/it-}; pid=${pid%%-*}
		kill -0 "$pid" 2>/dev/null && continue
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
done

# The pids of every process in the cgroup tree DIR.
cg_tree_pids() { find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un; }

# Kill everything in the cgroup tree DIR; 0 once it is empty.
cg_kill_tree() {
	local pids
	for _ in $(seq 1 100); do
		pids=$(cg_tree_pids "$1")
		[ -n "$pids" ] || return 0
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null
		sleep 0.05
	done
	return 1
}

CUR_CGS=()
cleanup_test_cgroups() {   # LOG -> 1 when something was left behind
	local left=0 track=${CUR_CGS[0]} pids cg d
	[ ${#CUR_CGS[@]} -gt 0 ] || return 0
	# Processes: a sandbox killed with its paude goes within moments.
	for _ in $(seq 1 60); do
		pids=$(cg_tree_pids "$track")
		[ -n "$pids" ] || break
		sleep 0.05
	done
	if [ -n "$pids" ]; then
		echo "FAIL (harness): processes left running: $(ps -o pid=,uid=,args= -p "$(paste -sd, - <<<"$pids")" | tr '\n' ';')" >>"$1"
		left=1
		cg_kill_tree "$track" || echo "(harness) could not kill: $(cg_tree_pids "$track")" >>"$1"
	fi
	for cg in "${CUR_CGS[@]}"; do
		d=$(find "$cg" -mindepth 1 -type d 2>/dev/null)
		if [ -n "$d" ]; then
			echo "FAIL (harness): cgroups left behind: $(tr '\n' ' ' <<<"$d")" >>"$1"
			left=1
			find "$cg" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
		fi
		rmdir "$cg" 2>/dev/null || echo "(harness) cannot remove $cg" >>"$1"
	done
	CUR_CGS=()
	return $left
}

expected_skip() {   # MODE TEST -> 0 when listed
	grep -qE "^$1[[:space:]]+$2[[:space:]]" "$HERE/expected-skips" 2>/dev/null ||
		grep -qE "^\*[[:space:]]+$2[[:space:]]" "$HERE/expected-skips" 2>/dev/null
}

it_setup || bail "test setup failed"
on_exit() {
	[ ${#CUR_CGS[@]} = 0 ] || { cg_kill_tree "${CUR_CGS[0]}"; cleanup_test_cgroups /dev/null; }
	it_teardown
}
trap on_exit EXIT
trap 'exit 130' INT TERM HUP

pass=0; fail=0; skipped=0; bad_skip=0; n=0
suite_start=$(date +%s)
failed_list=()
for mode in "${MODES[@]}"; do
	echo "# mode: $mode"
	for entry in "${LIST[@]}"; do
		read -r t tmo file <<<"$entry"
		n=$((n + 1))
		log=$IT_LOGS/$mode.$t.log
		start=$(date +%s%N)
		CUR_CGS=()
		for p in "${CG_PARENTS[@]}"; do
			mkdir "$p/it-$$-$n" || bail "cannot make the cgroup $p/it-$$-$n"
			CUR_CGS+=("$p/it-$$-$n")
		done
		# In the background, so that a signal to run.sh is handled at once
		# (timeout gives the test default SIGINT/SIGQUIT dispositions back).
		IT_CG_JOIN="${CUR_CGS[*]}" IT_CG_TRACK=${CUR_CGS[0]} \
			timeout -k 10 "$tmo" bash -c 'for d in $IT_CG_JOIN; do echo $$ >"$d/cgroup.procs" || exit 3; done; . "$1" && it_mode "$2" && . "$3" || exit 3; set -e; "$4"' \
			it-test "$HERE/lib.sh" "$mode" "$file" "$t" >"$log" 2>&1 </dev/null &
		wait $!
		rc=$?
		ms=$(( ($(date +%s%N) - start) / 1000000 ))
		timed_out=0
		if { [ $rc = 124 ] || [ $rc = 137 ]; } && [ $ms -ge $((tmo * 1000)) ]; then
			timed_out=1
			echo "FAIL (harness): timed out after ${tmo}s" >>"$log"
		fi
		cleanup_test_cgroups "$log" || { [ $rc = 77 ] || [ $rc = 0 ] && rc=1; }
		if [ $timed_out = 1 ]; then
			echo "not ok $n - $mode $t # TIMEOUT after ${tmo}s"
			sed 's/^/#   /' "$log" | tail -n 25
			fail=$((fail + 1)); failed_list+=("$mode/$t")
		elif [ $rc = 0 ]; then
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
echo "1..$n"
echo "# integration: $pass passed, $fail failed, $skipped expected skips, $bad_skip unexpected skips ($(( $(date +%s) - suite_start ))s)"
[ ${#failed_list[@]} = 0 ] || echo "# failed: ${failed_list[*]}"
[ $n -gt 0 ] || { echo "# no test ran"; exit 1; }
[ $pass -gt 0 ] || { echo "# no test passed"; exit 1; }
[ $fail = 0 ] && [ $bad_skip = 0 ]
