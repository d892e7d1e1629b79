# probe_verdicts.sh - NSD as provider A and Knot as provider B serve the
# same zones; `nsfailover probe` must see health, readiness (serial and
# records), a truncated answer fetched over TCP, a wrong NS set and a
# removed zone.  Addresses 127.0.10.1-4.
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"
source "$NSF_ROOT/tests/lib/probe.sh"

A1=127.0.10.1 A2=127.0.10.2 B1=127.0.10.3 B2=127.0.10.4
ALL_NS="ns1.a.test ns2.a.test ns1.b.test ns2.b.test"
mkdir -p "$T/za" "$T/zb"

# example.test: identical on both.  stale.test: B one serial behind.
# wrongns.test: A's copy names a nameserver no provider has.  big.test:
# a TXT RRset too large for a 1232-byte UDP answer.  gone.test: only B.
for z in za zb; do
	nsf_zone_file "$T/$z/example.test" example.test 2026120401 $ALL_NS
	nsf_zone_file "$T/$z/big.test" big.test 7 $ALL_NS
	for i in $(seq 40); do
		printf '_version IN TXT "chunk %02d %s"\n' "$i" \
		    "$(printf 'x%.0s' $(seq 90))" >>"$T/$z/big.test"
	done
done
nsf_zone_file "$T/za/stale.test" stale.test 10 $ALL_NS
nsf_zone_file "$T/zb/stale.test" stale.test 9 $ALL_NS
nsf_zone_file "$T/za/wrongns.test" wrongns.test 3 $ALL_NS ns9.old.test
nsf_zone_file "$T/zb/wrongns.test" wrongns.test 3 $ALL_NS
nsf_zone_file "$T/zb/gone.test" gone.test 5 $ALL_NS
# removed.test: served by both until the test removes it from both.
nsf_zone_file "$T/za/removed.test" removed.test 6 $ALL_NS
nsf_zone_file "$T/zb/removed.test" removed.test 6 $ALL_NS

# signed.test: each provider signs it with its own key (made here with
# ldns); the policy lists only provider A's DS, as the parent would while
# provider-a is active.
for z in za zb; do
	mkdir -p "$T/keys-$z"
	nsf_zone_file "$T/keys-$z/signed.test" signed.test 11 $ALL_NS
	key=$(cd "$T/keys-$z" && ldns-keygen -a ECDSAP256SHA256 -k \
	    signed.test) || exit 1
	(cd "$T/keys-$z" && ldns-signzone -f "$T/$z/signed.test" signed.test \
	    "$key") || exit 1
	awk '{ print $(NF-3), $(NF-2), $(NF-1), $NF }' \
	    "$T/keys-$z/$key.ds" >"$T/keys-$z/ds"
done

zones() {
	local dir=$1 f
	for f in "$dir"/*; do
		echo "$(basename "$f")=$f"
	done
}
nsf_start_nsd nsd-a "$A1,$A2" $(zones "$T/za") || exit 1
probe_still_running nsd-a "$NSD_PID_nsd_a" || exit 1
# broken.test: Knot is told to serve it from a file that is not there, so
# it has no zone to answer from (like a secondary whose zone expired).
nsf_start_knot knot-b "$B1,$B2" $(zones "$T/zb") \
    broken.test="$T/missing/broken.test" || exit 1
probe_still_running knot-b "$KNOT_PID_knot_b" || exit 1

P=$T/policy.yaml
probe_policy_head "$P"
cat >>"$P" <<YAML
providers:
  provider-a:
    nameservers:
      - { name: ns1.a.test, addresses: [ $A1 ] }
      - { name: ns2.a.test, addresses: [ $A2 ] }
  provider-b:
    nameservers:
      - { name: ns1.b.test, addresses: [ $B1 ] }
      - { name: ns2.b.test, addresses: [ $B2 ] }
defaults:
  health: { timeout: 1s, retries: 1 }
domains:
YAML
for d in example.test stale.test wrongns.test gone.test removed.test \
    broken.test; do
	printf '  %s: { registry: main, primary: provider-a, ' "$d" >>"$P"
	printf 'backups: [ provider-b ] }\n' >>"$P"
done
cat >>"$P" <<YAML
  signed.test:
    registry: main
    primary: provider-a
    backups: [ provider-b ]
    dnssec: { ds: { provider-a: [ "$(cat "$T/keys-za/ds")" ] } }
  big.test:
    registry: main
    primary: provider-a
    backups: [ provider-b ]
    readiness: { mode: records, records: [ { name: _version, type: TXT } ] }
YAML

# --- healthy -------------------------------------------------------------
"$NSF" probe --policy "$P" example.test >"$T/healthy.txt" 2>"$T/err"
check_eq "a healthy domain exits 0" 0 $?
check_grep "the table names every address" \
    "provider-b +ns2.b.test +127.0.10.4:53 +ok .* 2026120401 +healthy" \
    "$T/healthy.txt"
check_grep "provider A's verdict is healthy and ready" \
    "=> provider-a: healthy, ready, dnssec unknown: 2/2 addresses ok" \
    "$T/healthy.txt"
check_grep "provider B's verdict is healthy and ready" \
    "=> provider-b: healthy, ready" "$T/healthy.txt"

"$NSF" probe --policy "$P" --format json >"$T/all.json" 2>"$T/err"
check_eq "a round with a bad domain exits 1" 1 $?
check "the JSON output parses" jq -e .domains "$T/all.json"
check_eq "every address of example.test has the serial" \
    "2026120401 2026120401 2026120401 2026120401" \
    "$(jq -r '.domains[] | select(.domain == "example.test") |
        [.addresses[].serial] | map(tostring) | join(" ")' "$T/all.json")"
check_eq "NSD answers the NS set authoritatively" ok \
    "$(addr_field "$T/all.json" example.test $A1 .ns.result)"

# --- DNSSEC: each provider's keys against the DS set ----------------------
check_eq "both serve a DNSKEY set for the signed zone" "ok ok ok ok" \
    "$(jq -r '.domains[] | select(.domain == "signed.test") |
        [.addresses[].dnskey.result] | join(" ")' "$T/all.json")"
check_eq "provider A's key has the DS: yes; B's own key has none: no" \
    "yes no" "$(jq -r '.domains[] | select(.domain == "signed.test") |
        [.providers[].dnskey_matches_ds] | join(" ")' "$T/all.json")"
check_eq "an unsigned zone without DS: unknown" unknown \
    "$(prov_field "$T/all.json" example.test provider-a \
        .dnskey_matches_ds)"
"$NSF" probe --policy "$P" signed.test >"$T/signed.txt" 2>"$T/err"
check_grep "text: provider B's verdict says dnssec no" \
    "=> provider-b: healthy, ready, dnssec no" "$T/signed.txt"

# --- an answer that needs TCP --------------------------------------------
check_eq "the big TXT RRset comes over TCP from NSD" "ok true 40" \
    "$(addr_field "$T/all.json" big.test $A2 \
        '.records[0] | "\(.result) \(.tcp) \(.count)"')"
check_eq "and from Knot" "ok true 40" \
    "$(addr_field "$T/all.json" big.test $B1 \
        '.records[0] | "\(.result) \(.tcp) \(.count)"')"
check_eq "records readiness: the same RRset makes B ready" true \
    "$(prov_field "$T/all.json" big.test provider-b .ready)"
check "the round counted its TCP fallbacks" \
    jq -e '.stats.tcp >= 4' "$T/all.json"

# --- stale serial --------------------------------------------------------
check_eq "B one serial behind A is not ready" false \
    "$(prov_field "$T/all.json" stale.test provider-b .ready)"
check_grep "the evidence says which serials" \
    "serial 9 behind provider-a's 10" \
    <(prov_field "$T/all.json" stale.test provider-b .evidence)
check_eq "B is still healthy: readiness is a separate verdict" true \
    "$(prov_field "$T/all.json" stale.test provider-b .healthy)"
"$NSF" probe --policy "$P" --format json --active provider-b stale.test \
    >"$T/stale-b.json" 2>"$T/err"
check_eq "judged against B as the active group, A (newer) is ready" true \
    "$(prov_field "$T/stale-b.json" stale.test provider-a .ready)"

# --- wrong NS set --------------------------------------------------------
check_eq "A serving a wrong NS set is unhealthy" false \
    "$(prov_field "$T/all.json" wrongns.test provider-a .healthy)"
check_grep "and the evidence names the stranger" \
    "wrong NS set: ns9.old.test is no provider's" \
    <(prov_field "$T/all.json" wrongns.test provider-a .evidence)
check_eq "B with the right NS set is healthy" true \
    "$(prov_field "$T/all.json" wrongns.test provider-b .healthy)"

# --- the zone removed from A ---------------------------------------------
check_eq "NSD refuses a zone it does not serve" refused \
    "$(addr_field "$T/all.json" gone.test $A1 .result)"
check_eq "one try: REFUSED is an answer, not a loss" 1 \
    "$(addr_field "$T/all.json" gone.test $A1 .tries)"
check_grep "the provider verdict says refused" \
    "0/2 addresses ok: ns1.a.test 127.0.10.1 refused" \
    <(prov_field "$T/all.json" gone.test provider-a .evidence)

# --- a zone the server cannot load ----------------------------------------
check_eq "Knot without its zone data answers SERVFAIL" "servfail servfail" \
    "$(jq -r '.domains[] | select(.domain == "broken.test") |
        [.addresses[] | select(.provider == "provider-b") | .result] |
        join(" ")' "$T/all.json")"
check_grep "the verdict says so" "0/2 addresses ok: ns1.b.test 127.0.10.3 \
servfail" <(prov_field "$T/all.json" broken.test provider-b .evidence)

# --- a zone removed while served -----------------------------------------
check_eq "removed.test is served by all four addresses at first" \
    "ok ok ok ok" \
    "$(jq -r '.domains[] | select(.domain == "removed.test") |
        [.addresses[].result] | join(" ")' "$T/all.json")"
# NSD: drop the zone from its configuration and re-read it; Knot: the same.
sed -i '/^zone:$/{N;/"removed.test"/{N;d}}' "$T/nsd-a/nsd.conf"
nsd-control -c "$T/nsd-a/nsd.conf" repattern >"$T/ctl.log" 2>&1
sed -i '/domain: "removed.test"/{N;d}' "$T/knot-b/knot.conf"
knotc -s "$T/knot-b/knot.sock" reload >>"$T/ctl.log" 2>&1
wait_for 10 bash -c "kdig @$B1 +norec removed.test SOA | grep -q REFUSED"
"$NSF" probe --policy "$P" --format json removed.test >"$T/rm.json" \
    2>"$T/err"
check_eq "a removed zone exits 1" 1 $?
check_eq "then NSD and Knot both refuse it, each in one try" \
    "refused/1 refused/1 refused/1 refused/1" \
    "$(jq -r '.domains[0] | [.addresses[] | "\(.result)/\(.tries)"] |
        join(" ")' "$T/rm.json")"
check_eq "and both providers are unhealthy" "false false" \
    "$(jq -r '[.domains[0].providers[].healthy | tostring] | join(" ")' \
        "$T/rm.json")"
check_grep "the evidence names the refusal" \
    "0/2 addresses ok: ns1.b.test 127.0.10.3 refused" \
    <(prov_field "$T/rm.json" removed.test provider-b .evidence)

# --- bad input -----------------------------------------------------------
"$NSF" probe --policy "$P" nosuch.test >"$T/out" 2>"$T/err"
check_eq "an unknown domain exits 2" 2 $?
check_grep "and says which" "domain 'nosuch.test' is not in the policy" \
    "$T/err"
"$NSF" probe --policy "$P" --format yaml >"$T/out" 2>"$T/err"
check_eq "an unknown format exits 2" 2 $?
check_grep "and names the choices" "not one of text, json, summary" "$T/err"
"$NSF" probe --policy "$T/nothing.yaml" >"$T/out" 2>"$T/err"
check_eq "a missing policy exits 2" 2 $?
check_grep "and names the file" "nothing.yaml" "$T/err"
