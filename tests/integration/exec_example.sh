#!/usr/bin/env bash
# exec_example: the example hook of docs/registries.md
# (examples/exec-hook/toy-registrar) speaks the protocol the exec driver
# expects: observe, apply, a conflict on a stale observation, a refusal
# for a locked domain, and a missing credential reported as ours.
source "$(dirname "$0")/../lib/common.sh"

CLI=$NSF_ROOT/build/t/tools/registry_cli
HOOK=$NSF_ROOT/examples/exec-hook/toy-registrar
TOKEN="tok-$(head -c 12 /dev/urandom | base64 | tr -d '/+=')"
(umask 077; printf 'custom:\n  api_token: "%s"\n' "$TOKEN" \
    >"$T/secrets.yaml"; printf 'other:\n  password: "x"\n' \
    >"$T/secrets-notoken.yaml")
cat >"$T/state.json" <<'JSON'
{"example.org": {"nameservers": ["ns1.a.example", "ns2.a.example"]},
 "locked.example": {"nameservers": ["ns1.a.example", "ns2.a.example"],
                    "statuses": ["clientUpdateProhibited"]}}
JSON

# run NAME [SECRETS CREDENTIAL] -- registry_cli arguments
run() {
	local name=$1 secrets=$T/secrets.yaml cred=custom
	shift
	if [ "$1" != -- ]; then
		secrets=$1 cred=$2
		shift 2
	fi
	shift
	"$CLI" --type exec --name custom --credentials "$cred" \
	    --secrets "$secrets" --timeout 10s "$@" >"$T/$name.json" \
	    2>"$T/$name.log"
}

get() {
	jq -r "($2) | values" "$T/$1.json" 2>/dev/null
}

check "observe" run obs -- observe example.org -- "$HOOK" \
    --state "$T/state.json"
check_eq "observe: the stored set" "ns1.a.example ns2.a.example" \
    "$(get obs '.nameservers | join(" ")')"

run app -- apply example.org --observed ns1.a.example,ns2.a.example \
    --rem ns1.a.example --rem ns2.a.example --add ns1.b.example \
    --add ns2.b.example --target provider-b -- "$HOOK" \
    --state "$T/state.json"
check_eq "apply: done" done "$(get app .result)"
check_grep "apply: a transaction id from the hook" '"server_trid": *"TOY-' \
    "$T/app.json"
check_eq "apply: the state file holds the new set" \
    "ns1.b.example ns2.b.example" \
    "$(jq -r '."example.org".nameservers | join(" ")' "$T/state.json")"

run stale -- apply example.org --observed ns1.a.example,ns2.a.example \
    --rem ns1.b.example --add ns1.c.example -- "$HOOK" \
    --state "$T/state.json"
check_eq "a stale observation: conflict" conflict "$(get stale .result)"
check_eq "... and nothing changed" "ns1.b.example ns2.b.example" \
    "$(jq -r '."example.org".nameservers | join(" ")' "$T/state.json")"

run locked -- apply locked.example \
    --observed ns1.a.example,ns2.a.example --add ns1.b.example -- \
    "$HOOK" --state "$T/state.json"
check_eq "a locked domain: refused" refused "$(get locked .result)"
check_grep "... naming the status" clientUpdateProhibited "$T/locked.json"

run notoken "$T/secrets-notoken.yaml" other -- apply example.org \
    --observed ns1.b.example,ns2.b.example --add ns3.b.example -- \
    "$HOOK" --state "$T/state.json"
check_eq "no token in the credential: failed" failed \
    "$(get notoken .result)"
check_eq "... as our configuration problem" true \
    "$(get notoken .config_problem)"

grep -rlF --exclude='secrets.yaml' -e "$TOKEN" "$T" >"$T/leaks.txt"
check_eq "the token is in no output or log" "" "$(cat "$T/leaks.txt")"
