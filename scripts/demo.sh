#!/bin/sh
# make demo: run a confined shell on the embedded `host` image (no registry,
# no network, no image at all) and print what the confinement looks like
# from inside.  As root it shows root mode; run through sudo it also shows
# the rootless mode for the user who called sudo.  Needs no terminal.
set -eu
cd "$(dirname "$0")/.."
PAUDE=${PAUDE:-${BUILD:-build}/paude}
PAUDE=$(cd "$(dirname "$PAUDE")" && pwd)/$(basename "$PAUDE")

# shellcheck disable=SC2016 # expanded by the sandbox's shell, not this one
probe='
echo "  user inside:      $(id)"
echo "  uid map:          $(tr -s " " < /proc/self/uid_map | tr "\n" ";")"
grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status | sed "s/^/  /; s/:\t/: /"
echo "  processes:        $(ls /proc | grep -c "^[0-9]") (pid 1 is $(tr "\0" " " < /proc/1/cmdline))"
echo "  hostname:         $(hostname)"
echo "  network:          $(ls /sys/class/net | tr "\n" " ")(proxy ${HTTPS_PROXY:-none})"
if getent hosts example.com >/dev/null 2>&1; then echo "  DNS example.com:  answered (!)"; else echo "  DNS example.com:  no answer (not allowlisted)"; fi
echo "  /dev:             $(ls /dev | tr "\n" " ")"
echo "  /etc:             $(ls /etc | tr "\n" " ")"
if touch /usr/paude-demo 2>/dev/null; then echo "  write /usr:       allowed (!)"; else echo "  write /usr:       refused (read-only)"; fi
if [ -e /etc/shadow ]; then echo "  /etc/shadow:      present (!)"; else echo "  /etc/shadow:      absent"; fi
if unshare -U true 2>/dev/null; then echo "  new user ns:      allowed (!)"; else echo "  new user ns:      refused (seccomp)"; fi
if cat /proc/1/environ >/dev/null 2>&1; then echo "  /proc/1/environ:  readable (!)"; else echo "  /proc/1/environ:  refused (paude init is not dumpable)"; fi
echo "  writable layer:   $(echo hello > /etc/demo && cat /etc/demo) (gone after exit)"
'

echo "paude demo: paude run host /bin/sh -c '...'"
echo
if [ "$(id -u)" = 0 ]; then
	echo "as root (the sandbox runs in paude's unprivileged subuid range):"
	"$PAUDE" run --hostname demo host /bin/sh -c "$probe"
	if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
		echo
		echo "rootless, as $SUDO_USER:"
		dir=$(mktemp -d /tmp/paude-demo.XXXXXX)
		cp "$PAUDE" "$dir/paude"
		chmod 755 "$dir" "$dir/paude"
		setpriv --reuid="$SUDO_USER" --regid="$(id -g "$SUDO_USER")" --init-groups \
			"$dir/paude" run --hostname demo host /bin/sh -c "$probe" || true
		rm -rf "$dir"
	fi
else
	echo "rootless, as $(id -un):"
	"$PAUDE" run --hostname demo host /bin/sh -c "$probe"
fi

# ---- a session: Claude Code works in the sandbox and commits; git pulls it back
echo
echo "paude demo: a session on \`host\` whose Claude Code talks to a stub Messages API"
echo "through paude's proxy (no account needed), commits, and the commit is pulled back"
work=$(mktemp -d /tmp/paude-demo-session.XXXXXX)
stub_pid=
session=demo-$$
cleanup() {
	"$PAUDE" delete "$session" --confirm >/dev/null 2>&1 || true
	[ -z "$stub_pid" ] || kill "$stub_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
python3 tests/tools/stub_anthropic.py --port-file "$work/port" --log "$work/api.log" &
stub_pid=$!
i=0
while [ ! -s "$work/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
port=$(cat "$work/port")
mkdir -p "$work/home" "$work/project"
# settle Claude Code's first-run dialogs the way a user's own ~/.claude.json does
echo '{"hasCompletedOnboarding":true,"projects":{"/pvc/workspace":{"hasTrustDialogAccepted":true}}}' >"$work/home/.claude.json"
cd "$work/project"
git init -q -b main
echo "# demo" >README.md
git add README.md
git -c user.email=demo@paude.test -c user.name=demo commit -qm "first commit"
step() { echo; echo "\$ $*"; "$@"; }
step env HOME="$work/home" ANTHROPIC_API_KEY=sk-ant-demo-key-0123456789 "$PAUDE" create --image host --yolo \
	--allowed-domains "api.test:$port" --resolve api.test:127.0.0.1 \
	-e "ANTHROPIC_BASE_URL=http://api.test:$port" -e CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
	-e DISABLE_AUTOUPDATER=1 "$session"
step "$PAUDE" remote add --push "$session"
step "$PAUDE" exec "$session" -- claude -p "add a file and commit it" --dangerously-skip-permissions
step git pull -q "paude-$session" main
step git log --oneline
step "$PAUDE" list
step "$PAUDE" delete "$session" --confirm
cd - >/dev/null
echo
echo "paude demo: done (exit 0); nothing was left on the host."
