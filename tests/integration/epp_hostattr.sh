#!/usr/bin/env bash
# epp_hostattr: a registry that offers no host objects (host-1.0 absent
# from its greeting) and no secDNS: the driver uses host attributes with
# glue only for names inside the domain, announces only what was offered,
# and refuses a DS change it cannot make.  Addresses: 127.0.20.20
# (registry), 127.0.20.54 (parent zone).
. "$(dirname "$0")/../lib/common.sh"
. "$NSF_ROOT/tests/lib/dns.sh"
. "$NSF_ROOT/tests/lib/epp.sh"
need_shared

REG=127.0.20.20
KNOT=127.0.20.54
EPP_ADDR=$REG:7700

epp_pki "$REG"
epp_secrets "$T/secrets.yaml"
secret=$(openssl rand -base64 32)
echo "nsfo-parent:hmac-sha256:$secret" >"$T/tsig"
nsf_zone_file "$T/test.zone" test 1 ns.test
echo "ns IN A $KNOT" >>"$T/test.zone"
nsf_start_knot parent "$KNOT" --tsig "nsfo-parent:hmac-sha256:$secret" \
    test="$T/test.zone" || { not_ok "knot parent zone starts"; exit 1; }
cat >"$T/registry.json" <<JSON
{
  "tlds": ["test"], "host_model": "attributes", "secdns": false,
  "min_ns": 2, "max_ns": 13,
  "registrars": {"nsfo-test": "$EPP_PW"},
  "domains": {
    "example.test": {"sponsor": "nsfo-test",
      "ns": ["ns1.example.test", "ns1.provider-a.test"],
      "glue": {"ns1.example.test": ["192.0.2.53"]}}
  }
}
JSON
epp_start_registry reg "$EPP_ADDR" "$T/registry.json" "$KNOT" "$T/tsig" ||
    { not_ok "registry starts"; exit 1; }

referral() { # ZONE TYPE: records of TYPE in the parent's referral
	kdig @"$KNOT" -p "$NSF_DNS_PORT" +time=2 +retry=1 +norec +noall \
	    +authority +additional "$1" NS |
	    awk -v t="$2" '$4 == t {print $1, $5}' | sort | tr '\n' ' ' |
	    sed 's/ $//'
}

epp_run observe observe example.test
check_eq "observe: hostAttr nameservers" "ns1.example.test ns1.provider-a.test" \
    "$(jget "$T/observe.json" 'd["ns"]')"
check_eq "observe: the glue hostAttr carries" "ns1.example.test 192.0.2.53" \
    "$(jget "$T/observe.json" 'd["glue"]')"
login=$(ls "$T"/frames/observe/*login.xml)
check_no_grep "login announces no host-1.0 (not offered)" 'host-1.0' "$login"
check_no_grep "login announces no secDNS (not offered)" 'secDNS' "$login"
check_eq "parent zone shows the initial glue" \
    "ns1.example.test. 192.0.2.53" "$(referral example.test A)"

epp_run swap apply example.test \
    --add ns2.example.test=198.51.100.53,2001:db8:1::53 \
    --add ns1.xexample.test=198.51.100.9 --rem ns1.provider-a.test
check_eq "hostAttr update done" "done 1000" \
    "$(jget "$T/swap.json" 'd["result"] + " " + str(d["code"])')"
upd=$(ls "$T"/frames/swap/*domain-update.xml)
check "no host:check or host:create with host attributes" sh -c \
    "! ls $T/frames/swap | grep -q host-"
check_grep "glue for the name inside the domain" \
    '<domain:hostName>ns2.example.test</domain:hostName><domain:hostAddr ip="v4">198.51.100.53</domain:hostAddr><domain:hostAddr ip="v6">2001:db8:1::53' \
    "$upd"
check_grep "no glue for ns1.xexample.test (not inside, by whole labels)" \
    '<domain:hostName>ns1.xexample.test</domain:hostName></domain:hostAttr>' \
    "$upd"
check_eq "parent zone delegates to the new set" \
    "example.test. ns1.example.test. example.test. ns1.xexample.test. example.test. ns2.example.test." \
    "$(referral example.test NS)"
check_eq "parent zone serves the new glue" \
    "ns1.example.test. 192.0.2.53 ns2.example.test. 198.51.100.53" \
    "$(referral example.test A)"

epp_run noglue apply example.test --add ns3.example.test
check_grep "a name inside the domain without addresses: refused, not sent" \
    '"result":"refused".*ns3.example.test lies inside example.test' "$T/noglue.json"

epp_run ds apply example.test --ds-add "54321 13 2 6D45EFC6858D589821AB9565D22F58E4D4E55A14A84F7F7847B174508B2F7C51"
check_grep "a DS change without secDNS offered: refused as our configuration" \
    '"result":"refused".*"config_problem":true.*secDNS-1.1' "$T/ds.json"
check_eq "only one domain:update ever reached the registry" 1 \
    "$(grep -c 'command=domain:update' "$T/reg.frames")"

epp_run forced --host-model objects observe example.test
check_grep "host_model objects on a registry without host-1.0: clear error" \
    'host_model is objects but the registry does not offer' "$T/forced.json"

check_no_grep "the registry never answered 2001 to our client" \
    'result=2001' "$T/reg.frames"
bad=0
for f in $(find "$T/frames" -name '*.xml'); do
	xmllint --noout --schema "$NSF_SHARED/epp/xsd/epp-all.xsd" "$f" \
	    >/dev/null 2>&1 || bad=$((bad + 1))
done
check_eq "xmllint: every saved client frame validates" 0 "$bad"

cat "$T"/*.clientlog >"$T/all.clientlog"
check_no_grep "no sanitizer report from the client" \
    'LeakSanitizer|AddressSanitizer|runtime error' "$T/all.clientlog"
