#!/usr/bin/env bash
# dnsupdate_observe: the DNS UPDATE driver reads a delegation (NS set, TTL,
# glue, DS) from a real Knot DNS parent primary, and refuses names it must
# not judge (outside the zone, below another cut).
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"
source "$NSF_ROOT/tests/lib/dnsupdate.sh"

ADDR=127.0.30.1
SECRET=$(du_secret)
du_zone "$T/lab.zone"
nsf_start_knot parent "$ADDR" --tsig "nsf-key:hmac-sha256:$SECRET" \
    "$DU_ZONE=$T/lab.zone" || { not_ok "knot starts"; exit 1; }
du_secrets "$T/secrets.yaml" parent nsf-key hmac-sha256 "$SECRET"
S=$ADDR:$NSF_DNS_PORT

check "observe child.lab.test" du_cli child "$S" "$T/secrets.yaml" \
    observe child.lab.test
check_eq "NS set is provider A's, sorted" \
    "ns1.provider-a.test ns2.provider-a.test" \
    "$(du_get child '.nameservers | join(" ")')"
check_eq "NS TTL is the parent's" 300 "$(du_get child .ns_ttl)"
check_eq "DS is read from the parent" "$DU_DS" "$(du_get child '.ds[0]')"
check_eq "no glue for names outside the parent" 0 \
    "$(du_get child '.glue | length')"
check_eq "no statuses in a parent zone" 0 \
    "$(du_get child '.statuses | length')"

check "observe glued.lab.test" du_cli glued "$S" "$T/secrets.yaml" \
    observe glued.lab.test
check_eq "in-bailiwick glue is read from the referral" \
    "ns1.glued.lab.test 127.0.30.21" "$(du_get glued '.glue | join(",")')"
check_eq "DS set empty when the parent has none" 0 \
    "$(du_get glued '.ds | length')"

check "observe a name without delegation" du_cli none "$S" \
    "$T/secrets.yaml" observe nothing.lab.test
check_eq "no delegation is an empty set" 0 \
    "$(du_get none '.nameservers | length')"

if du_cli deep "$S" "$T/secrets.yaml" observe deep.sub.lab.test; then
	not_ok "a name below another cut is refused"
else
	check_grep "a name below another cut is refused, naming the cut" \
	    "below the delegation of sub.lab.test" "$T/deep.log"
fi
if du_cli outside "$S" "$T/secrets.yaml" observe example.org; then
	not_ok "a name outside the zone is refused"
else
	check_grep "a name outside the zone is refused" \
	    "not a child of zone lab.test" "$T/outside.log"
fi

# Observing needs no working key: a wrong secret still reads.
du_secrets "$T/secrets-wrong.yaml" parent nsf-key hmac-sha256 "$(du_secret)"
check "observe works with any key (reads are not signed)" du_cli wrong \
    "$S" "$T/secrets-wrong.yaml" observe child.lab.test
du_check_no_secret "$SECRET"
