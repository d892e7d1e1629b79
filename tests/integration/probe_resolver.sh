# probe_resolver.sh - nameservers the policy names without addresses are
# resolved through the configured resolvers only (the next one when one
# fails), kept for their TTL, and resolved again when it runs out.
# Addresses 127.0.10.40-45.
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"
source "$NSF_ROOT/tests/lib/probe.sh"

RLONG=127.0.10.40 NSB=127.0.10.41 NSA=127.0.10.42 RSHORT=127.0.10.43
RDEAD=127.0.10.44
NS="ns1.a.test ns1.b.test"

nsf_zone_file "$T/example.test" example.test 77 $NS
nsf_start_nsd nsd "$NSA,$NSB" example.test="$T/example.test" || exit 1
probe_still_running nsd "$NSD_PID_nsd" || exit 1
probe_resolver rlong "$RLONG" 3600 ns1.b.test=$NSB || exit 1
probe_resolver rshort "$RSHORT" 1 ns1.b.test=$NSB || exit 1

P=$T/policy.yaml
probe_policy_head "$P"
cat >>"$P" <<YAML
providers:
  a: { nameservers: [ { name: ns1.a.test, addresses: [ $NSA ] } ] }
  b: { nameservers: [ ns1.b.test ] }
defaults:
  health: { timeout: 1s, retries: 1 }
domains:
  example.test: { registry: main, primary: a, backups: [ b ] }
YAML

# a_queries NAME: how many A questions for ns1.b.test resolver NAME read.
a_queries() {
	if [ -f "$T/$1.queries" ]; then
		grep -c '^ns1.b.test A$' "$T/$1.queries"
	else
		echo 0
	fi
}

# --- no resolver: no address, and nothing is asked anywhere ----------------
"$NSF" probe --policy "$P" --format json >"$T/none.json" 2>"$T/err"
check_eq "without a resolver a glueless name has no address" \
    "- no-address" \
    "$(jq -r '.domains[0].addresses[] | select(.nameserver ==
        "ns1.b.test") | "\(.address) \(.result)"' "$T/none.json")"
check_eq "so its provider is unhealthy" false \
    "$(prov_field "$T/none.json" example.test b .healthy)"
check_eq "and no resolver was asked" "0 0" \
    "$(a_queries rlong) $(a_queries rshort)"
check_eq "the verdict says why" \
    "no address: none in the policy and no --resolver given" \
    "$(jq -r '.domains[0].addresses[] | select(.nameserver ==
        "ns1.b.test") | .why' "$T/none.json")"

# --- resolved through the resolver -------------------------------------------
"$NSF" probe --policy "$P" --format json --resolver $RLONG \
    >"$T/r.json" 2>"$T/err"
check_eq "with a resolver, the round exits 0" 0 $?
check_eq "the name is probed at the address the resolver gave" "ok 77" \
    "$(addr_field "$T/r.json" example.test $NSB '"\(.result) \(.serial)"')"
check_eq "the provider is healthy" true \
    "$(prov_field "$T/r.json" example.test b .healthy)"
check_no_grep "a name with addresses in the policy is never resolved" \
    "ns1.a.test" "$T/rlong.queries"
check_grep "both address families are asked for" "^ns1.b.test AAAA$" \
    "$T/rlong.queries"

# --- the TTL is honoured -------------------------------------------------
: >"$T/rlong.queries"
"$NSF" probe --policy "$P" --format json --resolver $RLONG --rounds 3 \
    >"$T/r3.json" 2>"$T/err"
check_eq "TTL 3600: three rounds resolve the name once" 1 "$(a_queries rlong)"
check_eq "and every round probed it" "ok" \
    "$(addr_field "$T/r3.json" example.test $NSB .result)"

"$NSF" probe --policy "$P" --format json --resolver $RSHORT --rounds 3 \
    --interval 1500ms >"$T/s3.json" 2>"$T/err"
check_eq "TTL 1 s, rounds 1.5 s apart: resolved again every round" 3 \
    "$(a_queries rshort)"

# --- a resolver that fails: the next one is asked ------------------------
: >"$T/rlong.queries"
"$NSF" probe --policy "$P" --format json --resolver $RDEAD \
    --resolver $RLONG >"$T/f.json" 2>"$T/err"
check_eq "the first resolver unreachable, the second answers" "ok" \
    "$(addr_field "$T/f.json" example.test $NSB .result)"
check_eq "the second was asked once for A" 1 "$(a_queries rlong)"

"$NSF" probe --policy "$P" --format json --resolver $RDEAD >"$T/d.json" \
    2>"$T/err"
check_eq "only a dead resolver: no address" "no-address" \
    "$(jq -r '.domains[0].addresses[] | select(.nameserver ==
        "ns1.b.test") | .result' "$T/d.json")"

# --- bad input -------------------------------------------------------------
"$NSF" probe --policy "$P" --resolver resolver.example >"$T/out" 2>"$T/err"
check_eq "a resolver given by name exits 2" 2 $?
check_grep "and says what to write" \
    "'resolver.example' is not an IP address with an optional port" \
    "$T/err"
