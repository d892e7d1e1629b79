#!/usr/bin/env bash
# epp_hostile: a registry that answers badly (frames that are not XML,
# cut short, too large, for another transaction, without transaction ids,
# a greeting that offers too little).  The driver must give a clear error
# naming the registry and the step, end the session, never treat a broken
# answer to domain:update as success or failure (the outcome is unknown),
# and work again on the next session.  Address: 127.0.20.40 (registry).
. "$(dirname "$0")/../lib/common.sh"
. "$NSF_ROOT/tests/lib/epp.sh"
need_shared

REG=127.0.20.40
EPP_ADDR=$REG:7700
A="\"ns1.provider-a.test\", \"ns2.provider-a.test\""

epp_pki "$REG"
epp_secrets "$T/secrets.yaml"
cat >"$T/registry.json" <<JSON
{
  "tlds": ["test"], "host_model": "objects", "secdns": true,
  "min_ns": 2, "max_ns": 13,
  "registrars": {"nsfo-test": "$EPP_PW"},
  "domains": {
    "example.test": {"sponsor": "nsfo-test", "ns": [$A]},
    "cltrid.test": {"sponsor": "nsfo-test", "ns": [$A]},
    "garbage.test": {"sponsor": "nsfo-test", "ns": [$A]},
    "cut.test": {"sponsor": "nsfo-test", "ns": [$A]},
    "hosts.test": {"sponsor": "nsfo-test", "ns": [$A]}
  },
  "hosts": {
    "ns1.provider-a.test": {"sponsor": "nsfo-test", "addrs": ["192.0.2.1"]},
    "ns2.provider-a.test": {"sponsor": "nsfo-test", "addrs": ["192.0.2.2"]},
    "ns1.provider-b.test": {"sponsor": "nsfo-test", "addrs": ["198.51.100.1"]}
  }
}
JSON
epp_start_registry reg "$EPP_ADDR" "$T/registry.json" ||
    { not_ok "registry starts"; exit 1; }

err() { jget "$T/$1.json" 'd.get("error", d.get("message", ""))'; }
updates_for() {
	grep -c "command=domain:update cltrid=.*\(result\|fault\)" "$T/reg.frames" |
	    tr -d ' '
}
B=ns1.provider-b.test

# --- broken greetings
epp_fault reg '[{"command": "greeting", "action": "garbage"}]'
epp_run g-garbage observe example.test
check_grep "greeting not well-formed: registry, step and parser's reason named" \
    'registry test-registry, greeting: the registry sent a frame that is not well-formed XML \(line [0-9]+: ' \
    "$T/g-garbage.json"

epp_fault reg '[{"command": "greeting", "action": "truncate"}]'
epp_run g-cut observe example.test
check_grep "greeting cut short: says how much of the frame arrived" \
    'greeting: truncated frame \([0-9]+ of the [0-9]+ bytes announced\): ' \
    "$T/g-cut.json"

epp_fault reg '[{"command": "greeting", "action": "oversize"}]'
epp_run g-big observe example.test
check_grep "greeting announcing 64 MiB: refused before reading it" \
    'greeting: the registry announced a frame of 67108864 bytes' \
    "$T/g-big.json"

epp_fault reg '[{"command": "greeting", "objs": ["urn:ietf:params:xml:ns:host-1.0"]}]'
epp_run g-nodomain observe example.test
check_grep "greeting without the domain mapping: clear error" \
    'does not offer the domain mapping' "$T/g-nodomain.json"
check_no_grep "and no login was attempted on that session" \
    'session=[0-9]+ client=- command=login' "$T/reg.frames"

epp_fault reg '[{"command": "greeting", "exts": []}]'
epp_run g-nosec observe example.test
check_eq "greeting without secDNS: observe still works" \
    "ns1.provider-a.test ns2.provider-a.test" "$(jget "$T/g-nosec.json" 'd["ns"]')"
check_no_grep "and login does not announce secDNS" 'secDNS' \
    "$(ls "$T"/frames/g-nosec/*login.xml)"

# --- broken answers to read-only commands
epp_fault reg '[{"command": "domain:info", "action": "garbage"}]'
epp_run i-garbage observe example.test
check_grep "domain:info answer not well-formed: clear error" \
    'registry test-registry, domain-info: the registry sent a frame that is not well-formed XML \(line' \
    "$T/i-garbage.json"

epp_fault reg '[{"command": "domain:info", "action": "wrong-cltrid"}]'
epp_run i-cltrid observe example.test
check_grep "answer for another transaction: both ids named" \
    'domain-info: the registry answered transaction OTHER-NSFO-[0-9-]+ while we sent NSFO-' \
    "$T/i-cltrid.json"

epp_fault reg '[{"command": "domain:info", "action": "no-cltrid"}]'
epp_run i-nocl observe example.test
check_grep "answer without our clTRID: refused" \
    'did not echo our transaction id NSFO-' "$T/i-nocl.json"

epp_fault reg '[{"command": "domain:info", "action": "no-svtrid"}]'
epp_run i-nosv observe example.test
check_grep "answer without svTRID: refused" \
    'carries no server transaction id \(svTRID\)' "$T/i-nosv.json"

epp_fault reg '[{"command": "domain:info", "action": "truncate"}]'
epp_run i-cut observe example.test
check_grep "answer cut short: the session ends, the truncation is logged" \
    'session with registry test-registry ended: truncated frame \([0-9]+ of the [0-9]+ bytes announced\)' \
    "$T/i-cut.clientlog"
check_eq "and the read-only domain:info is retried once on a new session" \
    "ns1.provider-a.test ns2.provider-a.test|2" \
    "$(jget "$T/i-cut.json" '" ".join(d["ns"]) + "|" + str(d["logins"])')"

epp_fault reg '[{"command": "domain:info", "action": "truncate", "hold": 4}]'
epp_run i-stall --timeout 2s observe example.test
check_grep "half an answer, then silence: bounded by the timeout, progress named" \
    'incomplete frame \([0-9]+ of the [0-9]+ bytes announced\): the registry did not answer in time' \
    "$T/i-stall.clientlog"

epp_fault reg '[{"command": "domain:info", "action": "twice", "apply": true}]'
epp_run twice retry example.test 2 100ms
check_eq "an answer sent twice: the stale copy is never read as an answer" \
    "ns1.provider-a.test ns2.provider-a.test|ns1.provider-a.test ns2.provider-a.test|2" \
    "$(jget "$T/twice.json" '"|".join([" ".join(t["ns"])
    for t in d["tries"]] + [str(d["logins"])])')"
check_grep "the unasked data ended the session before the next command" \
    'ended: the registry closed the connection or sent data nobody asked for' \
    "$T/twice.clientlog"

epp_fault reg '[{"command": "login", "action": "garbage"}]'
epp_run l-garbage observe example.test
check_grep "login answer not well-formed: clear error" \
    'registry test-registry, login: the registry sent a frame that is not well-formed' \
    "$T/l-garbage.json"

epp_fault reg '[{"command": "host:check", "action": "wrong-cltrid"}]'
epp_run h-cltrid apply hosts.test --add ns1.provider-c.example \
    --rem ns1.provider-a.test
check_eq "broken host:check answer: failed, nothing changed" "failed" \
    "$(jget "$T/h-cltrid.json" 'd["result"]')"
check_grep "and says the update was never sent" \
    'host:check failed: .*answered transaction OTHER-.*nothing was changed' \
    "$T/h-cltrid.json"

# --- broken answers to domain:update: the outcome is unknown, re-read
epp_fault reg '[{"command": "domain:update", "action": "wrong-cltrid", "apply": true}]'
epp_run u-cltrid apply cltrid.test --add $B --rem ns1.provider-a.test
check_eq "update answered for another transaction: unknown" "unknown" \
    "$(jget "$T/u-cltrid.json" 'd["result"]')"
check_grep "and the message says to re-read before any retry" \
    'outcome unknown: .*answered transaction OTHER-.*re-read with domain:info before any retry' \
    "$T/u-cltrid.json"
check_eq "the re-read on a new session shows the registry did apply it" \
    "$B ns2.provider-a.test|2" \
    "$(jget "$T/u-cltrid.json" '" ".join(d["reread"]["ns"]) + "|" + str(d["logins"])')"

epp_fault reg '[{"command": "domain:update", "action": "garbage"}]'
epp_run u-garbage apply garbage.test --add $B --rem ns1.provider-a.test
check_eq "update answered with garbage: unknown" "unknown" \
    "$(jget "$T/u-garbage.json" 'd["result"]')"
check_eq "the re-read shows it did not happen" \
    "ns1.provider-a.test ns2.provider-a.test" \
    "$(jget "$T/u-garbage.json" '" ".join(d["reread"]["ns"])')"

epp_fault reg '[{"command": "domain:update", "action": "truncate", "apply": true}]'
epp_run u-cut apply cut.test --add $B --rem ns1.provider-a.test
check_eq "update answer cut short: unknown" "unknown" \
    "$(jget "$T/u-cut.json" 'd["result"]')"
check_grep "with the truncation named" 'truncated frame' "$T/u-cut.json"
check_eq "the re-read shows it happened" "$B ns2.provider-a.test" \
    "$(jget "$T/u-cut.json" '" ".join(d["reread"]["ns"])')"
epp_run u-cut2 apply cut.test --add $B --rem ns1.provider-a.test
check_eq "retrying the same change after the re-read sends nothing" \
    "done 0" "$(jget "$T/u-cut2.json" 'd["result"] + " " + str(d["code"])')"
check_eq "each domain:update reached the registry exactly once" 3 \
    "$(updates_for)"

epp_run after observe example.test
check_eq "after all that, a plain observe works" \
    "ns1.provider-a.test ns2.provider-a.test" "$(jget "$T/after.json" 'd["ns"]')"
check_no_grep "the registry never answered 2001 to our client" \
    'result=2001' "$T/reg.frames"

leak=0
for f in "$T"/*.log "$T"/*.clientlog "$T"/*.frames "$T"/[!r]*.json; do
	grep -qF -- "$EPP_PW" "$f" && { echo "# password in $f"; leak=1; }
done
check_eq "no password in any log, even when answers break" 0 "$leak"

cat "$T"/*.clientlog >"$T/all.clientlog"
check_no_grep "no sanitizer report from the client" \
    'LeakSanitizer|AddressSanitizer|runtime error' "$T/all.clientlog"
