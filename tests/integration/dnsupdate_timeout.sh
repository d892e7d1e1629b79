#!/usr/bin/env bash
# dnsupdate_timeout: a primary that never answers, or that never answers
# the update, is given up on within the registry timeout; an update whose
# answer never came is reported as unknown, never as failed or done.
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"
source "$NSF_ROOT/tests/lib/dnsupdate.sh"

SECRET=$(du_secret)
du_secrets "$T/secrets.yaml" parent nsf-key hmac-sha256 "$SECRET"
du_start_fake silent 127.0.30.8 "$SECRET" ||
    { not_ok "silent socket starts"; exit 1; }
du_start_fake noupdate 127.0.30.7 "$SECRET" ||
    { not_ok "fake primary starts"; exit 1; }
export DU_TIMEOUT=2s

start=$(date +%s)
if du_cli obs "127.0.30.8:$NSF_DNS_PORT" "$T/secrets.yaml" \
    observe child.lab.test; then
	not_ok "observe against a silent primary fails"
else
	ok "observe against a silent primary fails"
fi
took=$(( $(date +%s) - start ))
check_grep "... saying it timed out" "did not answer within the registry" \
    "$T/obs.log"
# A bound, not a timing measurement: 2 s timeout, generous slack.
check "observe gave up within the timeout's bound (${took}s)" \
    test "$took" -le 20

du_cli pre "127.0.30.8:$NSF_DNS_PORT" "$T/secrets.yaml" \
    apply child.lab.test --observed ns1.provider-a.test,ns2.provider-a.test \
    --rem ns1.provider-a.test --add ns1.provider-b.test
check_eq "apply that could not read first: failed (nothing sent)" failed \
    "$(du_get pre .result)"
check_grep "... saying nothing was sent" "nothing was sent" "$T/pre.json"

start=$(date +%s)
du_cli upd "127.0.30.7:$NSF_DNS_PORT" "$T/secrets.yaml" \
    apply child.lab.test --rem ns1.provider-a.test --add ns1.provider-b.test
took=$(( $(date +%s) - start ))
check_grep "the fake primary received the update" "update received" \
    "$T/fake-noupdate.log"
check_eq "an update without answer: unknown" unknown \
    "$(du_get upd .result)"
check_grep "... telling to observe before any retry" \
    "observe before any retry" "$T/upd.json"
check "apply gave up within the timeout's bound (${took}s)" \
    test "$took" -le 20
du_check_no_secret "$SECRET"
