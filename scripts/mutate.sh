#!/bin/bash
# make mutate: are the tests able to see the breaks they exist for?
#
# Applies each deliberate break of scripts/mutate/breaks, one at a time, to a
# scratch copy of the tree (/tmp/paude-mutate.XXXXXX: the tracked files and
# the untracked ones in the source directories, as they are in the work tree;
# nothing of the repository or its build directories is touched), rebuilds,
# and runs the break's test command there.  Each break ends as one of
#   KILLED    its test failed: good;
#   SURVIVED  its test passed with the break in: the tests miss it;
#   STALE     a "find" text does not occur exactly once: update the list;
#   NOBUILD   the tree does not build with the break: fix the break;
#   BASELINE  its test fails without any break: fix the test (or the code).
# Anything but KILLED fails the run (exit 1).  Before any break is applied,
# each test command runs once on the unbroken tree (BASELINE).
#
# Usage: scripts/mutate.sh [-l] [NAME...]   (as root: most tests are integration tests)
#   -l     list the breaks and exit
#   NAME   run only these breaks (default: all)
# Environment: MUTATE_BREAKS (the list), MUTATE_JOBS (make -j), MUTATE_TIMEOUT
# (seconds per test command, default 1200), MUTATE_KEEP=1 (keep the scratch
# copy and the logs even when every break is killed).
set -u
unset MAKEFLAGS MFLAGS MAKELEVEL
TOP=$(cd "$(dirname "$0")/.." && pwd)
LIST=${MUTATE_BREAKS:-$TOP/scripts/mutate/breaks}
JOBS=${MUTATE_JOBS:-$(nproc 2>/dev/null || echo 2)}
TMO=${MUTATE_TIMEOUT:-1200}
list_only=0
[ "${1:-}" = -l ] && { list_only=1; shift; }

die() { echo "mutate: $*" >&2; exit 2; }
[ -r "$LIST" ] || die "no list of breaks at $LIST"

# ---- The list: blocks of "KEY VALUE" lines (see the head of the list). ----
NAMES=()
declare -A WHAT TEST NEDITS EFILE EFIND EREPL
name=""
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
	lineno=$((lineno + 1))
	case $line in '' | '#'*) continue ;; esac
	read -r key value <<<"$line"
	case $key in
	name)
		[[ $value =~ ^[a-z0-9][a-z0-9_-]*$ ]] || die "$LIST:$lineno: bad name \"$value\""
		[ -z "${NEDITS[$value]+x}" ] || die "$LIST:$lineno: break \"$value\" listed twice"
		name=$value
		NAMES+=("$name")
		NEDITS[$name]=0
		;;
	what | test)
		[ -n "$name" ] || die "$LIST:$lineno: \"$key\" before any \"name\""
		if [ "$key" = what ]; then WHAT[$name]=$value; else TEST[$name]=$value; fi
		;;
	file)
		[ -n "$name" ] || die "$LIST:$lineno: \"file\" before any \"name\""
		n=$((NEDITS[$name] + 1))
		NEDITS[$name]=$n
		EFILE[$name.$n]=$value
		;;
	find | repl)
		if [ -z "$name" ] || [ "${NEDITS[$name]}" = 0 ]; then
			die "$LIST:$lineno: \"$key\" before \"file\""
		fi
		n=${NEDITS[$name]}
		if [ "$key" = find ]; then EFIND[$name.$n]=$value; else EREPL[$name.$n]=$value; fi
		;;
	*) die "$LIST:$lineno: unknown key \"$key\"" ;;
	esac
done <"$LIST"
for name in "${NAMES[@]}"; do
	[ -n "${TEST[$name]:-}" ] || die "break \"$name\": no test"
	[ "${NEDITS[$name]}" -gt 0 ] || die "break \"$name\": no file"
	for ((i = 1; i <= NEDITS[$name]; i++)); do
		[ -n "${EFIND[$name.$i]:-}" ] || die "break \"$name\": edit $i has no find"
	done
done

if [ $list_only = 1 ]; then
	for name in "${NAMES[@]}"; do printf '%-28s %s\n' "$name" "${WHAT[$name]:-}"; done
	exit 0
fi

SEL=()
if [ $# -gt 0 ]; then
	for want in "$@"; do
		[ -n "${NEDITS[$want]+x}" ] || die "no break named \"$want\" (scripts/mutate.sh -l lists them)"
		SEL+=("$want")
	done
else
	SEL=("${NAMES[@]}")
fi

# ---- The scratch copy. ----
W=$(mktemp -d /tmp/paude-mutate.XXXXXX) || die "mktemp failed"
chmod 755 "$W"
T=$W/tree
ORIG=$W/orig
LOGS=$W/logs
mkdir -p "$T" "$ORIG" "$LOGS"
export BUILD=$T/build
(
	cd "$TOP" || exit 1
	{
		git ls-files -z --cached
		git ls-files -z --others --exclude-standard -- src runtime netfilter proxy oci tests scripts bench
	} | while IFS= read -r -d '' f; do
		[ -f "$f" ] && printf '%s\0' "$f"
	done | tar --null -T - -cf - | tar -xf - -C "$T"
) || die "copying the tree to $T failed"
echo "mutate: scratch copy in $T; ${#SEL[@]} breaks"

build() {   # LOG
	(cd "$T" && make -j"$JOBS" BUILD="$BUILD" all) >"$1" 2>&1
}

# A test command runs in the scratch tree, with BUILD set, under a timeout.
run_test() {   # COMMAND LOG
	(cd "$T" && timeout -k 10 "$TMO" bash -c "$1") </dev/null >"$2" 2>&1
}

# edit_count FILE FIND: how often FIND (with \t \n \\ escapes) occurs in FILE.
# edit_apply FILE FIND REPL: replace its one occurrence.
# shellcheck disable=SC2016 # perl code
PERL_UNESC='sub u { my $s = shift; $s =~ s/\\(.)/$1 eq "t" ? "\t" : $1 eq "n" ? "\n" : $1/ge; $s }'
edit_count() {
	F=$1 FIND=$2 perl -e "$PERL_UNESC"'
		open(my $h, "<", $ENV{F}) or die "$ENV{F}: $!\n"; local $/; my $t = <$h>;
		my $f = u($ENV{FIND}); my $n = () = $t =~ /\Q$f\E/g; print "$n\n";'
}
edit_apply() {
	F=$1 FIND=$2 REPL=$3 perl -e "$PERL_UNESC"'
		open(my $h, "<", $ENV{F}) or die "$ENV{F}: $!\n"; local $/; my $t = <$h>; close $h;
		my ($f, $r) = (u($ENV{FIND}), u($ENV{REPL}));
		my $i = index($t, $f); die "not found\n" if $i < 0;
		substr($t, $i, length($f)) = $r;
		open($h, ">", $ENV{F}) or die "$ENV{F}: $!\n"; print $h $t; close $h or die;'
}

declare -A RESULT DETAIL BASE
fails=0
t0=$(date +%s)

echo "mutate: building the unbroken tree"
build "$LOGS/build.log" || { tail -n 30 "$LOGS/build.log"; die "the unbroken tree does not build (log: $LOGS/build.log)"; }

# 1. Every anchor: a stale break is not applied at all.
for name in "${SEL[@]}"; do
	stale=""
	for ((i = 1; i <= NEDITS[$name]; i++)); do
		f=${EFILE[$name.$i]}
		if [ ! -f "$T/$f" ]; then
			stale+="${stale:+; }$f: no such file"
			continue
		fi
		n=$(edit_count "$T/$f" "${EFIND[$name.$i]}")
		[ "$n" = 1 ] || stale+="${stale:+; }$f: \"${EFIND[$name.$i]}\" occurs $n times"
	done
	if [ -n "$stale" ]; then
		RESULT[$name]=STALE
		DETAIL[$name]=$stale
		echo "STALE     $name: $stale"
	fi
done

# 2. Each test command once on the unbroken tree: it must pass.
for name in "${SEL[@]}"; do
	[ -z "${RESULT[$name]:-}" ] || continue
	cmd=${TEST[$name]}
	if [ -z "${BASE[$cmd]+x}" ]; then
		log=$LOGS/baseline.$name.log
		s=$(date +%s)
		if run_test "$cmd" "$log"; then BASE[$cmd]=ok; else BASE[$cmd]=$log; fi
		echo "baseline  $cmd: ${BASE[$cmd]} ($(($(date +%s) - s)) s)"
	fi
	if [ "${BASE[$cmd]}" != ok ]; then
		RESULT[$name]=BASELINE
		DETAIL[$name]="fails on the unbroken tree (${BASE[$cmd]})"
		echo "BASELINE  $name: ${DETAIL[$name]}"
	fi
done

# 3. The breaks, one at a time.
for name in "${SEL[@]}"; do
	[ -z "${RESULT[$name]:-}" ] || continue
	cmd=${TEST[$name]}
	for ((i = 1; i <= NEDITS[$name]; i++)); do
		f=${EFILE[$name.$i]}
		if [ ! -f "$ORIG/$f" ]; then
			mkdir -p "$(dirname "$ORIG/$f")"
			cp -p "$T/$f" "$ORIG/$f"
		fi
		edit_apply "$T/$f" "${EFIND[$name.$i]}" "${EREPL[$name.$i]:-}" || die "applying $name to $f failed"
	done
	s=$(date +%s)
	if ! build "$LOGS/$name.build.log"; then
		RESULT[$name]=NOBUILD
		DETAIL[$name]="does not build: $LOGS/$name.build.log"
	elif run_test "$cmd" "$LOGS/$name.log"; then
		RESULT[$name]=SURVIVED
		DETAIL[$name]="\"$cmd\" passed with the break in ($LOGS/$name.log)"
	else
		RESULT[$name]=KILLED
		# What failed: the first FAIL line of the log (else not ok, Bail out, error).
		why=$(grep -m 1 'FAIL' "$LOGS/$name.log" || grep -m 1 -E '^not ok|Bail out|[Ee]rror' "$LOGS/$name.log")
		why=$(printf '%s' "$why" | sed 's/^#[[:space:]]*//' | cut -c 1-160)
		DETAIL[$name]="$(($(date +%s) - s)) s: ${why:-$(tail -n 1 "$LOGS/$name.log" | cut -c 1-160)}"
	fi
	printf '%-9s %s: %s\n' "${RESULT[$name]}" "$name" "${DETAIL[$name]}"
	# Restore (a fresh mtime: the next build recompiles what the break touched).
	for ((i = 1; i <= NEDITS[$name]; i++)); do
		f=${EFILE[$name.$i]}
		cat "$ORIG/$f" >"$T/$f"
	done
done
echo
echo "mutate: $(($(date +%s) - t0)) s"
for r in KILLED SURVIVED STALE NOBUILD BASELINE; do
	l=""
	for name in "${SEL[@]}"; do
		[ "${RESULT[$name]:-}" = "$r" ] && l+=" $name"
	done
	[ -z "$l" ] || printf '%-9s%s\n' "$r" "$l"
	[ "$r" = KILLED ] || [ -z "$l" ] || fails=1
done
if [ $fails = 0 ] && [ "${MUTATE_KEEP:-0}" != 1 ]; then
	rm -rf "$W"
	echo "mutate: every break was killed"
else
	rm -rf "$T/build"
	echo "mutate: logs and the scratch tree are in $W (remove it when done)"
fi
exit $fails
