#!/usr/bin/env bash
# dnsupdate_readback: a primary that answers NOERROR but keeps the old data
# (the NS set, or only the glue) is caught by reading the delegation back;
# an unsigned NOERROR is not trusted.
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"
source "$NSF_ROOT/tests/lib/dnsupdate.sh"

SECRET=$(du_secret)
du_secrets "$T/secrets.yaml" parent nsf-key hmac-sha256 "$SECRET"
du_start_fake ignore 127.0.30.5 "$SECRET" ||
    { not_ok "fake primary starts"; exit 1; }
du_start_fake unsigned 127.0.30.6 "$SECRET" ||
    { not_ok "fake primary starts"; exit 1; }

du_cli ignored "127.0.30.5:$NSF_DNS_PORT" "$T/secrets.yaml" \
    apply child.lab.test --rem ns1.provider-a.test --rem ns2.provider-a.test \
    --add ns1.provider-b.test --add ns2.provider-b.test
check_grep "the fake primary received the signed update" \
    "update received" "$T/fake-ignore.log"
check_eq "NOERROR with the old data still served: failed" failed \
    "$(du_get ignored .result)"
check_grep "the message says the old set is still served" \
    "still serves the old nameservers \(ns1.provider-a.test, $(
    )ns2.provider-a.test\)" \
    "$T/ignored.json"
check_eq "not reported as our configuration" false \
    "$(du_get ignored .config_problem)"

# A primary that takes the NS records but drops the glue addresses.
du_start_fake nsonly 127.0.30.9 "$SECRET" ||
    { not_ok "fake primary starts"; exit 1; }
du_cli noglue "127.0.30.9:$NSF_DNS_PORT" "$T/secrets.yaml" \
    apply child.lab.test --rem ns1.provider-a.test \
    --add ns1.child.lab.test=127.0.30.31
check_eq "new NS set but no glue: failed" failed \
    "$(du_get noglue .result)"
check_grep "the message names the name whose glue is missing" \
    "but not the glue addresses the policy gives for ns1.child.lab.test" \
    "$T/noglue.json"

du_cli unsigned "127.0.30.6:$NSF_DNS_PORT" "$T/secrets.yaml" \
    apply child.lab.test --rem ns1.provider-a.test \
    --add ns1.provider-b.test
check_eq "an unsigned NOERROR is not trusted: unknown" unknown \
    "$(du_get unsigned .result)"
check_grep "the message says the answer is not signed" \
    "cannot be trusted: the answer is not signed" "$T/unsigned.json"
du_check_no_secret "$SECRET"
