#!/usr/bin/env bash
# dnsupdate_conflict: a manual change made at the parent between observe
# and apply makes the update's prerequisite fail: the driver reports a
# conflict and the manual change stays; observing again lets it proceed.
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"
source "$NSF_ROOT/tests/lib/dnsupdate.sh"

ADDR=127.0.30.4
S=$ADDR:$NSF_DNS_PORT
SECRET=$(du_secret)
du_zone "$T/lab.zone"
nsf_start_knot parent "$ADDR" --tsig "nsf-key:hmac-sha256:$SECRET" \
    "$DU_ZONE=$T/lab.zone" || { not_ok "knot starts"; exit 1; }
du_secrets "$T/secrets.yaml" parent nsf-key hmac-sha256 "$SECRET"
(umask 077; echo "hmac-sha256:nsf-key:$SECRET" >"$T/manual.key")

check "observe" du_cli seen "$S" "$T/secrets.yaml" observe child.lab.test
observed=$(du_get seen '.nameservers | join(",")')
check_eq "observed provider A" "ns1.provider-a.test,ns2.provider-a.test" \
    "$observed"

# Someone edits the delegation by hand (explicit server: no resolver).
cat >"$T/manual.txt" <<UPD
server $ADDR $NSF_DNS_PORT
zone $DU_ZONE.
update delete child.lab.test. NS ns2.provider-a.test.
update add child.lab.test. 300 NS ns9.manual.test.
send
UPD
check "manual change with knsupdate" knsupdate -k "$T/manual.key" \
    "$T/manual.txt"
manual=$(du_ns "$ADDR" child.lab.test)
check_eq "the manual change is live" "ns1.provider-a.test ns9.manual.test" \
    "$manual"

du_cli stale "$S" "$T/secrets.yaml" apply child.lab.test \
    --observed "$observed" --rem ns1.provider-a.test \
    --rem ns2.provider-a.test --add ns1.provider-b.test \
    --add ns2.provider-b.test
check_eq "apply on the stale observation is a conflict" conflict \
    "$(du_get stale .result)"
check_grep "the message says to observe again" "observe again" \
    "$T/stale.json"
check_eq "not a configuration problem" false \
    "$(du_get stale .config_problem)"
check_eq "the manual change was not overwritten" "$manual" \
    "$(du_ns "$ADDR" child.lab.test)"

check "observe again" du_cli seen2 "$S" "$T/secrets.yaml" \
    observe child.lab.test
du_cli fresh "$S" "$T/secrets.yaml" apply child.lab.test \
    --observed "$(du_get seen2 '.nameservers | join(",")')" \
    --rem ns1.provider-a.test --rem ns9.manual.test \
    --add ns1.provider-b.test --add ns2.provider-b.test
check_eq "re-planned on the fresh observation: done" done \
    "$(du_get fresh .result)"
check_eq "the parent serves provider B" \
    "ns1.provider-b.test ns2.provider-b.test" "$(du_ns "$ADDR" child.lab.test)"

# A new delegation: the prerequisite is "no NS set exists".
du_cli new "$S" "$T/secrets.yaml" apply fresh.lab.test --observed "" \
    --add ns1.provider-b.test --add ns2.provider-b.test
check_eq "a new delegation is created" done "$(du_get new .result)"
du_cli new2 "$S" "$T/secrets.yaml" apply fresh.lab.test --observed "" \
    --add ns1.provider-c.test --add ns2.provider-c.test
check_eq "creating it again, now that it exists, is a conflict" conflict \
    "$(du_get new2 .result)"
check_eq "and leaves it as it was" "ns1.provider-b.test ns2.provider-b.test" \
    "$(du_ns "$ADDR" fresh.lab.test)"
du_check_no_secret "$SECRET"
