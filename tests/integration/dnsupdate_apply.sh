#!/usr/bin/env bash
# dnsupdate_apply: TSIG-signed UPDATEs against a real Knot DNS parent move a
# delegation from provider A to B with glue, put glue only where the parent
# must hold it, change DS, and refuse changes that cannot be right before
# anything is sent.
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"
source "$NSF_ROOT/tests/lib/dnsupdate.sh"

ADDR=127.0.30.2
SECRET=$(du_secret)
du_zone "$T/lab.zone"
nsf_start_knot parent "$ADDR" --tsig "nsf-key:hmac-sha256:$SECRET" \
    "$DU_ZONE=$T/lab.zone" || { not_ok "knot starts"; exit 1; }
du_secrets "$T/secrets.yaml" parent nsf-key hmac-sha256 "$SECRET"
S=$ADDR:$NSF_DNS_PORT
A="ns1.provider-a.test ns2.provider-a.test"

serial() {
	nsf_dig "$ADDR" "$DU_ZONE" SOA | awk '{ print $3 }'
}

# 1. provider A -> provider B, one name inside the child (needs glue).
check "apply: A -> B with in-bailiwick glue" du_cli move "$S" \
    "$T/secrets.yaml" apply child.lab.test \
    --observed ns1.provider-a.test,ns2.provider-a.test \
    --rem ns1.provider-a.test --rem ns2.provider-a.test \
    --add ns1.child.lab.test=127.0.30.31,fd00::31 \
    --add ns2.provider-b.test
check_eq "outcome is done" done "$(du_get move .result)"
check_eq "the parent serves provider B's set" \
    "ns1.child.lab.test ns2.provider-b.test" "$(du_ns "$ADDR" child.lab.test)"
check_eq "glue A is in the parent" 127.0.30.31 \
    "$(du_addr "$ADDR" ns1.child.lab.test A)"
check_eq "glue AAAA is in the parent" fd00::31 \
    "$(du_addr "$ADDR" ns1.child.lab.test AAAA)"
check_grep "server transaction id is the zone serial after the change" \
    "lab.test serial $(serial)" "$T/move.json"
check_grep "the log says what was sent and with which key" \
    "sending dns update to $S with key 'nsf-key'" "$T/move.log"

# 2. back to A: the glue of the removed in-child name goes with it.
check "apply: B -> A" du_cli back "$S" "$T/secrets.yaml" \
    apply child.lab.test \
    --rem ns1.child.lab.test --rem ns2.provider-b.test \
    --add ns1.provider-a.test --add ns2.provider-a.test
check_eq "outcome is done" done "$(du_get back .result)"
check_eq "the parent serves provider A's set again" "$A" \
    "$(du_ns "$ADDR" child.lab.test)"
kdig @$ADDR +norec ns1.child.lab.test A >"$T/oldglue.out"
check_no_grep "the removed name's glue is deleted" "127\.0\.30\.31" \
    "$T/oldglue.out"

# 3. names inside the parent zone but outside the child.
before=$(serial)
if du_cli noaddr "$S" "$T/secrets.yaml" apply child.lab.test \
    --add ns-none.lab.test; then
	check_eq "parent-zone name with no address anywhere is refused" \
	    refused "$(du_get noaddr .result)"
else
	not_ok "apply without address ran"
fi
check_eq "nothing was sent for it (serial unchanged)" "$before" "$(serial)"
check "apply: parent-zone names, one new and one known" du_cli inparent \
    "$S" "$T/secrets.yaml" apply child.lab.test \
    --rem ns2.provider-a.test --add ns-new.lab.test=127.0.30.60 \
    --add shared-ns.lab.test=127.0.30.99
check_eq "outcome is done" done "$(du_get inparent .result)"
check_eq "the new parent-zone name got its address" 127.0.30.60 \
    "$(nsf_dig "$ADDR" ns-new.lab.test A)"
check_eq "a name the parent already has an address for is left alone" \
    127.0.30.50 "$(nsf_dig "$ADDR" shared-ns.lab.test A)"

# 4. refusals before anything is sent.
before=$(serial)
du_cli empty "$S" "$T/secrets.yaml" apply glued.lab.test \
    --rem ns1.glued.lab.test --rem ns2.provider-a.test
check_eq "a change to an empty set is refused" refused \
    "$(du_get empty .result)"
check_grep "... saying why" "without nameservers" "$T/empty.json"
du_cli noglue "$S" "$T/secrets.yaml" apply glued.lab.test \
    --add ns2.glued.lab.test
check_eq "an in-child name without glue address is refused" refused \
    "$(du_get noglue .result)"
du_cli badaddr "$S" "$T/secrets.yaml" apply glued.lab.test \
    --add ns3.glued.lab.test=300.1.2.3
check_grep "a glue address that is not an IP is refused, named" \
    "'300.1.2.3' of ns3.glued.lab.test is not an IP" "$T/badaddr.json"
many=()
for i in $(seq 1200); do
	many+=(--add "$(printf 'ns%058d' "$i").big.test")
done
du_cli toobig "$S" "$T/secrets.yaml" apply glued.lab.test "${many[@]}"
check_eq "an update larger than one DNS message is refused" refused \
    "$(du_get toobig .result)"
check_grep "... saying so" "more than one DNS message holds" \
    "$T/toobig.json"
check_eq "nothing was sent for them (serial unchanged)" "$before" \
    "$(serial)"
check_eq "glued.lab.test is untouched" \
    "ns1.glued.lab.test ns2.provider-a.test" "$(du_ns "$ADDR" glued.lab.test)"

# 5. DS rollover in the same transaction as an NS change.
NEWDS="54321 13 2 00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
check "apply: NS and DS change together" du_cli ds "$S" "$T/secrets.yaml" \
    apply child.lab.test --rem ns-new.lab.test --add ns9.provider-b.test \
    --ds-rem "$DU_DS" --ds-add "$NEWDS"
check_eq "outcome is done" done "$(du_get ds .result)"
du_cli dsread "$S" "$T/secrets.yaml" observe child.lab.test
check_eq "the parent serves only the new DS" "$NEWDS" \
    "$(du_get dsread '.ds | join(",")')"
check_eq "and the new NS set" \
    "ns1.provider-a.test ns9.provider-b.test shared-ns.lab.test" \
    "$(du_get dsread '.nameservers | join(" ")')"
du_check_no_secret "$SECRET"
