# probe_pacing.sh - many domains share a provider's servers: the prober
# keeps under the configured rate per server address (each server its own
# budget) and, with a spread, starts the domains over that time instead
# of all at once.  The servers log the kernel's arrival time of every
# query, so what is checked is what a server sees.  Addresses
# 127.0.10.50-51.
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"
source "$NSF_ROOT/tests/lib/probe.sh"

S1=127.0.10.50 S2=127.0.10.51
probe_answerer s1 "$S1" ok example.test 1 ns1.p.test || exit 1
probe_answerer s2 "$S2" ok example.test 1 ns2.p.test || exit 1

# policy FILE N: N domains d01.test ... served by one provider with two
# nameservers (one address each).
policy() {
	local i
	probe_policy_head "$1"
	cat >>"$1" <<YAML
providers:
  p:
    nameservers:
      - { name: ns1.p.test, addresses: [ $S1 ] }
      - { name: ns2.p.test, addresses: [ $S2 ] }
  q: { nameservers: [ { name: ns1.q.test, addresses: [ 127.0.10.59 ] } ] }
defaults:
  health: { timeout: 1s, retries: 0 }
  readiness: { mode: none }
domains:
YAML
	for i in $(seq -w 1 "$2"); do
		printf '  d%s.test: { registry: main, primary: p, ' "$i" >>"$1"
		printf 'backups: [ q ] }\n' >>"$1"
	done
}

# stats FILE...: "COUNT SPAN MAXPERSEC" over the arrival times in FILEs:
# how many queries, seconds from first to last, and the most that
# arrived within any one second.
stats() {
	cat "$@" | /usr/bin/python3 -c '
import sys
t = sorted(float(l.split()[0]) for l in sys.stdin if l.strip())
j = 0
best = 0
for i in range(len(t)):
    while t[i] - t[j] >= 1.0:
        j += 1
    best = max(best, i - j + 1)
print(len(t), "%.2f" % (t[-1] - t[0] if t else 0), best)'
}

# --- the rate per server -------------------------------------------------
policy "$T/p30.yaml" 30
"$NSF" probe --policy "$T/p30.yaml" --format summary --queries soa \
    --rate 10 >"$T/rate.txt" 2>"$T/err"
read -r n1 span1 max1 <<<"$(stats "$T/s1.queries")"
read -r n2 span2 max2 <<<"$(stats "$T/s2.queries")"
read -r n span max <<<"$(stats "$T/s1.queries" "$T/s2.queries")"
check_eq "each server got one SOA query per domain" "30 30" "$n1 $n2"
check "--rate 10: server 1 never saw more than 11 in a second ($max1)" \
    test "$max1" -le 11
check "nor did server 2 ($max2)" test "$max2" -le 11
check "so 30 queries took server 1 at least 2.5 s ($span1 s)" \
    /usr/bin/python3 -c "import sys; sys.exit(not $span1 >= 2.5)"
check "the budget is per server: both were asked at once ($max a second)" \
    test "$max" -gt 11

# --- the spread ----------------------------------------------------------
rm -f "$T/s1.queries" "$T/s2.queries"
policy "$T/p20.yaml" 20
"$NSF" probe --policy "$T/p20.yaml" --format summary --queries soa \
    --rate 1000 --spread 2s >"$T/spread.txt" 2>"$T/err"
read -r n span max <<<"$(stats "$T/s1.queries")"
check_eq "spread: every domain was probed" 20 "$n"
check "the domains started over the 2 s spread, not at once ($span s)" \
    /usr/bin/python3 -c "import sys; sys.exit(not $span >= 1.0)"
check "and evenly: no second held more than 15 of the 20 ($max)" \
    test "$max" -le 15
check_grep "every domain got its answers from both servers" "nxdomain 40" \
    "$T/spread.txt"
