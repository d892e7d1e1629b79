#!/usr/bin/env bash
# probe.sh - the prober's throughput and memory: one round over 10,000
# domains x 4 nameserver addresses (two providers of two nameservers) on
# one local NSD, beside dnsperf sending the same SOA queries to the same
# NSD.  NSD runs on one core, the client (prober or dnsperf) on the other;
# both keep the same number of queries in flight, and they take turns so
# that a busy machine slows both alike.  The prober also runs with the
# four nameservers on one address, as dnsperf can only send to one.
# Prints rates, their ratio (the target: the prober at least 0.8 of
# dnsperf), CPU per query and memory per domain.  Figures only: it never
# fails on a slow machine.
#   NSF_BENCH_DOMAINS=N   domains (default 10000)
#   NSF_BENCH_RUNS=N      runs of each client, taking turns; the median
#                         is shown (5)
#   NSF_BENCH_INFLIGHT="N..."  queries in flight, both clients
#                         ("100 1000")
# Addresses 127.0.10.100-103.
set -uo pipefail
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"
cd "$NSF_ROOT"
NSF=${NSF_BENCH_BIN:-$NSF_ROOT/nsfailover}
N=${NSF_BENCH_DOMAINS:-10000}
RUNS=${NSF_BENCH_RUNS:-5}
INFLIGHT=${NSF_BENCH_INFLIGHT:-100 1000}
ADDRS=(127.0.10.100 127.0.10.101 127.0.10.102 127.0.10.103)

make -s nsfailover >/dev/null || exit 1
for tool in dnsperf nsd taskset; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "probe bench: $tool is missing (ci/install-deps installs it)"
		exit 0
	fi
done
if [ "$(nproc)" -lt 2 ]; then
	echo "probe bench: needs two cores (server and client one each)"
	exit 0
fi

# Zones, the policy and dnsperf's query file, all for the same names.
/usr/bin/python3 - "$T" "$N" "${ADDRS[@]}" <<'PY'
import os, sys
t, n, addrs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
ns = ["ns1.a.bench", "ns2.a.bench", "ns1.b.bench", "ns2.b.bench"]
os.makedirs(t + "/zones", exist_ok=True)
names = ["d%06d.bench" % i for i in range(n)]
with open(t + "/zones.list", "w") as zl, open(t + "/queries", "w") as q:
    for d in names:
        with open("%s/zones/%s" % (t, d), "w") as f:
            f.write("$ORIGIN %s.\n$TTL 300\n" % d)
            f.write("@ SOA %s. hostmaster.%s. 1 3600 600 86400 300\n"
                    % (ns[0], d))
            for s in ns:
                f.write("@ NS %s.\n" % s)
        zl.write("%s=%s/zones/%s\n" % (d, t, d))
        q.write("%s SOA\n" % d)
with open(t + "/policy.yaml", "w") as p:
    p.write("version: 1\nregistries:\n  main:\n    type: exec\n"
            "    command: [ /bin/true ]\n    min_nameservers: 1\n"
            "providers:\n")
    for k, prov in enumerate(["a", "b"]):
        p.write("  %s:\n    nameservers:\n" % prov)
        for j in range(2):
            p.write("      - { name: ns%d.%s.bench, addresses: [ %s ] }\n"
                    % (j + 1, prov, addrs[2 * k + j]))
    p.write("defaults:\n  health: { timeout: 2s, retries: 1 }\n"
            "domains:\n")
    for d in names:
        p.write("  %s: { registry: main, primary: a, backups: [ b ] }\n"
                % d)
PY

# NSD (and everything this script starts from now on) on core 0.
taskset -p -c 0 $$ >/dev/null
mapfile -t zones <"$T/zones.list"
start=$(date +%s%N)
if nsf_dig_ok "${ADDRS[0]}" d000000.bench 2>/dev/null; then
	echo "probe bench: something already answers on ${ADDRS[0]}"
	exit 1
fi
nsf_start_nsd nsd "$(IFS=,; echo "${ADDRS[*]}")" "${zones[@]}" || exit 1
wait_for 120 nsf_dig_ok "${ADDRS[3]}" "d$(printf %06d $((N - 1))).bench" ||
    { echo "probe bench: NSD did not load $N zones"; exit 1; }
kill -0 "$NSD_PID_nsd" || { echo "probe bench: NSD exited"; exit 1; }
echo "nsd: $N zones loaded in $((($(date +%s%N) - start) / 1000000)) ms," \
    "on 4 addresses, core 0"

median() {
	sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# The same queries with the four nameservers on one address, as dnsperf
# sends them: how much of a difference is the server's, not the prober's.
sed 's/127\.0\.10\.10[123]/127.0.10.100/' "$T/policy.yaml" >"$T/policy1.yaml"

# prober POLICY Q OUT: one prober run, SOA only, no rate limit, core 1;
# appends its rate to OUT.rate and its CPU per query to OUT.cpu.
prober() {
	/usr/bin/time -f '%M' -o "$3.rss" taskset -c 1 "$NSF" probe \
	    --policy "$1" --format summary --queries soa \
	    --rate 1000000000 --max-inflight "$2" >"$3.out" 2>"$3.err"
	sed -n 's/.*rate_qps \([0-9.]*\).*/\1/p' "$3.out" >>"$3.rate"
	sed -n 's/.*cpu_us_per_query \([0-9.]*\).*/\1/p' "$3.out" >>"$3.cpu"
	grep -q "^results ok $((4 * N))\$" "$3.out" || echo >>"$3.notok"
}

# dnsperf_run Q OUT: the same SOA queries, each domain 4 times.
dnsperf_run() {
	/usr/bin/time -f '%U %S' -o "$2.time" taskset -c 1 dnsperf \
	    -s "${ADDRS[0]}" -d "$T/queries" -n 4 -c 1 -T 1 -q "$1" -t 2 \
	    >"$2.out" 2>&1
	sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' "$2.out" \
	    >>"$2.rate"
	awk -v n=$((4 * N)) '{ printf "%.2f\n", ($1 + $2) * 1e6 / n }' \
	    "$2.time" >>"$2.cpu"
	sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' "$2.out" >>"$2.lost"
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# row LABEL FORMAT A B C: one line of the table, with the ratios A/C and
# B/C.
row() {
	awk -v l="$1" -v f="$2" -v a="${3:-0}" -v b="${4:-0}" -v c="${5:-0}" \
	    'BEGIN { printf "%-26s " f " " f " " f "  %5.2f %5.2f\n", l, a, b,
	    c, (c > 0 ? a / c : 0), (c > 0 ? b / c : 0) }'
}

echo "median of $RUNS turns; 4 addr: the bench's 4 nameserver addresses;"
echo "1 addr: the same queries all to ${ADDRS[0]}, as dnsperf sends them"
printf '%-26s %10s %10s %10s  %5s %5s\n' "" "prober" "prober" "dnsperf" \
    "ratio" "ratio"
printf '%-26s %10s %10s %10s  %5s %5s\n' "" "4 addr" "1 addr" "" "4/d" "1/d"
for q in $INFLIGHT; do
	for i in $(seq "$RUNS"); do
		prober "$T/policy.yaml" "$q" "$T/p4.$q"
		prober "$T/policy1.yaml" "$q" "$T/p1.$q"
		dnsperf_run "$q" "$T/d.$q"
	done
	row "$q in flight: queries/s" "%10.0f" \
	    "$(median <"$T/p4.$q.rate")" "$(median <"$T/p1.$q.rate")" \
	    "$(median <"$T/d.$q.rate")"
	# CPU: the ratio is dnsperf's over the prober's, so above 1 is
	# the prober using less.
	a=$(median <"$T/p4.$q.cpu") b=$(median <"$T/p1.$q.cpu")
	c=$(median <"$T/d.$q.cpu")
	awk -v a="${a:-0}" -v b="${b:-0}" -v c="${c:-0}" 'BEGIN {
		printf "%-26s %10.2f %10.2f %10.2f  %5.2f %5.2f\n",
		    "  CPU us a query", a, b, c, (a > 0 ? c / a : 0),
		    (b > 0 ? c / b : 0) }'
	echo "  prober runs with a failed query: $(cat "$T"/p?."$q".notok \
	    2>/dev/null | wc -l); dnsperf queries lost:" \
	    "$(paste -sd+ "$T/d.$q.lost" | bc)"
done
echo "target: the prober's rate at least 0.80 of dnsperf's"
echo "prober, last run: $(sed -n 1p "$T/p4.$q.out")"
sed -n 's/.*bytes_per_domain \([0-9]*\) peak_per_domain \([0-9]*\).*/\1 \2/p' \
    "$T/p4.$q.out" | while read -r kept peak; do
	echo "prober memory: $kept bytes a domain kept after the round," \
	    "$peak at its peak"
done
echo "nsfailover probe max RSS: $(($(cat "$T/p4.$q.rss") / 1024)) MiB" \
    "(the policy of $N domains, one round, the report)"
