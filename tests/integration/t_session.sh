# Sessions: create, remote add --push, exec, git pull back, stop, start,
# delete, on the `host` image (git, tmux, bash and claude from the host's
# /usr: make deps installs them), in every mode.  Each test runs in a
# private host (a new /tmp, /run and home) so the sessions it makes are its
# own; root's /var/lib/paude/sessions is shared, so names are unique and
# every session is deleted.

# sess_procs all|init: this test's session processes still running: the
# supervisors and the sandboxes' inits (with "init", the inits only).
sess_procs() {
	local p args
	for p in $(it_pids); do
		args=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || continue
		case $args in
		"paude-init ") echo "$p" ;;
		"paude supervise "*) [ "${1:-}" = init ] || echo "$p" ;;
		esac
	done
	return 0
}

# On the way out, whatever happened: the sessions this test made are
# deleted (root's live in the host's /var/lib/paude) and the stub stopped.
sess_cleanup() {
	local d n
	# shellcheck disable=SC2086 # a list of pids
	[ -z "${STUB_PID:-}" ] || kill $STUB_PID 2>/dev/null
	for d in "$(dirname "$(sess_data_dir x)")"/it-"$$"-*; do
		[ -d "$d" ] || continue
		n=${d##*/}
		pexec "$PAUDE" delete "$n" --confirm >/dev/null 2>&1 || true
	done
}

# spc ARGS...: `paude ARGS...` as the mode's user in the current directory;
# OUT, ERR, RC.
spc() {
	local o e
	o=$(mktemp -p "$IT_DIR" out.XXXXXX)
	e=$(mktemp -p "$IT_DIR" err.XXXXXX)
	RC=0
	pexec_prefix
	timeout -s KILL 120 "${PEXEC[@]}" "$PAUDE" "$@" >"$o" 2>"$e" </dev/null || RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	rm -f "$o" "$e"
}

# sgit ARGS...: git as the mode's user in the current directory.
sgit() {
	pexec_prefix
	timeout -s KILL 120 "${PEXEC[@]}" git -c user.email=it@paude.test -c user.name=it "$@"
}

# A project: a git repository the mode's user owns, one commit on main.
sess_project() {
	trap sess_cleanup EXIT
	PROJ=$(scratch)/proj
	pexec mkdir "$PROJ"
	cd "$PROJ" || fail "cd $PROJ"
	sgit init -q -b main || fail "git init"
	pexec sh -c 'echo one > f'
	sgit add f || fail "git add"
	sgit commit -qm one || fail "git commit"
}

# The session's data directory, as the mode's user has it.
sess_data_dir() {
	if [ "$MODE" = root ]; then echo "/var/lib/paude/sessions/$1"
	else echo "/home/$RUNUSER/.local/share/paude/sessions/$1"; fi
}

# The supervisor's pid, from its run directory.
sess_supervisor_pid() {
	local run
	if [ "$MODE" = root ]; then run=/run/paude/$1
	else run=/run/user/$(id -u "$RUNUSER")/paude/$1; fi
	cat "$run/supervisor.pid"
}

sess_lifecycle() {
	local S=it-$$-life
	sess_project
	spc create --image host "$S"
	status_is "$RC" 0 "create: $ERR"
	contains "$OUT" "Session '$S' created and running."
	spc list
	status_is "$RC" 0 "list"
	contains "$OUT" "$S"
	contains "$(printf '%s\n' "$OUT" | grep "^$S ")" running "list shows it running"
	spc remote add --push "$S"
	status_is "$RC" 0 "remote add --push: $ERR"
	# "paude" when that is this binary on PATH (the rootless modes), else its path
	if [ "$MODE" = root ]; then
		contains "$(sgit remote -v)" "ext::$PAUDE exec -i $S -- %S /pvc/workspace" "the remote's URL"
	else
		contains "$(sgit remote -v)" "ext::paude exec -i $S -- %S /pvc/workspace" "the remote's URL"
	fi
	eq "$(sgit config --local protocol.ext.allow)" user "protocol.ext.allow, locally"
	eq "$(sgit config --local "remote.paude-$S.tagOpt")" --no-tags "the agent's tags stay inside"
	# The agent's user, its home, the workspace.
	spc exec "$S" -- sh -c 'id -un; echo "$HOME"; pwd; stat -c %U /pvc/workspace'
	status_is "$RC" 0 "exec id: $ERR"
	if [ "$MODE" = single ]; then
		eq "$OUT" "root
/root
/pvc/workspace
root" "single: the agent is the sandbox's root"
	else
		eq "$OUT" "paude
/home/paude
/pvc/workspace
paude" "the agent's user"
	fi
	# A commit inside comes back with git pull.
	spc exec "$S" -- sh -c 'echo two > g && git add g && git -c user.email=a@a -c user.name=agent commit -qm two && git log --oneline | wc -l'
	status_is "$RC" 0 "exec commit: $ERR"
	eq "$OUT" 2 "commits inside"
	sgit pull -q "paude-$S" main || fail "git pull paude-$S main"
	eq "$(sgit log --oneline | wc -l)" 2 "the commit came back"
	eq "$(cat g)" two "the agent's file"
	# The tmux session of the agent is there.
	spc exec "$S" -- tmux has-session -t claude
	status_is "$RC" 0 "tmux session claude: $ERR"
	# the writable layer persists: what root installs outside the volume stays
	spc exec -u root "$S" -- sh -c 'mkdir -p /opt/tool && echo v1 >/opt/tool/version'
	status_is "$RC" 0 "install into the writable layer: $ERR"
	# stop: exec refused, data kept.
	spc stop "$S"
	status_is "$RC" 0 "stop: $ERR"
	contains "$OUT" "Session '$S' stopped."
	spc exec "$S" -- true
	status_is "$RC" 125 "exec into a stopped session"
	contains "$ERR" "Session '$S' is not running. Use 'paude start $S' to start it."
	spc list
	contains "$(printf '%s\n' "$OUT" | grep "^$S ")" stopped "list shows it stopped"
	[ -z "$(sess_procs all)" ] || fail "processes left after stop: $(sess_procs all)"
	spc start -d "$S"
	status_is "$RC" 0 "start -d: $ERR"
	spc exec "$S" -- cat /pvc/workspace/g
	eq "$OUT" two "the workspace across stop/start"
	spc exec "$S" -- cat /opt/tool/version
	eq "$OUT" v1 "the writable layer across stop/start"
	spc exec "$S" -- tmux has-session -t claude
	status_is "$RC" 0 "tmux session claude after start: $ERR"
	# delete: nothing left.
	spc delete "$S"
	status_is "$RC" 1 "delete without --confirm"
	contains "$OUT" "Use --confirm to proceed."
	spc delete "$S" --confirm
	status_is "$RC" 0 "delete: $ERR"
	spc list
	not_contains "$OUT" "$S" "list after delete"
	[ ! -e "$(sess_data_dir "$S")" ] || fail "the session's data is left: $(ls -la "$(sess_data_dir "$S")")"
	not_contains "$(sgit remote)" "paude-$S" "the remote after delete"
	wait_until 5 "the sandbox to go" '[ -z "$(sess_procs all)" ]'
}

# it-timeout: 240
t_session_lifecycle() {
	in_private_host sess_lifecycle
}

sess_exec() {
	local S=it-$$-exec
	sess_project
	# Only the variables of the pass-through list reach the agent.
	IT_SECRET=leak ANTHROPIC_MODEL=m1 PEXEC_ENV="IT_SECRET=leak ANTHROPIC_MODEL=m1" \
		spc create --image host "$S"
	status_is "$RC" 0 "create: $ERR"
	spc exec "$S" -- sh -c 'echo "[$IT_SECRET] [$ANTHROPIC_MODEL]"'
	eq "$OUT" "[] [m1]" "host variables"
	# The agent's confinement: no capabilities, no_new_privs, seccomp.
	spc exec "$S" -- sh -c 'grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status'
	status_is "$RC" 0 "exec status: $ERR"
	contains "$OUT" "CapEff:	0000000000000000"
	contains "$OUT" "NoNewPrivs:	1"
	contains "$OUT" "Seccomp:	2"
	# The same pid namespace as the agent: init is pid 1, tmux is there.
	spc exec "$S" -- sh -c 'tr "\0" " " </proc/1/cmdline; echo; pgrep -c tmux'
	contains "$OUT" "paude-init" "pid 1 is paude's init"
	eq "$(printf '%s\n' "$OUT" | tail -n 1)" 1 "the agent's tmux server is in the same pid namespace"
	# Exit statuses as podman's.
	spc exec "$S" -- sh -c 'exit 7'
	status_is "$RC" 7 "the command's status"
	spc exec "$S" -- no-such-command
	status_is "$RC" 127 "a command not found"
	# stdin with -i, stdout and stderr apart.
	OUT=$(printf 'in-data\n' | pexec "$PAUDE" exec -i "$S" -- cat 2>/dev/null)
	eq "$OUT" in-data "-i passes stdin"
	spc exec "$S" -- sh -c 'echo out; echo err >&2'
	eq "$OUT" out "stdout"
	eq "$ERR" err "stderr"
	# -u root, -w, -e
	spc exec -u root -w /tmp -e FOO=bar "$S" -- sh -c 'id -u; pwd; echo $FOO'
	eq "$OUT" "0
/tmp
bar" "-u root -w /tmp -e FOO=bar"
	# --cap-add reaches the process; without it nothing is kept.
	spc exec -u root --cap-add CHOWN "$S" -- sh -c 'grep ^CapEff: /proc/self/status'
	contains "$OUT" "CapEff:	0000000000000001" "--cap-add CHOWN"
	spc delete "$S" --confirm
	status_is "$RC" 0 "delete: $ERR"
}

# it-timeout: 180
t_session_exec() {
	in_private_host sess_exec
}

sess_supervisor_killed() {
	local S=it-$$-kill sup
	sess_project
	spc create --image host "$S"
	status_is "$RC" 0 "create: $ERR"
	spc exec "$S" -- sh -c 'echo kept > /pvc/workspace/k'
	sup=$(sess_supervisor_pid "$S")
	[ -n "$sup" ] || fail "no supervisor pid"
	kill -KILL "$sup"
	# The sandbox dies with its supervisor: never one without its proxy.
	wait_until 10 "the sandbox to die with its supervisor" '[ -z "$(sess_procs init)" ]'
	spc list
	contains "$(printf '%s\n' "$OUT" | grep "^$S ")" error "list shows error"
	spc exec "$S" -- true
	status_is "$RC" 125 "exec into a dead session"
	spc start -d "$S"
	status_is "$RC" 0 "start recovers: $ERR"
	spc exec "$S" -- cat /pvc/workspace/k
	eq "$OUT" kept "the workspace survives kill -9"
	spc delete "$S" --confirm
	status_is "$RC" 0 "delete: $ERR"
}

# it-timeout: 180
t_session_supervisor_killed() {
	in_private_host sess_supervisor_killed
}

sess_cli() {
	sess_project
	spc list
	status_is "$RC" 0 "list"
	# root's sessions are the host's: only rootless, where the home is the test's
	[ "$MODE" = root ] || contains "$OUT" "No sessions found."
	spc create --image host "Bad_Name"
	[ "$RC" != 0 ] || fail "a bad name was accepted"
	spc exec nosuch -- true
	status_is "$RC" 125 "exec into no session"
	spc start -d nosuch
	status_is "$RC" 1 "start of no session"
	contains "$ERR" "Session 'nosuch' not found."
	spc create --image host --dry-run -e TOKEN=secret it-dry
	status_is "$RC" 0 "--dry-run: $ERR"
	contains "$OUT" "TOKEN=***" "--dry-run masks values"
	contains "$OUT" "claude:.anthropic.com" "--dry-run expands the groups"
	not_contains "$OUT" secret "--dry-run masks values"
	[ ! -e "$(sess_data_dir it-dry)" ] || fail "--dry-run created the session"
	# the sandbox's loopback is its own: refused, with the fix
	spc create --image host -e ANTHROPIC_BASE_URL=http://127.0.0.1:8080 it-lo
	[ "$RC" != 0 ] || fail "a loopback ANTHROPIC_BASE_URL was taken"
	contains "$ERR" "--resolve" "the loopback refusal names the fix"
	[ ! -e "$(sess_data_dir it-lo)" ] || fail "a refused create left files"
	spc remote frob
	status_is "$RC" 2 "remote frob"
	contains "$ERR" "Unknown action: frob"
}

t_session_cli() {
	in_private_host sess_cli
}

# sess_home: a home for the mode's user with settings and credentials, some
# of which must never reach the sandbox; SHOME is it, and SPC_ENV what makes
# paude use it.
sess_home() {
	if [ "$MODE" = root ]; then SHOME=$(scratch)/home; mkdir -p "$SHOME"
	else SHOME=/home/$RUNUSER; fi
	mkdir -p "$SHOME/.claude/plugins" "$SHOME/.claude/projects/p" "$SHOME/.config/git" \
		"$SHOME/.config/gcloud" "$SHOME/.ssh"
	# credentials in it never reach the sandbox
	printf '[user]\n\tname = Tester\n[credential]\n\thelper = store\n[url "https://ghp_intoken@github.com/"]\n\tinsteadOf = https://github.com/\n' >"$SHOME/.gitconfig"
	echo '*.o' >"$SHOME/.config/git/ignore"
	echo '{"type":"authorized_user"}' >"$SHOME/.config/gcloud/application_default_credentials.json"
	chmod 600 "$SHOME/.config/gcloud/application_default_credentials.json"
	echo '{"theme":"dark"}' >"$SHOME/.claude/settings.json"
	echo "{\"p\":\"$SHOME/.claude/plugins/x\"}" >"$SHOME/.claude/plugins/installed_plugins.json"
	echo history >"$SHOME/.claude/projects/p/h.jsonl"
	echo history >"$SHOME/.claude/history.jsonl"
	echo host-secret-text >"$IT_DIR/host-secret"
	chmod 644 "$IT_DIR/host-secret"
	ln -s "$IT_DIR/host-secret" "$SHOME/.claude/link"
	mkfifo "$SHOME/.claude/fifo"
	echo '{"hasCompletedOnboarding":true}' >"$SHOME/.claude.json"
	echo key >"$SHOME/.ssh/id_ed25519"
	[ "$MODE" = root ] || chown -R "$RUNUSER:" "$SHOME"
}

sess_credentials() {
	local S=it-$$-cred H=/home/paude
	[ "$MODE" = single ] && H=/root
	sess_project
	sess_home
	# the host's GH_TOKEN never goes in
	HOME=$SHOME GH_TOKEN=ghp_hostleak PEXEC_ENV="GH_TOKEN=ghp_hostleak" spc create --image host "$S"
	status_is "$RC" 0 "create: $ERR"
	spc exec "$S" -- sh -c 'echo "[$GH_TOKEN] $GH_CONFIG_DIR"; ls ~/.config/gh 2>&1'
	contains "$OUT" "[] /tmp/gh-config" "GH_TOKEN and GH_CONFIG_DIR"
	# a token for one exec: that process only
	PAUDE_GITHUB_TOKEN=ghp_forexec PEXEC_ENV="PAUDE_GITHUB_TOKEN=ghp_forexec" \
		spc exec "$S" -- sh -c 'echo "[$GH_TOKEN]"'
	eq "$OUT" "[ghp_forexec]" "PAUDE_GITHUB_TOKEN on exec"
	spc exec --github-token ghp_flag "$S" -- sh -c 'echo "[$GH_TOKEN]"'
	eq "$OUT" "[ghp_flag]" "--github-token on exec"
	spc exec "$S" -- sh -c 'echo "[$GH_TOKEN]"; tmux show-environment -t claude GH_TOKEN'
	contains "$OUT" "[]" "the exec token stayed with its process"
	spc exec "$S" -- sh -c 'cat ~/.gitconfig ~/.config/git/ignore ~/.config/gcloud/application_default_credentials.json ~/.claude/settings.json ~/.claude/plugins/installed_plugins.json'
	status_is "$RC" 0 "the copied files: $ERR"
	eq "$OUT" "[user]
	name = Tester
*.o
{\"type\":\"authorized_user\"}
{\"theme\":\"dark\"}
{\"p\":\"$H/.claude/plugins/x\"}" "what the agent gets"
	# ~/.claude.json: the copy's key is there (Claude Code, started in the
	# session's tmux, may already have rewritten the file with its own state)
	spc exec "$S" -- sh -c 'cat ~/.claude.json'
	status_is "$RC" 0 "the copied .claude.json: $ERR"
	printf '%s' "$OUT" | grep -Eq '"hasCompletedOnboarding": ?true' ||
		fail "the copied .claude.json lost its key: $OUT"
	# read-only ones cannot be written, not even by the sandbox's root
	spc exec -u root "$S" -- sh -c 'for f in ~paude/.gitconfig ~paude/.config/gcloud/application_default_credentials.json; do echo x >>"$f" && echo "wrote $f"; done; true'
	not_contains "$OUT" wrote "read-only credentials were written"
	spc exec "$S" -- sh -c 'ls -a ~ ~/.claude; grep -rs host-secret-text ~ /pvc /tmp; ls ~/.claude/projects ~/.ssh 2>&1'
	not_contains "$OUT" host-secret-text "a symlink in ~/.claude was followed"
	not_contains "$OUT" fifo "a fifo was copied"
	not_contains "$OUT" link "a symlink was copied"
	not_contains "$OUT" history "history was copied"
	contains "$OUT" "No such file or directory" "projects and .ssh are absent"
	not_contains "$OUT" id_ed25519 ".ssh was copied"
	# ~/.claude is copied at the first start only; the read-only files at each
	echo '{"theme":"light"}' >"$SHOME/.claude/settings.json"
	printf '[user]\n\tname = Changed\n' >"$SHOME/.gitconfig"
	spc stop "$S"
	HOME=$SHOME spc start -d --github-token ghp_forstart "$S"
	status_is "$RC" 0 "start: $ERR"
	spc exec "$S" -- tmux show-environment -t claude GH_TOKEN
	eq "$OUT" "GH_TOKEN=ghp_forstart" "start --github-token: the tmux session's environment"
	if grep -rqs ghp_ "$(sess_data_dir "$S")"; then fail "a GitHub token was written to the session's files"; fi
	spc exec "$S" -- sh -c 'cat ~/.claude/settings.json ~/.gitconfig'
	eq "$OUT" "{\"theme\":\"dark\"}
[user]
	name = Changed" "after a restart"
	spc delete "$S" --confirm
	status_is "$RC" 0 "delete: $ERR"
}

# it-timeout: 180
t_session_credentials() {
	in_private_host sess_credentials
}

# stub_api: the stub Messages API on 127.0.0.1 ($STUB_PORT, requests logged
# as JSON lines to $STUB_LOG); stopped when the test's shell exits.
stub_api() {
	local d
	d=$(mktemp -d "$IT_DIR/stub.XXXXXX")
	STUB_LOG=$d/log
	python3 "$IT_DIR/bin/stub_anthropic.py" --port-file "$d/port" --log "$STUB_LOG" &
	STUB_PID="${STUB_PID:-} $!"
	wait_until 10 "the stub API to listen" '[ -s "$d/port" ]'
	STUB_PORT=$(cat "$d/port")
}

sess_claude() {
	local S=it-$$-claude key=sk-ant-it-0123456789abcdefghijklmnop
	sess_project
	sess_home
	stub_api
	# Claude Code's first-run dialogs are settled by the ~/.claude.json paude copies in.
	echo '{"hasCompletedOnboarding":true,"projects":{"/pvc/workspace":{"hasTrustDialogAccepted":true}}}' >"$SHOME/.claude.json"
	[ "$MODE" = root ] || chown "$RUNUSER:" "$SHOME/.claude.json"
	HOME=$SHOME ANTHROPIC_API_KEY=$key PEXEC_ENV="ANTHROPIC_API_KEY=$key" \
		spc create --image host --yolo --allowed-domains "api.test:$STUB_PORT" \
		--resolve api.test:127.0.0.1 -e "ANTHROPIC_BASE_URL=http://api.test:$STUB_PORT" \
		-e CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 -e DISABLE_AUTOUPDATER=1 "$S"
	status_is "$RC" 0 "create: $ERR"
	spc remote add --push "$S"
	status_is "$RC" 0 "remote add --push: $ERR"
	# The real Claude Code, through the proxy, against the stub: a tool_use
	# turn runs git commit inside, then a text turn ends it.
	spc exec "$S" -- claude -p "commit a file" --dangerously-skip-permissions
	status_is "$RC" 0 "claude -p: $OUT $ERR"
	contains "$OUT" "Done: the change is committed." "claude's answer"
	contains "$(cat "$STUB_LOG")" '"kind": "tool_use"' "the stub's tool_use turn"
	contains "$(cat "$STUB_LOG")" '"kind": "text"' "the stub's text turn"
	sgit pull -q "paude-$S" main || fail "git pull paude-$S main"
	eq "$(cat agent.txt)" agent-was-here "the agent's commit came back"
	eq "$(sgit log -1 --format=%s)" "commit by claude" "the agent's commit message"
	# The API key is in no file paude wrote.
	if grep -rqs -- "$key" "$(sess_data_dir "$S")"; then fail "the API key was written to the session's files"; fi
	# The proxy logged the API's requests in the session's audit log.
	contains "$(cat "$(sess_data_dir "$S")/audit.jsonl")" "api.test" "the audit log"
	spc delete "$S" --confirm
	status_is "$RC" 0 "delete: $ERR"
}

# it-timeout: 240
t_session_claude() {
	command -v claude >/dev/null || fail "claude is not installed (make deps installs it)"
	in_private_host sess_claude
}

sess_policy() {
	local S=it-$$-pol
	sess_project
	stub_api
	spc create --image host --allowed-domains claude --resolve origin.test:127.0.0.1 "$S"
	status_is "$RC" 0 "create: $ERR"
	fetch() {
		spc exec "$S" -- curl -s -o /dev/null -w '%{http_code}' "http://origin.test:$STUB_PORT/x"
	}
	fetch
	eq "$OUT" 403 "a host not allowed"
	spc blocked-domains "$S"
	status_is "$RC" 0 "blocked-domains: $ERR"
	contains "$OUT" "paude allowed-domains $S --add origin.test" "blocked-domains names the fix"
	# live: the running proxy follows at once
	spc allowed-domains "$S" --add "origin.test:$STUB_PORT"
	status_is "$RC" 0 "allowed-domains --add: $ERR"
	fetch
	eq "$OUT" 404 "reached the origin once allowed (its 404)"
	spc allowed-domains "$S"
	contains "$OUT" "origin.test:$STUB_PORT" "the allowlist shows it"
	spc allowed-domains "$S" --add all
	status_is "$RC" 2 "--add all"
	spc allowed-domains "$S" --add a.test --remove b.test
	status_is "$RC" 2 "--add with --remove"
	spc allowed-domains "$S" --add 'bad..name'
	[ "$RC" != 0 ] || fail "a bad entry was taken"
	fetch
	eq "$OUT" 404 "a refused change changed nothing"
	spc allowed-domains "$S" --remove "origin.test:$STUB_PORT"
	status_is "$RC" 0 "allowed-domains --remove: $ERR"
	fetch
	eq "$OUT" 403 "denied again once removed"
	# kept across a restart
	spc allowed-domains "$S" --add "origin.test:$STUB_PORT"
	spc stop "$S"
	spc start -d "$S"
	status_is "$RC" 0 "start: $ERR"
	fetch
	eq "$OUT" 404 "the changed allowlist after a restart"
	# the session's events are in its log
	spc logs "$S"
	status_is "$RC" 0 "logs: $ERR"
	contains "$OUT" "create" "logs: create"
	contains "$OUT" "policy" "logs: policy"
	contains "$OUT" "exec" "logs: exec"
	contains "$OUT" "origin.test" "logs: the proxy's decisions"
	spc logs --json "$S"
	printf '%s\n' "$OUT" | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' ||
		fail "logs --json: not JSON lines"
	spc status "$S"
	contains "$OUT" "Status:     running" "status"
	spc delete "$S" --confirm
	status_is "$RC" 0 "delete: $ERR"
}

# it-timeout: 180
t_session_policy() {
	in_private_host sess_policy
}

sess_git() {
	local S=it-$$-git
	sess_project
	sgit tag v1 || fail "git tag"
	sgit remote add origin git@github.com:org/repo.git || fail "git remote add origin"
	spc create --image host --git "$S"
	status_is "$RC" 0 "create --git: $ERR"
	contains "$OUT" "Pushed main to paude-$S."
	spc exec "$S" -- sh -c 'git log --oneline | wc -l; git tag; git remote get-url origin'
	eq "$OUT" "1
v1
https://github.com/org/repo.git" "create --git: the branch, the tags, origin as https"
	spc remote list
	contains "$OUT" "paude-$S" "remote list"
	spc remote remove "$S"
	status_is "$RC" 0 "remote remove: $ERR"
	not_contains "$(sgit remote)" "paude-$S" "the remote after remote remove"
	spc delete "$S" --confirm
	status_is "$RC" 0 "delete: $ERR"
}

t_session_git() {
	in_private_host sess_git
}

sess_cp() {
	local S=it-$$-cp src dst
	sess_project
	spc create --image host "$S"
	status_is "$RC" 0 "create: $ERR"
	src=$(scratch)
	pexec sh -c "mkdir -p '$src/tree/sub' && echo a >'$src/tree/a' && echo b >'$src/tree/sub/b' && ln -s /etc/shadow '$src/tree/link' && mkfifo '$src/tree/fifo'"
	# into the session: a directory, under its own name, links as links
	spc cp "$src/tree" "$S:"
	status_is "$RC" 0 "cp into: $ERR"
	spc exec "$S" -- sh -c 'cat tree/a tree/sub/b; readlink tree/link; [ -e tree/fifo ] || echo no-fifo; stat -c %U tree/a'
	if [ "$MODE" = single ]; then
		eq "$OUT" "a
b
/etc/shadow
no-fifo
root" "cp into the session"
	else
		eq "$OUT" "a
b
/etc/shadow
no-fifo
paude" "cp into the session"
	fi
	# a file to a new name
	spc cp "$src/tree/a" "$S:renamed"
	spc exec "$S" -- cat renamed
	eq "$OUT" a "cp into, renamed"
	# out of the session
	dst=$(scratch)
	spc exec "$S" -- sh -c 'mkdir -p out && echo x >out/f && ln -s / out/root'
	spc cp "$S:out" "$dst"
	status_is "$RC" 0 "cp out: $ERR"
	eq "$(cat "$dst/out/f")" x "cp out: the file"
	[ -L "$dst/out/root" ] || fail "cp out: the link is not a link"
	spc cp "$S:out/f" "$dst/g"
	eq "$(cat "$dst/g")" x "cp out, renamed"
	# a hostile tar: the agent's own `tar` first on PATH writes a link to / and
	# a file through it, then a member that climbs out
	spc exec "$S" -- sh -c 'mkdir -p /pvc/.local/bin && cat >/pvc/.local/bin/tar <<"X"
#!/usr/bin/python3
import io, sys, tarfile
t = tarfile.open(fileobj=sys.stdout.buffer, mode="w|")
link = tarfile.TarInfo("x/link"); link.type = tarfile.SYMTYPE; link.linkname = "/"
t.addfile(link)
data = b"pwned\n"
f = tarfile.TarInfo("x/link/tmp/it-pwned"); f.size = len(data)
t.addfile(f, io.BytesIO(data))
up = tarfile.TarInfo("x/../../it-climbed"); up.size = len(data)
t.addfile(up, io.BytesIO(data))
t.close()
X
chmod 755 /pvc/.local/bin/tar'
	spc cp "$S:x" "$dst"
	[ "$RC" != 0 ] || fail "a tar writing through its own symlink was taken"
	[ ! -e /tmp/it-pwned ] || fail "cp wrote through a planted symlink: /tmp/it-pwned"
	[ ! -e "$dst/tmp/it-pwned" ] || fail "cp wrote through a planted symlink into the destination"
	[ ! -e "$(dirname "$dst")/it-climbed" ] || fail "cp wrote outside the destination"
	# a tar whose members name other files of the destination: all land
	# under the name asked for (here a .git hook in the user's directory)
	spc exec "$S" -- sh -c 'cat >/pvc/.local/bin/tar <<"X"
#!/usr/bin/python3
import io, sys, tarfile
t = tarfile.open(fileobj=sys.stdout.buffer, mode="w|")
data = b"#!/bin/sh\necho owned\n"
for name in ("report.html", ".git/hooks/pre-commit", "other/.bashrc"):
    f = tarfile.TarInfo(name); f.size = len(data); f.mode = 0o755
    t.addfile(f, io.BytesIO(data))
t.close()
X
chmod 755 /pvc/.local/bin/tar'
	mkdir -p "$dst/.git/hooks"
	[ -z "$RUNUSER" ] || chown -R "$RUNUSER:" "$dst/.git"
	spc cp "$S:report.html" "$dst"
	[ ! -e "$dst/.git/hooks/pre-commit" ] || fail "cp wrote a member beside the one asked for"
	[ ! -e "$dst/other" ] || fail "cp wrote a member beside the one asked for"
	spc cp "$src/nothing" "$S:"
	[ "$RC" != 0 ] || fail "cp of a missing file succeeded"
	spc delete "$S" --confirm
	status_is "$RC" 0 "delete: $ERR"
}

# it-timeout: 180
t_session_cp() {
	in_private_host sess_cp
}

sess_ranges() {
	local a=it-$$-ra b=it-$$-rb ma mb
	sess_project
	spc create --image host "$a"
	status_is "$RC" 0 "create $a: $ERR"
	spc create --image host "$b"
	status_is "$RC" 0 "create $b: $ERR"
	spc exec "$a" -- sh -c 'tr -s " " </proc/self/uid_map'
	ma=$OUT
	spc exec "$b" -- sh -c 'tr -s " " </proc/self/uid_map'
	mb=$OUT
	case $MODE in
	root)
		# podman's --userns=auto model: each session a range of its own,
		# from the "paude-sessions" pool, apart from `paude run`'s
		[ "$ma" != "$mb" ] || fail "two root sessions share an id range: $ma"
		not_contains "$ma" " $(paude_range_start) " "a session on paude run's range"
		grep -q '^paude-sessions:' /etc/subuid || fail "no paude-sessions pool in /etc/subuid"
		;;
	*)
		eq "$ma" "$mb" "rootless sessions both map the user's own ids"
		;;
	esac
	spc stop "$a"
	spc start -d "$a"
	spc exec "$a" -- sh -c 'tr -s " " </proc/self/uid_map'
	eq "$OUT" "$ma" "a session keeps its range across a restart"
	spc delete "$a" --confirm
	spc delete "$b" --confirm
	status_is "$RC" 0 "delete: $ERR"
}

t_session_id_ranges() {
	in_private_host sess_ranges
}

# A registry of the test's own on 127.0.0.1 ($REG), stopped with the test.
sess_registry() {
	local d
	d=$(mktemp -d "$IT_DIR/reg.XXXXXX")
	mkdir -p "$d/data"
	printf 'version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s/data\nhttp:\n  addr: 127.0.0.1:0\n  secret: paude-it-secret\n' "$d" >"$d/config.yml"
	docker-registry serve "$d/config.yml" </dev/null >"$d/log" 2>&1 &
	STUB_PID="${STUB_PID:-} $!"
	wait_until 10 "docker-registry to listen" "grep -qs 'listening on 127.0.0.1:[0-9]' '$d/log'"
	REG=127.0.0.1:$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$d/log" | head -n 1)
}

sess_pinned() {
	local S=it-$$-pin img l
	sess_project
	# root's store is the host's: a private one for this test
	if [ "$MODE" = root ]; then
		mkdir -p /var/lib/paude/storage
		mount -t tmpfs -o mode=700 it-store /var/lib/paude/storage
	fi
	sess_registry
	# the busybox rootfs with stand-ins for what a session needs
	l=$(mktemp -d "$IT_DIR/layer.XXXXXX")
	cp -a "$IT_DIR/rootfs-root/." "$l/"
	for c in tmux git claude; do printf '#!/bin/sh\nexit 0\n' >"$l/bin/$c"; chmod 755 "$l/bin/$c"; done
	ln -sf busybox "$l/bin/bash"
	python3 "$IT_DIR/bin/mkimage.py" push "$REG" it/fake:1 --cmd /bin/sh --layer "$l" >/dev/null ||
		fail "push the test image"
	img=$REG/it/fake:1
	# an image without claude and tmux: refused at create, naming them, nothing left
	rm "$l/bin/claude" "$l/bin/tmux"
	python3 "$IT_DIR/bin/mkimage.py" push "$REG" it/lacking:1 --cmd /bin/sh --layer "$l" >/dev/null ||
		fail "push the lacking image"
	spc create --image "$REG/it/lacking:1" "$S"
	[ "$RC" != 0 ] || fail "a session on an image without claude was created"
	contains "$ERR" "lacks: tmux claude" "create names what the image lacks"
	[ ! -e "$(sess_data_dir "$S")" ] || fail "a refused create left the session's files"
	spc create --image "$img" "$S"
	status_is "$RC" 0 "create on $img: $ERR"
	spc status "$S"
	contains "$OUT" "@ sha256:" "status shows the pinned digest"
	spc rmi "$img"
	[ "$RC" != 0 ] || fail "rmi removed a running session's image"
	spc stop "$S"
	spc rmi "$img"
	[ "$RC" != 0 ] || fail "rmi removed a stopped session's image"
	contains "$ERR" "pinned by session '$S'" "rmi names the session"
	spc image prune -a -f
	status_is "$RC" 0 "image prune: $ERR"
	spc images
	contains "$OUT" "$REG/it/fake" "a stopped session's image survives prune -a"
	spc start -d "$S"
	status_is "$RC" 0 "start after prune: $ERR"
	spc stop "$S"
	spc rmi -f "$img"
	status_is "$RC" 0 "rmi -f: $ERR"
	spc start -d "$S"
	[ "$RC" != 0 ] || fail "a session whose image is gone started"
	contains "$ERR" "pinned at create" "start names the pinned image"
	spc delete "$S" --confirm
	status_is "$RC" 0 "delete: $ERR"
}

# it-timeout: 180
t_session_pinned_image() {
	in_private_host sess_pinned
}

sess_connect() {
	local S=it-$$-conn o e
	sess_project
	# claude --version exits at once: the tmux session keeps a shell
	spc create --image host -a "--version" "$S"
	status_is "$RC" 0 "create: $ERR"
	o=$(mktemp -p "$IT_DIR" out.XXXXXX)
	e=$(mktemp -p "$IT_DIR" err.XXXXXX)
	RC=0
	pexec "$PTYRUN" --timeout 30 --send-after 1500 'echo marker-$((6*7))\r' \
		--send-after 3000 '\x02d' -- "$PAUDE" connect "$S" >"$o" 2>"$e" </dev/null || RC=$?
	status_is "$RC" 0 "connect, then Ctrl-b d: $(cat "$o" "$e")"
	contains "$(cat "$o")" "detached" "tmux says it detached"
	contains "$(cat "$e")" "termios-restored yes" "the terminal is restored"
	spc exec "$S" -- tmux capture-pane -p -t claude
	contains "$OUT" "marker-42" "what was typed ran in the session's shell"
	contains "$OUT" "(Claude Code)" "claude ran in the tmux session"
	# reattach: the same tmux session, its screen again
	RC=0
	pexec "$PTYRUN" --timeout 30 --send-after 2000 '\x02d' -- "$PAUDE" connect "$S" >"$o" 2>"$e" </dev/null || RC=$?
	status_is "$RC" 0 "reconnect: $(cat "$o" "$e")"
	contains "$(cat "$o")" "marker-42" "reattached to the same session"
	rm -f "$o" "$e"
	spc delete "$S" --confirm
	status_is "$RC" 0 "delete: $ERR"
}

# it-timeout: 120
t_session_connect() {
	in_private_host sess_connect
}

# The Debian image the issue asks for: debootstrap --variant=minbase with
# git, tmux, bash and ca-certificates, and the host's Claude Code, as one
# uncompressed tar cached in /var/cache/paude-tests (made once per machine:
# the mirror is Debian's own, as apt's).
SESS_DEB_CACHE=/var/cache/paude-tests
sess_debian_tar() {
	local r t=$SESS_DEB_CACHE/agent-bookworm.tar
	if [ ! -s "$t" ]; then
		mkdir -p "$SESS_DEB_CACHE"
		r=$(mktemp -d /var/tmp/paude-it-deb.XXXXXX)
		debootstrap --variant=minbase --include=git,tmux,bash,ca-certificates bookworm "$r" \
			>"$SESS_DEB_CACHE/debootstrap.log" 2>&1 ||
			{ rm -rf "$r"; fail "debootstrap failed: $(tail -n 3 "$SESS_DEB_CACHE/debootstrap.log")"; }
		install -m 0755 /usr/local/bin/claude "$r/usr/local/bin/claude"
		rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
		tar -C "$r" --numeric-owner -cf "$t.tmp" --exclude='./dev/*' --exclude='./proc/*' \
			--exclude='./sys/*' . || { rm -rf "$r" "$t.tmp"; fail "tar of the debian root"; }
		mv "$t.tmp" "$t"
		rm -rf "$r"
	fi
	echo "$t"
}

# A .deb of one file, for dpkg -i inside.
sess_deb() {
	local d
	d=$(mktemp -d "$IT_DIR/deb.XXXXXX")
	mkdir -p "$d/pkg/DEBIAN" "$d/pkg/usr/share/paude-it-hello"
	printf 'Package: paude-it-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: it <it@paude.test>\nDescription: a test package\n' >"$d/pkg/DEBIAN/control"
	echo hello-from-deb >"$d/pkg/usr/share/paude-it-hello/hello.txt"
	dpkg-deb --root-owner-group -b "$d/pkg" "$d/hello.deb" >/dev/null || fail "dpkg-deb"
	chmod 755 "$d"
	chmod 644 "$d/hello.deb"
	echo "$d/hello.deb"
}

sess_debian() {
	local S=it-$$-deb tar deb img
	sess_project
	tar=$(sess_debian_tar)
	deb=$(sess_deb)
	if [ "$MODE" = root ]; then
		mkdir -p /var/lib/paude/storage
		mount -t tmpfs -o mode=700 it-store /var/lib/paude/storage
	else
		# the store and the sessions on disk, not in the test's small home
		PEXEC_ENV="XDG_DATA_HOME=$(scratch)"
		export PEXEC_ENV
	fi
	sess_registry
	python3 "$IT_DIR/bin/mkimage.py" push "$REG" it/debian:1 --compression none \
		--cmd /bin/bash --layer-tar "$tar" >/dev/null || fail "push the debian image"
	img=$REG/it/debian:1
	spc create --image "$img" "$S"
	status_is "$RC" 0 "create on $img: $ERR"
	spc remote add --push "$S"
	status_is "$RC" 0 "remote add --push: $ERR"
	spc exec "$S" -- sh -c 'echo deb > d && git add d && git -c user.email=a@a -c user.name=agent commit -qm deb && git log --oneline | wc -l'
	status_is "$RC" 0 "exec commit: $ERR"
	eq "$OUT" 2 "commits inside"
	sgit pull -q "paude-$S" main || fail "git pull paude-$S main"
	eq "$(cat d)" deb "the agent's commit came back"
	# a package, installed by the sandbox's root with podman-default caps
	spc cp "$deb" "$S:hello.deb"
	status_is "$RC" 0 "cp the .deb in: $ERR"
	spc exec -u root --cap-add CHOWN --cap-add DAC_OVERRIDE --cap-add FOWNER "$S" -- dpkg -i /pvc/workspace/hello.deb
	status_is "$RC" 0 "dpkg -i: $OUT $ERR"
	spc stop "$S"
	status_is "$RC" 0 "stop: $ERR"
	spc exec "$S" -- true
	status_is "$RC" 125 "exec into the stopped session"
	spc start -d "$S"
	status_is "$RC" 0 "start: $ERR"
	spc exec "$S" -- sh -c 'cat /pvc/workspace/d /usr/share/paude-it-hello/hello.txt; dpkg-query -W -f "\${Status}\n" paude-it-hello'
	eq "$OUT" "deb
hello-from-deb
install ok installed" "the workspace and the package across stop/start"
	spc exec "$S" -- tmux display-message -p -t claude '#{pane_start_command}'
	contains "$OUT" "claude --continue" "the agent resumes its conversation after a restart"
	spc delete "$S" --confirm
	status_is "$RC" 0 "delete: $ERR"
	not_contains "$(sgit remote)" "paude-$S" "the remote after delete"
}

# it-timeout: 900
t_session_debian() {
	in_private_host sess_debian
}

sess_limits() {
	local S=it-$$-lim sup d
	sess_project
	if [ "$MODE" != root ]; then
		# no writable cgroup rootless on this host: refused as `run` refuses it
		spc create --image host --memory 64m "$S"
		[ "$RC" != 0 ] || fail "--memory was taken without a writable cgroup"
		contains "$ERR" "--memory needs a writable cgroup and none is available here" "the error"
		[ ! -e "$(sess_data_dir "$S")" ] || fail "a refused create left files"
		return 0
	fi
	spc create --image host --memory 64m --pids-limit 200 --cpus 1 "$S"
	status_is "$RC" 0 "create with limits: $ERR"
	sup=$(sess_supervisor_pid "$S")
	d=$(find "$(cg_dir memory)" -maxdepth 1 -name "paude-$sup-*" -type d | head -n 1)
	[ -n "$d" ] || fail "no memory cgroup of the session's sandbox"
	eq "$(cat "$d/memory.limit_in_bytes")" 67108864 "the session's memory limit"
	d=$(find "$(cg_dir pids)" -maxdepth 1 -name "paude-$sup-*" -type d | head -n 1)
	eq "$(cat "$d/pids.max")" 201 "the session's task limit (one more for paude's init, as run)"
	# an exec joins the same cgroup
	spc exec "$S" -- sleep 7.123 &
	wait_until 10 "the exec's process" '[ -n "$(pgrep -fx "sleep 7.123")" ]'
	contains "$(cat "/proc/$(pgrep -fx "sleep 7.123" | head -n 1)/cgroup")" "paude-$sup-" \
		"the exec's process is in the session's cgroup"
	wait
	spc delete "$S" --confirm
	status_is "$RC" 0 "delete: $ERR"
}

t_session_limits() {
	in_private_host sess_limits
}
