# probe_guards.sh - what the prober refuses to believe, and when health
# refuses to move: forged answers (from another port, with another id, to
# another question) are dropped and counted while the true answer is kept;
# when the canaries fail, health freezes instead of turning providers
# down.  Addresses 127.0.10.30-34.
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"
source "$NSF_ROOT/tests/lib/probe.sh"

GOOD=127.0.10.30 HOSTILE=127.0.10.31 CANARY=127.0.10.32
NOCANARY=127.0.10.33 DEAD=127.0.10.34
NS="ns1.good.test ns1.hostile.test"

nsf_zone_file "$T/example.test" example.test 42 $NS
nsf_start_nsd nsd-good "$GOOD" example.test="$T/example.test" || exit 1
probe_still_running nsd-good "$NSD_PID_nsd_good" || exit 1
probe_answerer hostile "$HOSTILE" hostile example.test 42 $NS || exit 1
probe_answerer canary "$CANARY" ok canary.test 1 ns1.canary.test || exit 1

# policy FILE CANARY-TARGETS MIN_OK: good and hostile serve example.test;
# dead.test has a provider that is not there at all.
policy() {
	probe_policy_head "$1"
	cat >>"$1" <<YAML
providers:
  good:    { nameservers: [ { name: ns1.good.test, addresses: [ $GOOD ] } ] }
  hostile:
    nameservers: [ { name: ns1.hostile.test, addresses: [ $HOSTILE ] } ]
  dead:    { nameservers: [ { name: ns1.dead.test, addresses: [ $DEAD ] } ] }
defaults:
  health: { timeout: 1s, retries: 1, fail_after: 2, recover_after: 2 }
domains:
  example.test: { registry: main, primary: good, backups: [ hostile ] }
  dead.test:
    registry: main
    primary: dead
    backups: [ good ]
    readiness: { mode: none }
YAML
	if [ -n "$2" ]; then
		printf 'canaries:\n  min_ok: %s\n  targets:\n' "$3" >>"$1"
		for a in $2; do
			printf '    - { address: %s }\n' "$a" >>"$1"
		done
	fi
}

# --- forged answers ------------------------------------------------------
policy "$T/p.yaml" "$CANARY" 1
"$NSF" probe --policy "$T/p.yaml" --format json example.test \
    >"$T/h.json" 2>"$T/err"
check_eq "a round against the hostile server exits 0" 0 $?
check_eq "the true serial is kept, not the forged 666" "ok 42" \
    "$(addr_field "$T/h.json" example.test $HOSTILE '"\(.result) \(.serial)"')"
check_eq "in one try: forgeries do not end the wait" 1 \
    "$(addr_field "$T/h.json" example.test $HOSTILE .tries)"
check "an answer from the wrong port was dropped and counted" \
    jq -e '.stats.dropped.wrong_source >= 3' "$T/h.json"
check "one with the wrong id too" \
    jq -e '.stats.dropped.unknown_id >= 3' "$T/h.json"
check "and one to another question" \
    jq -e '.stats.dropped.wrong_question >= 3' "$T/h.json"
check_eq "the hostile server's NS set is read from the true answer" ok \
    "$(addr_field "$T/h.json" example.test $HOSTILE .ns.result)"
check_eq "so the provider is healthy" true \
    "$(prov_field "$T/h.json" example.test hostile .healthy)"
check_eq "the canary answered" "false ok" \
    "$(jq -r '"\(.canaries.frozen) \(.canaries.targets[0].result)"' \
        "$T/h.json")"

# --- canaries up: health moves -------------------------------------------
"$NSF" probe --policy "$T/p.yaml" --format json --rounds 2 dead.test \
    example.test >"$T/up.json" 2>"$T/up.err"
check_eq "with canaries answering, a dead provider goes down" down \
    "$(prov_field "$T/up.json" dead.test dead .state)"
check_eq "and a healthy one up (fail_after: 2 rounds)" up \
    "$(prov_field "$T/up.json" example.test good .state)"
check_grep "the change is logged for the operator" \
    "provider dead is down" "$T/up.err"

# --- canaries down: health freezes ---------------------------------------
policy "$T/frozen.yaml" "$NOCANARY" 1
"$NSF" probe --policy "$T/frozen.yaml" --format json --rounds 2 dead.test \
    example.test >"$T/fr.json" 2>"$T/fr.err"
check_eq "a frozen round exits 1" 1 $?
check_eq "the canaries are reported down and health frozen" \
    "true unreachable" \
    "$(jq -r '"\(.canaries.frozen) \(.canaries.targets[0].result)"' \
        "$T/fr.json")"
check_eq "the dead provider is not turned down" unknown \
    "$(prov_field "$T/fr.json" dead.test dead .state)"
check_eq "nor the healthy one up: no machine moves" unknown \
    "$(prov_field "$T/fr.json" example.test good .state)"
check_eq "the round's own verdict is still shown" false \
    "$(prov_field "$T/fr.json" dead.test dead .healthy)"
check_grep "the freeze is logged, saying why" \
    "our own network looks broken: 0/1 canaries answered" "$T/fr.err"
check_no_grep "and no provider change is logged" "provider .* is (down|up)" \
    "$T/fr.err"

"$NSF" probe --policy "$T/frozen.yaml" dead.test >"$T/fr.txt" 2>/dev/null
check_grep "text: the footer says health is frozen and why" \
    "canaries: FROZEN: our own network looks broken: 0/1 canaries \
answered \(need 1\): $NOCANARY unreachable" "$T/fr.txt"

# min_ok counts: one of two answering is enough for 1, not for 2.
policy "$T/min1.yaml" "$CANARY $NOCANARY" 1
"$NSF" probe --policy "$T/min1.yaml" --format json example.test \
    >"$T/m1.json" 2>/dev/null
check_eq "min_ok 1 with one of two canaries: not frozen" false \
    "$(jq -r .canaries.frozen "$T/m1.json")"
policy "$T/min2.yaml" "$CANARY $NOCANARY" 2
"$NSF" probe --policy "$T/min2.yaml" --format json example.test \
    >"$T/m2.json" 2>/dev/null
check_eq "min_ok 2 with one of two canaries: frozen" true \
    "$(jq -r .canaries.frozen "$T/m2.json")"
check_eq "the summary counts them" "1/2 canaries answered (need 2): \
$NOCANARY unreachable" "$(jq -r .canaries.summary "$T/m2.json")"
