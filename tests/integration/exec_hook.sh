#!/usr/bin/env bash
# exec_hook: the exec driver runs a hook program (argv, no shell) with the
# JSON request on stdin and the credential in its environment; the hook's
# exit status and JSON reply decide the outcome, and a hook that says
# nothing usable leaves the outcome unknown.
source "$(dirname "$0")/../lib/common.sh"

CLI=$NSF_ROOT/build/t/tools/registry_cli
SECRET="pw-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
TOKEN="tok-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
(umask 077; printf 'reg:\n  password: "%s"\n  api_token: "%s"\n' \
    "$SECRET" "$TOKEN" >"$T/secrets.yaml")

# hook NAME [BODY]: a small /bin/sh hook program in $T/NAME; without
# BODY, the body is read from stdin.
hook() {
	if [ $# -gt 1 ]; then
		printf '#!/bin/sh\n%s\n' "$2" >"$T/$1"
	else
		{ echo '#!/bin/sh'; cat; } >"$T/$1"
	fi
	chmod 755 "$T/$1"
}

# run NAME OP ARGS... -- HOOK ARGS: runs the driver, JSON to $T/NAME.json.
run() {
	local name=$1
	shift
	"$CLI" --type exec --credentials reg --secrets "$T/secrets.yaml" \
	    --timeout "${TIMEOUT:-10s}" "$@" >"$T/$name.json" 2>"$T/$name.log"
}

get() {
	jq -r "($2) | values" "$T/$1.json" 2>/dev/null
}

hook done.sh <<'HOOK'
cat >"$0.stdin"
printf "%s\n" "$@" >"$0.argv"
tr "\0" " " </proc/$$/cmdline >"$0.cmdline"
printf %s "$NSF_SECRET_PASSWORD" | sha256sum >"$0.pw"
printf %s "$NSF_SECRET_API_TOKEN" | sha256sum >"$0.tok"
env | grep -c "^NSF_SECRET_" >"$0.nvars"
if [ -e /proc/$$/fd/7 ]; then echo open; else echo closed; fi >"$0.fd7"
echo '{"result":"done","transaction_id":"SRV-1",'\
'"nameservers":["NS1.B.test.","ns2.b.test"],"ds":["1 13 2 abcd"],'\
'"statuses":["ok"],"ns_ttl":3600}'
HOOK

check "observe through the hook" run obs observe x.test -- "$T/done.sh" a1
check_eq "nameservers normalised and sorted" "ns1.b.test ns2.b.test" \
    "$(get obs '.nameservers | join(" ")')"
check_eq "DS parsed" "1 13 2 ABCD" "$(get obs '.ds[0]')"
check_eq "statuses passed on" ok "$(get obs '.statuses[0]')"
check_eq "observe request" observe "$(jq -r .operation "$T/done.sh.stdin")"
check_eq "request carries the domain and version" "x.test 1" \
    "$(jq -r '"\(.domain) \(.version)"' "$T/done.sh.stdin")"

# An open descriptor of ours (fd 7 here, not close-on-exec) must not
# reach the hook.
exec 7>"$T/inherited"
check "apply through the hook" run app apply x.test \
    --observed ns1.a.test,ns2.a.test --rem ns1.a.test --rem ns2.a.test \
    --add ns1.x.test=192.0.2.1,2001:db8::1 --add ns2.b.test \
    --ds-add "2 13 2 ef01" --target provider-b --trid CL-9 \
    -- "$T/done.sh" first "second arg"
exec 7>&-
check_eq "apply: done" done "$(get app .result)"
check_eq "a descriptor we hold open does not reach the hook" closed \
    "$(cat "$T/done.sh.fd7")"
check_eq "server transaction id from the reply" SRV-1 \
    "$(get app .server_trid)"
check_eq "client transaction id passed on" CL-9 \
    "$(jq -r .client_trid "$T/done.sh.stdin")"
check_eq "request: observed, add with addresses, rem, target, DS" \
    "ns1.a.test,ns2.a.test|ns1.x.test=192.0.2.1,2001:db8::1;ns2.b.test=|$(
    )ns1.a.test,ns2.a.test|provider-b|2 13 2 EF01|true" \
    "$(jq -r '[(.observed|join(",")),
        ([.add[]|"\(.name)=\(.addresses|join(","))"]|join(";")),
        (.rem|join(",")), .target, .ds_add[0], .ds_change]|join("|")' \
        "$T/done.sh.stdin")"
check_eq "argv passed as given, no shell" "first|second arg" \
    "$(paste -sd'|' "$T/done.sh.argv")"
check_eq "secret field in the environment as NSF_SECRET_PASSWORD" \
    "$(printf %s "$SECRET" | sha256sum)" "$(cat "$T/done.sh.pw")"
check_eq "field names upper-cased: NSF_SECRET_API_TOKEN" \
    "$(printf %s "$TOKEN" | sha256sum)" "$(cat "$T/done.sh.tok")"
check_eq "only the credential's fields are passed" 2 \
    "$(cat "$T/done.sh.nvars")"
check_no_grep "no secret on the hook's command line" "$SECRET|$TOKEN" \
    "$T/done.sh.cmdline"
NSF_SECRET_STALE=leak run stale observe x.test -- "$T/done.sh"
check_eq "NSF_SECRET_ variables of our own environment are not passed" 2 \
    "$(cat "$T/done.sh.nvars")"

hook refused.sh <<'HOOK'
cat >/dev/null
echo '{"result":"refused",'\
'"message":"domain is locked (clientUpdateProhibited)"}'
HOOK
run refused apply x.test --observed a.test --add b.test -- "$T/refused.sh"
check_eq "refused reply: refused" refused "$(get refused .result)"
check_grep "... with the hook's message" "domain is locked" \
    "$T/refused.json"

hook pending.sh <<'HOOK'
cat >/dev/null
echo '{"result":"pending","transaction_id":"Q-77"}'
HOOK
run pending apply x.test --observed a.test --add b.test -- "$T/pending.sh"
check_eq "pending reply: pending" pending "$(get pending .result)"
check_eq "... with its transaction id" Q-77 "$(get pending .server_trid)"

hook config.sh <<'HOOK'
cat >/dev/null
echo '{"result":"failed","config_problem":true,'\
'"message":"API token rejected"}'
exit 1
HOOK
run config apply x.test --observed a.test --add b.test -- "$T/config.sh"
check_eq "failed with config_problem: failed" failed "$(get config .result)"
check_eq "... reported as our configuration" true \
    "$(get config .config_problem)"

hook badjson.sh 'cat >/dev/null; echo "this is not json {"'
run badjson apply x.test --observed a.test --add b.test -- "$T/badjson.sh"
check_eq "bad JSON: unknown (it may have acted)" unknown \
    "$(get badjson .result)"
check_grep "... saying the reply is not JSON, where" \
    "not JSON \(line 1, column" "$T/badjson.json"

hook exit3.sh <<'HOOK'
cat >/dev/null
echo "API error 500: backend down" >&2
echo "password was $NSF_SECRET_PASSWORD" >&2
exit 3
HOOK
run exit3 apply x.test --observed a.test --add b.test -- "$T/exit3.sh"
check_eq "non-zero exit without reply: unknown" unknown "$(get exit3 .result)"
check_eq "... the exit status is the code" 3 "$(get exit3 .code)"
check_grep "... stderr's first lines are in the message" \
    "exited 3 .*stderr: API error 500: backend down" "$T/exit3.json"
check_grep "... with a secret the hook printed scrubbed" \
    "password was \[secret\]" "$T/exit3.json"
run exit3obs observe x.test -- "$T/exit3.sh"
check_grep "observe fails on a non-zero exit, with stderr" \
    "exited 3 without a usable reply.*API error 500" "$T/exit3obs.log"

hook liar.sh 'cat >/dev/null; echo "{\"result\":\"done\"}"; exit 1'
run liar apply x.test --observed a.test --add b.test -- "$T/liar.sh"
check_eq "done with a failing exit: unknown" unknown "$(get liar .result)"

hook huge.sh 'cat >/dev/null; head -c 5000000 /dev/zero | tr "\0" x'
run huge apply x.test --observed a.test --add b.test -- "$T/huge.sh"
check_eq "stdout past the limit: unknown" unknown "$(get huge .result)"
check_grep "... saying it wrote too much" "more than 1048576 bytes" \
    "$T/huge.json"

hook bigerr.sh <<'HOOK'
cat >/dev/null
head -c 3000000 /dev/zero | tr "\0" e >&2
echo '{"result":"done"}'
HOOK
run bigerr apply x.test --observed a.test --add b.test -- "$T/bigerr.sh"
check_eq "megabytes on stderr are drained, not fatal: done" done \
    "$(get bigerr .result)"
check "... and the outcome stays small" test "$(wc -c <"$T/bigerr.json")" \
    -lt 4096

# A hook that leaves a child holding its stdout open: the reply counts
# once the hook exits, and the child goes with the process group.
hook daemon.sh <<'HOOK'
cat >/dev/null
sleep 300 &
echo $! >"$0.child"
echo '{"result":"done"}'
HOOK
start=$(date +%s)
run daemon apply x.test --observed a.test --add b.test -- "$T/daemon.sh"
took=$(( $(date +%s) - start ))
check_eq "a child holding stdout open does not hold us: done" done \
    "$(get daemon .result)"
check "... well before the 10 s timeout (${took}s)" test "$took" -lt 8
if wait_for 5 sh -c "! kill -0 $(cat "$T/daemon.sh.child")"; then
	ok "... and the left-behind child was killed with the group"
else
	not_ok "the hook's child $(cat "$T/daemon.sh.child") still runs"
	kill -KILL "$(cat "$T/daemon.sh.child")" 2>/dev/null
fi

hook obsbad.sh <<'HOOK'
cat >/dev/null
echo '{"result":"done","nameservers":["ns1.b.test; rm -rf /"]}'
HOOK
if run obsbad observe x.test -- "$T/obsbad.sh"; then
	not_ok "observe refuses a nameserver that is not a host name"
else
	check_grep "observe refuses a nameserver that is not a host name" \
	    "nameserver 'ns1.b.test; rm -rf /' is not a host name" \
	    "$T/obsbad.log"
fi

# A hook that never reads stdin while we send it a large request.
adds=()
for i in $(seq 3000); do
	adds+=(--add "ns$i.many.test")
done
hook noread.sh 'echo "{\"result\":\"refused\",\"message\":\"not reading\"}"'
run noread apply x.test --observed a.test "${adds[@]}" -- "$T/noread.sh"
check_eq "a hook that does not read stdin does not kill us" refused \
    "$(get noread .result)"

run missing apply x.test --observed a.test --add b.test \
    -- "$T/no-such-hook"
check_eq "a hook that cannot run: failed (nothing happened)" failed \
    "$(get missing .result)"
check_grep "... naming the program" "could not run '$T/no-such-hook'" \
    "$T/missing.json"

grep -rlF --exclude='secrets.yaml' -e "$SECRET" -e "$TOKEN" "$T" \
    >"$T/leaks.txt" 2>/dev/null
check_eq "no log or output holds a secret" "" "$(cat "$T/leaks.txt")"
