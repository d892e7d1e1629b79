#!/usr/bin/env bash
# lab.sh - the lab's parts (examples/lab/lib.sh) and the scenario language
# (tests/lib/scenario.sh) work on real servers, without the controller:
# the parent zone and both providers answer as the scenarios assume, a
# provider can be stopped, silenced and made stale, TSIG UPDATE reaches the
# parent with the right key only, the policy repository and the daemon's
# files are right, and the interpreter checks files and runs steps.
# Addresses: 127.0.79.0/24.
. "$(dirname "$0")/../lib/common.sh"
. "$NSF_ROOT/tests/lib/dns.sh"
. "$NSF_ROOT/examples/lab/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	skip "the lab binds port 53 on loopback: run as root"
	exit 0
fi

NET=127.0.79
LAB_EPP_DOMAINS="example.test shop.test" LAB_UPDATE_DOMAINS="dyn.test"
lab_init "$NET" || { not_ok "lab_init"; exit 1; }

# --- certificates -------------------------------------------------------
check "the registry's certificate is signed by the lab CA for its address" \
    sh -c "openssl verify -CAfile '$LAB_DIR/tls/ca.pem' \
	'$LAB_DIR/tls/server.pem' &&
	openssl x509 -in '$LAB_DIR/tls/server.pem' -noout -ext subjectAltName |
	grep -q 'IP Address:$NET.2'"
check "the controller's client certificate is signed by the lab CA" \
    openssl verify -CAfile "$LAB_DIR/tls/ca.pem" "$LAB_DIR/tls/client.pem"

# --- parent and providers -----------------------------------------------
check_eq "nothing is in the way of a lab on $NET.0/24 yet" "" \
    "$(lab_conflicts "$NET")"
lab_start_parent || { not_ok "the parent zone starts"; exit 1; }
ok "the parent zone starts on $NET.1"
check_eq "a lab's own server is in the way of a second lab there" \
    "$NET.1:53 $NET.1:53" \
    "$(lab_conflicts "$NET" | awk '{ printf "%s ", $5 }' | sed 's/ $//')"
check_eq "the parent holds provider A's host addresses" "$NET.12" \
    "$(nsf_dig "$NET.1" ns2.provider-a.test A)"
check_eq "the parent holds provider B's host addresses" "$NET.21" \
    "$(nsf_dig "$NET.1" ns1.provider-b.test A)"
check_eq "the parent delegates every lab domain to provider A" \
    "provider-a provider-a provider-a" \
    "$(for d in example.test shop.test dyn.test; do
	lab_parent_group "$d"; done | tr '\n' ' ' | sed 's/ $//')"

lab_start_provider a || { not_ok "provider A starts"; exit 1; }
lab_start_provider b || { not_ok "provider B starts"; exit 1; }
ok "providers A (NSD) and B (Knot) start"
serials=""
for a in $NET.11 $NET.12 $NET.21 $NET.22; do
	for d in example.test shop.test dyn.test; do
		serials+="$(nsf_dig "$a" "$d" SOA | awk '{print $3}') "
	done
done
check_eq "all four addresses serve all three zones at one serial" \
    "$(printf "$LAB_SERIAL %.0s" $(seq 12))" "$serials"
kdig @"$NET.21" +norec example.test SOA >"$T/aa.out" 2>&1
check_grep "provider B answers with authority" '[Ff]lags: qr aa' "$T/aa.out"
check_eq "each provider names its own servers at the apex" \
    "provider-a|provider-b" \
    "$(lab_group_of "$(nsf_dig "$NET.11" example.test NS | sed 's/\.$//' |
	sort | tr '\n' ' ' | sed 's/ $//')")|$(lab_group_of "$(nsf_dig \
	"$NET.22" example.test NS | sed 's/\.$//' | sort | tr '\n' ' ' |
	sed 's/ $//')")"

lab_start_canary || { not_ok "the canary starts"; exit 1; }
check "the canary answers . SOA" nsf_dig_ok "$NET.31" .

# --- failures a scenario makes ------------------------------------------
lab_provider_serial b $((LAB_SERIAL - 1))
check_eq "a stale provider B (Knot) serves an older serial" \
    "$((LAB_SERIAL - 1))" "$(nsf_dig "$NET.22" shop.test SOA | awk '{print $3}')"
lab_provider_serial a $((LAB_SERIAL - 2))
check_eq "a stale provider A (NSD) serves an older serial" \
    "$((LAB_SERIAL - 2))" "$(nsf_dig "$NET.11" dyn.test SOA | awk '{print $3}')"
lab_provider_serial a "$LAB_SERIAL"
lab_provider_serial b "$LAB_SERIAL"
check_eq "both are fresh again" "$LAB_SERIAL $LAB_SERIAL" \
    "$(nsf_dig "$NET.12" example.test SOA | awk '{print $3}') $(nsf_dig \
    "$NET.21" example.test SOA | awk '{print $3}')"

lab_stop_provider a
if nsf_dig_ok "$NET.11" example.test 2>/dev/null; then
	not_ok "a stopped provider does not answer"
else
	ok "a stopped provider does not answer"
fi
lab_drop_provider a
t0=$(date +%s%N)
kdig @"$NET.12" +time=1 +retry=0 +norec example.test SOA >"$T/drop.out" 2>&1
t1=$(date +%s%N)
check_grep "a dropped provider lets the query time out" 'timeout' "$T/drop.out"
check "the timeout took the full second (no ICMP error)" \
    test $(( (t1 - t0) / 1000000 )) -ge 900
lab_start_provider a
check "a provider started again answers on both addresses" \
    sh -c "kdig @$NET.11 +norec example.test SOA | grep -q NOERROR &&
	kdig @$NET.12 +norec example.test SOA | grep -q NOERROR"
lab_drop_canary
kdig @"$NET.31" +time=1 +retry=0 . SOA >"$T/canary.out" 2>&1
check_grep "a dropped canary times out" 'timeout' "$T/canary.out"
lab_start_canary
check "the canary answers again" nsf_dig_ok "$NET.31" .

# --- the parent takes TSIG UPDATE with the lab's keys only ---------------
serial0=$(lab_parent_serial)
lab_parent_set_ns dyn.test provider-b
check_eq "an UPDATE with the registry's key moves dyn.test to B" \
    provider-b "$(lab_parent_group dyn.test)"
check_eq "the parent bumps its serial on UPDATE" $((serial0 + 1)) \
    "$(lab_parent_serial)"
IFS=: read -r kname kalg ksecret <<<"$LAB_TSIG_CONTROLLER"
knsupdate >"$T/upd.out" 2>&1 <<UPD
server $NET.1 53
key $kalg:$kname $ksecret
zone test.
update delete dyn.test. NS
update add dyn.test. 300 NS ns1.provider-a.test.
update add dyn.test. 300 NS ns2.provider-a.test.
update add dyn.test. 300 NS ns1.provider-b.test.
update add dyn.test. 300 NS ns2.provider-b.test.
send
UPD
check_eq "an UPDATE with the controller's key (from the secrets file) works" \
    provider-a+provider-b "$(lab_parent_group dyn.test)"
knsupdate >"$T/bad.out" 2>&1 <<UPD
server $NET.1 53
key hmac-sha256:$kname $(openssl rand -base64 32)
zone test.
update delete dyn.test. NS
send
UPD
check_eq "an UPDATE with a wrong secret changes nothing" \
    provider-a+provider-b "$(lab_parent_group dyn.test)"
check_grep "and is refused for its key" 'NOTAUTH|BADSIG|BADKEY' "$T/bad.out"

# --- the daemon's files and the policy repository ------------------------
lab_write_secrets
lab_write_config
check_eq "the secrets file has mode 0600" 600 "$(stat -c %a "$LAB_SECRETS")"
check "the secrets file holds the controller's TSIG key" \
    grep -qF "tsig_secret: \"$ksecret\"" "$LAB_SECRETS"
check "the configuration holds no secret" \
    sh -c "! grep -qF -e '$ksecret' -e '$LAB_EPP_PASSWORD' '$LAB_CONFIG'"
check_grep "the configuration names the parent as the only resolver" \
    "resolvers: \\[ \"$NET.1\" \\]" "$LAB_CONFIG"
first=$(lab_repo_init) || not_ok "the policy repository is made"
check_eq "the remote's main branch holds the first policy" "$first" \
    "$(git --git-dir="$LAB_DIR/policy.git" rev-parse main)"
check_eq "the policy sits under policy/ as the configuration says" \
    "policy/domains.yaml policy/providers.yaml policy/registries.yaml" \
    "$(git --git-dir="$LAB_DIR/policy.git" ls-tree -r --name-only main |
	tr '\n' ' ' | sed 's/ $//')"
check_grep "dyn.test is changed by DNS UPDATE at the parent" \
    'dyn.test:' "$LAB_DIR/policy-work/policy/domains.yaml"
git --git-dir="$LAB_DIR/policy.git" show main:policy/domains.yaml \
    >"$T/dom.yaml"
check_grep "the policy's health settings are the lab's short ones" \
    'interval: 1s' "$T/dom.yaml"
lab_policy_set example.test.primary=b example.test.backups=a
second=$(lab_policy_commit "example.test: provider-b primary")
git --git-dir="$LAB_DIR/policy.git" show main:policy/domains.yaml \
    >"$T/dom2.yaml"
check "a policy commit reaches the remote" test "$second" != "$first"
check "and makes provider-b example.test's primary" \
    sh -c "grep -A3 '^  example.test:' '$T/dom2.yaml' |
	grep -q 'primary: provider-b'"
lab_policy_commit_invalid "a typo" >/dev/null
git --git-dir="$LAB_DIR/policy.git" show main:policy/domains.yaml \
    >"$T/dom3.yaml"
check_grep "an invalid policy commit carries the misspelt key" \
    'primay:' "$T/dom3.yaml"
check "git fsck finds the policy repository sound" \
    git --git-dir="$LAB_DIR/policy.git" fsck --strict
"$NSF" config check "$LAB_CONFIG" >"$T/config.out" 2>&1
check_eq "nsfailover config check accepts the lab configuration" \
    "0: $LAB_CONFIG: ok (0 warnings)" "$?: $(cat "$T/config.out")"

# History expectations read the trailers of the state branch; records
# made with plain git stand in for the daemon's here.
g() { git --git-dir="$LAB_DIR/policy.git" "$@"; }
record() {
	local parent=${4:+-p $4}
	printf '%s\n\nDomain: %s\nAction: %s\nFrom: a\nTo: b\nIntent: %s\n' \
	    "$2 $1" "$1" "$2" "$3" |
	    GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t.invalid \
	    GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t.invalid \
	    g commit-tree $parent "$(g mktree </dev/null)"
}
c=$(record example.test intent i1)
c=$(record example.test failover i1 "$c")
c=$(record shop.test intent i2 "$c")
c=$(record example.test intent i3 "$c")
g update-ref refs/heads/nsfailover/state "$c"
check_eq "lab_history lists a domain's records in order" \
    "intent a -> b|failover a -> b|intent a -> b" \
    "$(lab_history example.test | tr '\n' '|' | sed 's/|$//')"
check_eq "lab_history_open counts intents without an outcome" "1 1" \
    "$(lab_history_open example.test) $(lab_history_open shop.test)"
printf '%s\n' \
    "2026-12-04T15:00:00.000Z info audit [example.test] intent i1 committed" \
    "2026-12-04T15:00:01.000Z info audit [example.test] intent i9 committed" \
    "2026-12-04T15:00:01.000Z info audit [shop.test] intent i2 committed" \
    >>"$LAB_CONTROLLER_LOG"
check_eq "lab_history_lost counts logged intents missing from the branch" \
    "1 0 0" "$(lab_history_lost example.test) $(lab_history_lost shop.test) \
$(lab_history_lost dyn.test)"
: >"$LAB_CONTROLLER_LOG"
g update-ref -d refs/heads/nsfailover/state

lab_example_policy "$T/example-policy"
check "examples/lab/policy is what lab_policy_write makes for the lab" \
    diff -r "$T/example-policy" "$NSF_ROOT/examples/lab/policy"
if "$NSF" validate --help >/dev/null 2>&1; then
	mkdir -p "$T/ex"
	for f in "$NSF_ROOT"/examples/lab/policy/*.yaml; do
		lab_policy_localize <"$f" >"$T/ex/${f##*/}"
	done
	check "nsfailover validate accepts the lab policy" "$NSF" validate \
	    "$T/ex"
else
	skip "nsfailover validate is not built yet"
fi

# --- the scenario language ------------------------------------------------
n=0
for f in "$NSF_ROOT"/tests/scenarios/*.scenario; do
	bash "$NSF_ROOT/tests/lib/scenario.sh" --check "$f" \
	    >"$T/check.out" 2>&1 || {
		not_ok "scenario $(basename "$f") parses"
		sed 's/^/#   /' "$T/check.out"
	}
	n=$((n + 1))
done
check "the $n scenarios in tests/scenarios parse" test "$n" -ge 14

cat >"$T/bad.scenario" <<'SC'
# errors the checker must catch, each on its own line
policy primary=a
lab epp=example.test
expect parent-ns example.test == provider-a
stop provider c
explode now
expect log "open quote
registry fault 2401
start controller FOO=1
expect history example.test count>x
wait 10
expect parent-ns example.test = provider-b within soon
SC
bash "$NSF_ROOT/tests/lib/scenario.sh" --check "$T/bad.scenario" \
    >"$T/bad.out" 2>&1
rc=$?
check_eq "a broken scenario file is rejected" 1 "$rc"
check_eq "each error names its line" "2 4 5 6 7 8 9 10 11 12" \
    "$(sed -n 's/^[^:]*:\([0-9]*\): error:.*/\1/p' "$T/bad.out" |
	tr '\n' ' ' | sed 's/ $//')"
check_grep "and says what is wrong" \
    "bad.scenario:5: error: no provider 'c'" "$T/bad.out"

# Steps that need no controller run against a lab of their own.
cat >"$T/steps.scenario" <<'SC'
# the interpreter drives the lab parts
lab epp= update=dyn.test
expect parent-ns dyn.test = provider-a
expect parent-serial =1
manual parent-ns dyn.test = provider-a+provider-b
expect parent-ns dyn.test = provider-a+provider-b within 5s
expect parent-ns dyn.test = provider-a+provider-b for 1s
expect parent-serial >=2
stale provider b behind=2
fresh provider b
drop provider a
start provider a
drop canary
start canary
stop provider b
start provider b
policy primary=b backups=a dyn.test:hold_down=5s
commit policy "provider-b first"
commit invalid-policy "typo"
wait 200ms
SC
TMPDIR=$T timeout 120 bash "$NSF_ROOT/tests/lib/scenario.sh" \
    "$T/steps.scenario" 127.0.78 >"$T/steps.out" 2>&1
rc=$?
check_eq "a scenario of lab steps runs to the end" 0 "$rc"
check_grep "and narrates each step" 'stale provider b behind=2' \
    "$T/steps.out"
check_grep "and reports the stale serial it set" \
    "serves serial $((LAB_SERIAL - 2))" "$T/steps.out"
check_grep "and commits policies" 'committed invalid-policy' "$T/steps.out"
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/steps.out"

cat >"$T/fails.scenario" <<'SC'
# an expectation that does not hold stops the scenario
lab epp= update=dyn.test
expect parent-ns dyn.test = provider-b within 1s
expect parent-ns dyn.test = provider-a
SC
t0=$(date +%s)
TMPDIR=$T timeout 60 bash "$NSF_ROOT/tests/lib/scenario.sh" \
    "$T/fails.scenario" \
    127.0.78 >"$T/fails.out" 2>&1
check_eq "a failed expectation fails the scenario" 1 $?
check_grep "and says where and what it saw" \
    'FAILED at .*fails.scenario:3: expect parent-ns dyn.test = provider-b within 1s: got provider-a' \
    "$T/fails.out"
check_no_grep "and stops there" 'fails.scenario:4\b|4: expect' "$T/fails.out"
check "and the failed scenario left no server running on 127.0.78" \
    sh -c "! ss -Hlnu 'src 127.0.78.0/24' | grep -q ."

# --- the EPP test registry --------------------------------------------------
if ! lab_registry_available; then
	skip "the EPP test registry is not on this branch yet"
	exit 0
fi
if [ ! -f "$LAB_EPP_SCHEMAS" ]; then
	skip "EPP schemas not found at $LAB_EPP_SCHEMAS (set NSF_SHARED)"
	exit 0
fi
lab_parent_set_ns example.test provider-b
LAB_LOCKED=shop.test
lab_start_registry || { not_ok "the EPP test registry starts"; exit 1; }
ok "the EPP test registry starts with the lab's certificates"
check_eq "it holds example.test on provider A" \
    "ns1.provider-a.test ns2.provider-a.test" "$(lab_registry_ns example.test)"
check_eq "and shop.test locked" clientUpdateProhibited \
    "$(lab_registry_statuses shop.test)"
check_eq "and publishes its delegations into the parent at start" \
    provider-a "$(lab_parent_group example.test)"
check_eq "dyn.test, not at the registry, keeps its parent delegation" \
    provider-a+provider-b "$(lab_parent_group dyn.test)"
lab_registry_fault 2400 domain=example.test count=2
lab_registry_fault drop-after-apply
check_eq "faults queue in the registry's fault file" \
    '[{"command": "domain:update", "domain": "example.test", "action": "code", "code": 2400}, {"command": "domain:update", "domain": "example.test", "action": "code", "code": 2400}, {"command": "domain:update", "action": "drop"}]' \
    "$(cat "$LAB_DIR/registry.faults")"

# The counts read the frame log the registry writes.
cp "$LAB_DIR/registry.frames" "$T/frames.saved"
cat >"$LAB_DIR/registry.frames" <<'LOG'
=== session=1 client=nsfo-lab command=domain:info cltrid=A result=1000
<epp><domain:name>example.test</domain:name></epp>
=== session=1 client=nsfo-lab command=domain:update cltrid=B result=2400 fault={"command": "domain:update", "action": "code", "code": 2400}
<epp><domain:name>example.test</domain:name></epp>
=== session=2 client=nsfo-lab command=domain:update cltrid=C result=dropped fault={"command": "domain:update", "action": "drop"}
<epp><domain:name>example.test</domain:name></epp>
=== session=3 client=nsfo-lab command=domain:update cltrid=D result=1000
<epp><domain:name>shop.test</domain:name></epp>
=== session=3 client=nsfo-lab command=domain:update cltrid=E result=1001 fault={"command": "domain:update", "action": "pending", "seconds": 2}
<epp><domain:name>example.test</domain:name></epp>
LOG
check_eq "updates received per domain are counted from the frame log" \
    "3 1" "$(lab_registry_updates example.test received) $(
	lab_registry_updates shop.test received)"
check_eq "and those applied (1000, 1001, dropped after applying)" \
    "2 1" "$(lab_registry_updates example.test applied) $(
	lab_registry_updates shop.test applied)"
check_eq "a resend without a read back is caught" \
    "an update was sent again without a read back" \
    "$(lab_registry_readback example.test)"
check_eq "a domain with only accepted updates needs no read back" \
    "ok (0 failed update(s), 0 read back)" \
    "$(lab_registry_readback shop.test)"
cat >"$LAB_DIR/registry.frames" <<'LOG'
=== session=1 client=nsfo-lab command=domain:update cltrid=NSFO-1 result=2400
<epp><domain:name>example.test</domain:name></epp>
=== session=2 client=nsfo-lab command=domain:info cltrid=LAB-INFO-2 result=1000
<epp><domain:name>example.test</domain:name></epp>
LOG
check_eq "the lab's own reads are not the controller's read back" \
    "the last failed update was never read back" \
    "$(lab_registry_readback example.test)"
cat >>"$LAB_DIR/registry.frames" <<'LOG'
=== session=2 client=nsfo-lab command=domain:info cltrid=NSFO-3 result=1000
<epp><domain:name hosts="all">example.test</domain:name></epp>
=== session=2 client=nsfo-lab command=domain:update cltrid=NSFO-4 result=1000
<epp><domain:name>example.test</domain:name></epp>
LOG
check_eq "a failed update read back before the next one is right" \
    "ok (1 failed update(s), 1 read back)" \
    "$(lab_registry_readback example.test)"
cp "$T/frames.saved" "$LAB_DIR/registry.frames"
