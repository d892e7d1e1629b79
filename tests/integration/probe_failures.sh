# probe_failures.sh - how each way a nameserver fails is classified: a
# stopped server (ICMP unreachable, fails at once), one that drops packets
# (timeout after the retries), a non-authoritative answer (lame), a
# truncated answer with no TCP behind it, and an answer over IPv6.
# A real NSD is stopped between two rounds.  Addresses 127.0.10.20-25 and
# [::1] on a port the kernel picks.
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"
source "$NSF_ROOT/tests/lib/probe.sh"

GOOD=127.0.10.20 DEAD=127.0.10.21 SILENT=127.0.10.22 LAME=127.0.10.23
TC=127.0.10.24 STOPPED=127.0.10.25
NS="ns1.good.test ns1.stop.test"

nsf_zone_file "$T/example.test" example.test 42 $NS
nsf_start_nsd nsd-good "$GOOD" example.test="$T/example.test" || exit 1
nsf_start_nsd nsd-stop "$STOPPED" example.test="$T/example.test" || exit 1
probe_still_running nsd-good "$NSD_PID_nsd_good" || exit 1
probe_still_running nsd-stop "$NSD_PID_nsd_stop" || exit 1
probe_answerer silent "$SILENT" silent example.test 42 $NS || exit 1
probe_answerer lame "$LAME" lame example.test 42 $NS || exit 1
probe_answerer tc "$TC" tc example.test 42 $NS || exit 1
probe_answerer v6 ::1 ok example.test 43 $NS ns1.v6.test || exit 1
V6PORT=$(cat "$T/v6.port")
# Knot on [::1], on a port that was free a moment ago ([::1]:53 is shared
# by every scenario on this machine).
K6PORT=$(/usr/bin/python3 -c 'import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::1", 0))
print(s.getsockname()[1])')
mkdir -p "$T/k6zone"
nsf_zone_file "$T/k6zone/example.test" example.test 44 $NS ns1.k6.test
NSF_DNS_PORT=$K6PORT nsf_start_knot knot6 ::1 \
    example.test="$T/k6zone/example.test" || exit 1

P=$T/policy.yaml
probe_policy_head "$P"
cat >>"$P" <<YAML
providers:
  good:   { nameservers: [ { name: ns1.good.test, addresses: [ $GOOD ] } ] }
  dead:   { nameservers: [ { name: ns1.dead.test, addresses: [ $DEAD ] } ] }
  silent: { nameservers: [ { name: ns1.sil.test, addresses: [ $SILENT ] } ] }
  lame:   { nameservers: [ { name: ns1.lame.test, addresses: [ $LAME ] } ] }
  tc:     { nameservers: [ { name: ns1.tc.test, addresses: [ $TC ] } ] }
  stop:   { nameservers: [ { name: ns1.stop.test, addresses: [ $STOPPED ] } ] }
  v6:
    port: $V6PORT
    nameservers: [ { name: ns1.v6.test, addresses: [ "::1" ] } ]
  knot6:
    port: $K6PORT
    nameservers: [ { name: ns1.k6.test, addresses: [ "::1" ] } ]
defaults:
  health: { timeout: 1s, retries: 1 }
domains:
  example.test:
    registry: main
    primary: good
    backups: [ dead, silent, lame, tc, v6, stop, knot6 ]
    readiness: { mode: none }
  dead.test:
    registry: main
    primary: dead
    backups: [ good ]
    health: { timeout: 5s, retries: 2 }
YAML


"$NSF" probe --policy "$P" --format json example.test >"$T/r.json" \
    2>"$T/err"
check_eq "a round with failing providers exits 1" 1 $?
check_eq "the NSD answers" "ok 42" \
    "$(addr_field "$T/r.json" example.test $GOOD '"\(.result) \(.serial)"')"
check_eq "a stopped server is unreachable" unreachable \
    "$(addr_field "$T/r.json" example.test $DEAD .result)"
check_eq "a server that drops packets times out" timeout \
    "$(addr_field "$T/r.json" example.test $SILENT .result)"
check_eq "after one retry (retries: 1)" 2 \
    "$(addr_field "$T/r.json" example.test $SILENT .tries)"
check_eq "an answer without AA is lame" lame \
    "$(addr_field "$T/r.json" example.test $LAME .result)"
check_grep "and the verdict says so" "0/1 addresses ok: ns1.lame.test \
127.0.10.23 lame" <(prov_field "$T/r.json" example.test lame .evidence)
check_eq "a truncated answer with no TCP service fails as tcp-failed" \
    tcp-failed "$(addr_field "$T/r.json" example.test $TC .result)"
check_eq "IPv6: the answer from [::1] is accepted" "ok 43" \
    "$(jq -r --argjson p "$V6PORT" '.domains[0].addresses[] |
        select(.port == $p) | "\(.result) \(.serial)"' "$T/r.json")"
check_eq "IPv6 provider is healthy" true \
    "$(prov_field "$T/r.json" example.test v6 .healthy)"
check_eq "IPv6: Knot on [::1] answers SOA and NS" "ok 44 ok" \
    "$(jq -r --argjson p "$K6PORT" '.domains[0].addresses[] |
        select(.port == $p) | "\(.result) \(.serial) \(.ns.result)"' \
        "$T/r.json")"
check_eq "and that provider is healthy" true \
    "$(prov_field "$T/r.json" example.test knot6 .healthy)"
check "ICMP errors were matched to their queries" \
    jq -e '.stats.icmp >= 1' "$T/r.json"

# Nothing listening fails at once: one try, not 3 tries of 5 s.
"$NSF" probe --policy "$P" --format json dead.test >"$T/d.json" 2>"$T/err"
check_eq "dead.test: unreachable after one try" "unreachable 1" \
    "$(addr_field "$T/d.json" dead.test $DEAD '"\(.result) \(.tries)"')"

# A real NSD that answered, then stopped.
"$NSF" probe --policy "$P" --format json example.test >"$T/s1.json" \
    2>"$T/err"
check_eq "the NSD to be stopped answers first" "ok 42" \
    "$(addr_field "$T/s1.json" example.test $STOPPED \
        '"\(.result) \(.serial)"')"
check_eq "and its provider is healthy" true \
    "$(prov_field "$T/s1.json" example.test stop .healthy)"
nsf_stop_pid "$NSD_PID_nsd_stop"
"$NSF" probe --policy "$P" --format json example.test >"$T/s2.json" \
    2>"$T/err"
check_eq "once stopped, it is unreachable after one try" "unreachable 1" \
    "$(addr_field "$T/s2.json" example.test $STOPPED \
        '"\(.result) \(.tries)"')"
check_eq "and its provider unhealthy" false \
    "$(prov_field "$T/s2.json" example.test stop .healthy)"

# The text table shows the classes too.
"$NSF" probe --policy "$P" example.test >"$T/r.txt" 2>"$T/err"
check_grep "text: the silent server's row" \
    "silent +ns1.sil.test +127.0.10.22:53 +timeout +- +- +timeout x2" \
    "$T/r.txt"
check_grep "text: the IPv6 row brackets the address" \
    "v6 +ns1.v6.test +\[::1\]:$V6PORT +ok" "$T/r.txt"
