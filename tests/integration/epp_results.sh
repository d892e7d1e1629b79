#!/usr/bin/env bash
# epp_results: the EPP driver against the strict test registry (host
# objects), one case per result the driver maps, with the parent zone in
# Knot showing what the registry holds.  Addresses: 127.0.20.10 (registry),
# 127.0.20.53 (parent zone).
. "$(dirname "$0")/../lib/common.sh"
. "$NSF_ROOT/tests/lib/dns.sh"
. "$NSF_ROOT/tests/lib/epp.sh"
need_shared

REG=127.0.20.10
KNOT=127.0.20.53
EPP_ADDR=$REG:7700
A="\"ns1.provider-a.test\", \"ns2.provider-a.test\""
DS1="12345 13 2 27DDD68AB71420A3D95B27152CEE83955DA06A5E96F94191958947F6D0B792D6"
DS2="54321 13 2 6D45EFC6858D589821AB9565D22F58E4D4E55A14A84F7F7847B174508B2F7C51"

epp_pki "$REG"
epp_secrets "$T/secrets.yaml"
secret=$(openssl rand -base64 32)
echo "nsfo-parent:hmac-sha256:$secret" >"$T/tsig"
nsf_zone_file "$T/test.zone" test 1 ns.test
echo "ns IN A $KNOT" >>"$T/test.zone"
nsf_start_knot parent "$KNOT" --tsig "nsfo-parent:hmac-sha256:$secret" \
    test="$T/test.zone" || { not_ok "knot parent zone starts"; exit 1; }

dom() { # name sponsor [statuses]
	echo "\"$1\": {\"sponsor\": \"$2\", \"ns\": [$A], \"statuses\": [${3:-}]}"
}
cat >"$T/registry.json" <<JSON
{
  "tlds": ["test"], "host_model": "objects", "secdns": true,
  "min_ns": 2, "max_ns": 4, "max_sessions": 2, "idle_timeout": 3,
  "registrars": {"nsfo-test": "$EPP_PW", "other-reg": "$EPP_OTHER_PW"},
  "domains": {
    "example.test": {"sponsor": "nsfo-test", "ns": [$A], "ds": ["$DS1"]},
    $(dom locked.test nsfo-test '"clientUpdateProhibited"'),
    $(dom theirs.test other-reg),
    $(dom pend.test nsfo-test), $(dom fail.test nsfo-test),
    $(dom drop.test nsfo-test), $(dom limit.test nsfo-test),
    $(dom counts.test nsfo-test), $(dom refuse.test nsfo-test),
    $(dom race.test nsfo-test), $(dom vanish.test nsfo-test),
    $(dom srvlock.test nsfo-test '"serverUpdateProhibited"'),
    $(dom deleting.test nsfo-test '"pendingDelete"'),
    $(dom moving.test nsfo-test '"pendingTransfer"'),
    $(dom provider-a.test other-reg), $(dom provider-b.test other-reg)
  },
  "hosts": {
    "ns1.provider-a.test": {"sponsor": "other-reg", "addrs": ["192.0.2.1"]},
    "ns2.provider-a.test": {"sponsor": "other-reg", "addrs": ["192.0.2.2"]},
    "ns1.provider-b.test": {"sponsor": "other-reg", "addrs": ["198.51.100.1"]},
    "ns2.provider-b.test": {"sponsor": "other-reg", "addrs": ["198.51.100.2"]},
    "ns3.provider-b.test": {"sponsor": "other-reg", "addrs": ["198.51.100.3"]},
    "ns4.provider-c.example": {"sponsor": "nsfo-test"}
  }
}
JSON
epp_start_registry reg "$EPP_ADDR" "$T/registry.json" "$KNOT" "$T/tsig" ||
    { not_ok "registry starts"; exit 1; }

# The delegation as the parent serves it: a referral (authority section).
ns_at_parent() {
	kdig @"$KNOT" -p "$NSF_DNS_PORT" +time=2 +retry=1 +norec +noall \
	    +authority "$1" NS | awk '$4 == "NS" {print $5}' | sort |
	    tr '\n' ' ' | sed 's/ $//'
}
glue_at_parent() {
	kdig @"$KNOT" -p "$NSF_DNS_PORT" +time=2 +retry=1 +norec +noall \
	    +additional "$1" NS | awk -v h="$2." '$1 == h && $4 == "A" {print $5}'
}
updates_for() { # how many domain:update frames the registry got for $1
	awk -v d="$1" '/^=== .*command=domain:update/ { u = 1; next }
	    /^=== / { u = 0 }
	    u && index($0, "<domain:name>" d "</domain:name>") { n++ }
	    END { print n + 0 }' "$T/reg.frames"
}

hostcreate() { # NAME ADDR FAMILY: a raw host:create frame
	cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><create>
<host:create xmlns:host="urn:ietf:params:xml:ns:host-1.0">
<host:name>$1</host:name><host:addr ip="$3">$2</host:addr></host:create>
</create><clTRID>TEST-HOSTCRE-1</clTRID></command></epp>
XML
}

# --- observe
epp_run observe observe example.test
check_eq "observe: nameservers as the registry holds them" \
    "ns1.provider-a.test ns2.provider-a.test" "$(jget "$T/observe.json" 'd["ns"]')"
check_eq "observe: secDNS dsData" "$DS1" "$(jget "$T/observe.json" 'd["ds"]')"
check_eq "observe: status ok" "ok" "$(jget "$T/observe.json" 'd["statuses"]')"
check_eq "parent zone shows the registry's initial delegation" \
    "ns1.provider-a.test. ns2.provider-a.test." "$(ns_at_parent example.test)"

# --- 1000: one update with add and rem and a secDNS change
epp_run swap apply example.test --add ns1.provider-b.test \
    --add ns2.provider-b.test --rem ns1.provider-a.test \
    --rem ns2.provider-a.test --ds-rem "$DS1" --ds-add "$DS2"
check_eq "1000: change done" "done 1000" \
    "$(jget "$T/swap.json" 'd["result"] + " " + str(d["code"])')"
check_grep "1000: server transaction id returned" '"svtrid":"TEST-SV-' \
    "$T/swap.json"
cl=$(jget "$T/swap.json" 'd["cltrid"]')
check_grep "1000: our clTRID is the one the registry saw" \
    "command=domain:update cltrid=$cl result=1000" "$T/reg.frames"
check_eq "1000: exactly one domain:update sent" 1 "$(updates_for example.test)"
f=$(ls "$T"/frames/swap/*domain-update.xml)
check "1000: that update carries add, rem and secDNS:update" \
    sh -c "grep -q '<domain:add>' $f && grep -q '<domain:rem>' $f &&
    grep -q '<secDNS:update' $f"
check_eq "1000: the parent zone now delegates to provider B" \
    "ns1.provider-b.test. ns2.provider-b.test." "$(ns_at_parent example.test)"
check_eq "1000: the parent zone publishes the new DS" \
    "54321 13 2 6D45EFC6858D589821AB9565D22F58E4D4E55A14A84F7F7847B174508B2F7C51" \
    "$(nsf_dig "$KNOT" example.test DS | tr -d ' ' | sed 's/^\(54321\)\(13\)\(2\)/\1 \2 \3 /')"

# --- glue only inside the domain; external hosts created without addresses
epp_run glue apply example.test --add ns1.example.test=192.0.2.53,2001:db8::53 \
    --add ns1.provider-c.example=203.0.113.7 --rem ns2.provider-b.test
check_eq "host:create: both new hosts created, update done" "done" \
    "$(jget "$T/glue.json" 'd["result"]')"
check "host:create: in-domain host carries its glue" grep -q \
    '<host:addr ip="v6">2001:db8::53</host:addr>' \
    "$(ls "$T"/frames/glue/*host-create.xml | head -1)"
check "host:create: external host has no address" sh -c \
    "! grep -q '<host:addr' $(ls "$T"/frames/glue/*host-create.xml | tail -1)"
check_eq "parent zone serves the glue" "192.0.2.53" \
    "$(glue_at_parent example.test ns1.example.test)"

# --- an existing host inside the domain gets the policy's glue first
hostcreate ns2.example.test 192.0.2.54 v4 >"$T/ns2.xml"
epp_run ns2 raw "$T/ns2.xml"
epp_run reglue apply example.test --add ns2.example.test=192.0.2.99,2001:DB8::0:99 \
    --rem ns1.provider-c.example
check_eq "existing in-domain host: glue changed, then the update" "done 1000" \
    "$(jget "$T/reglue.json" 'd["result"] + " " + str(d["code"])')"
f=$(ls "$T"/frames/reglue/*host-update.xml)
check "one host:update adds the new addresses and removes the old" sh -c \
    "grep -q '<host:add><host:addr ip=\"v4\">192.0.2.99</host:addr><host:addr ip=\"v6\">2001:db8::99</host:addr></host:add><host:rem><host:addr ip=\"v4\">192.0.2.54</host:addr></host:rem>' '$f'"
check_eq "parent zone serves the new glue" "192.0.2.99" \
    "$(glue_at_parent example.test ns2.example.test)"
hostcreate ns3.example.test 2001:db8::53 v6 >"$T/ns3.xml"
epp_run ns3 raw "$T/ns3.xml"
epp_run reglue2 apply example.test --add ns3.example.test=2001:DB8:0::53 \
    --rem ns2.example.test
check "glue already right (written another way): no host:update" sh -c \
    "ls '$T/frames/reglue2' | grep -q host-info &&
    ! ls '$T/frames/reglue2' | grep -q host-update"

# --- 2302 on host:create (someone created it meanwhile): used as it is
epp_fault reg '[{"command": "host:create", "action": "code", "code": 2302, "apply": true}]'
epp_run h2302 apply example.test --add ns2.provider-c.example --rem ns1.provider-c.example
check_eq "2302 on host:create: host used, update done" "done" \
    "$(jget "$T/h2302.json" 'd["result"]')"

# --- 2303 / 2201 on hosts that cannot be created
epp_run h2303 apply example.test --add ns1.nowhere.test=192.0.2.9
check_eq "host under an unknown domain: refused with 2303" "refused 2303" \
    "$(jget "$T/h2303.json" 'd["result"] + " " + str(d["code"])')"
epp_run h2201 apply example.test --add ns9.provider-b.test
check_grep "host of another registrar's domain: refused, host named" \
    'ns9.provider-b.test does not exist.*2201' "$T/h2201.json"
check_eq "no update was sent for either" 5 "$(updates_for example.test)"

# --- 2303 on the update: the host vanished after host:check said it
# exists; the registry did nothing, so it is created and sent once more
epp_fault reg '[{"command": "domain:update", "delete_host": "ns4.provider-c.example"}]'
epp_run vanish apply vanish.test --add ns4.provider-c.example \
    --rem ns1.provider-a.test
check_eq "2303 for a vanished host: created, update sent again, done" \
    "done 1000" "$(jget "$T/vanish.json" 'd["result"] + " " + str(d["code"])')"
check_eq "the registry saw the refused update and the good one" 2 \
    "$(updates_for vanish.test)"
check_grep "the log says what happened" \
    'host ns4.provider-c.example vanished after host:check \(2303\)' \
    "$T/vanish.clientlog"

# --- statuses read before the update
epp_run locked apply locked.test --add ns1.provider-b.test --rem ns1.provider-a.test
check_eq "clientUpdateProhibited: refused before sending" "refused" \
    "$(jget "$T/locked.json" 'd["result"]')"
check_grep "clientUpdateProhibited: the status is named" \
    'status clientUpdateProhibited prohibits' "$T/locked.json"
check_eq "clientUpdateProhibited: no domain:update sent" 0 "$(updates_for locked.test)"
status_update() { # DOMAIN add|rem STATUS [extra domain:add content]
	cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><update>
<domain:update xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
<domain:name>$1</domain:name><domain:$2>${4:-}<domain:status s="$3"/>
</domain:$2></domain:update></update>
<clTRID>TEST-STATUS-1</clTRID></command></epp>
XML
}
status_update locked.test add clientHold \
    '<domain:ns><domain:hostObj>ns1.provider-b.test</domain:hostObj></domain:ns>' \
    >"$T/st-mixed.xml"
epp_run st-mixed raw "$T/st-mixed.xml"
status_update locked.test rem clientUpdateProhibited >"$T/st-unlock.xml"
epp_run st-unlock raw "$T/st-unlock.xml"
epp_run st-after observe locked.test
status_update locked.test add serverHold >"$T/st-server.xml"
epp_run st-server raw "$T/st-server.xml"
check_eq "registry: a locked domain takes only status changes (RFC 5731 3.2.5)" \
    "2304 1000 ok 2306" "$(jget "$T/st-mixed.json" 'd["code"]') $(jget \
    "$T/st-unlock.json" 'd["code"]') $(jget "$T/st-after.json" \
    'd["statuses"]') $(jget "$T/st-server.json" 'd["code"]')"

for d in srvlock.test:serverUpdateProhibited deleting.test:pendingDelete \
    moving.test:pendingTransfer; do
	epp_run "st-${d%%.*}" apply "${d%%:*}" --add ns1.provider-b.test \
	    --rem ns1.provider-a.test
	check_grep "${d#*:}: refused before sending, status named" \
	    "\"result\":\"refused\".*status ${d#*:} prohibits" \
	    "$T/st-${d%%.*}.json"
	check_eq "${d#*:}: no domain:update sent" 0 "$(updates_for "${d%%:*}")"
done

# --- 2201: another registrar's domain
epp_run theirs apply theirs.test --add ns1.provider-b.test --rem ns1.provider-a.test
check_eq "2201: refused" "refused 2201" \
    "$(jget "$T/theirs.json" 'd["result"] + " " + str(d["code"])')"

# --- 2306 / 2308: nameserver counts
epp_run many apply counts.test --add ns1.provider-b.test \
    --add ns2.provider-b.test --add ns3.provider-b.test
check_eq "2306: more than the registry's maximum" "refused 2306" \
    "$(jget "$T/many.json" 'd["result"] + " " + str(d["code"])')"
check_grep "2306: the registry's reason is in the message" 'at most 4' "$T/many.json"
epp_run few apply counts.test --rem ns1.provider-a.test
check_eq "2308: fewer than the registry's minimum" "refused 2308" \
    "$(jget "$T/few.json" 'd["result"] + " " + str(d["code"])')"

# --- 2305: a refusal the registry gives for associations
epp_fault reg '[{"command": "domain:update", "action": "code", "code": 2305}]'
epp_run r2305 apply refuse.test --add ns1.provider-b.test --rem ns1.provider-a.test
check_eq "2305 on domain:update: refused" "refused 2305" \
    "$(jget "$T/r2305.json" 'd["result"] + " " + str(d["code"])')"
cat >"$T/hostdel.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><delete>
<host:delete xmlns:host="urn:ietf:params:xml:ns:host-1.0">
<host:name>ns1.example.test</host:name></host:delete></delete>
<clTRID>TEST-HOSTDEL-1</clTRID></command></epp>
XML
epp_run hostdel raw "$T/hostdel.xml"
check_eq "registry: deleting a linked host gives 2305" 2305 \
    "$(jget "$T/hostdel.json" 'd["code"]')"

hostcreate ns5.example.test 192.0.2.300 v4 >"$T/badip.xml"
epp_run badip raw "$T/badip.xml"
hostcreate ns5.example.test 192.0.2.5 v6 >"$T/badfam.xml"
epp_run badfam raw "$T/badfam.xml"
hostcreate ns5..example.test 192.0.2.5 v4 >"$T/badname.xml"
epp_run badname raw "$T/badname.xml"
check_eq "registry: a bad address, a v4 address marked v6, a bad host name: 2005" \
    "2005 2005 2005" "$(jget "$T/badip.json" 'd["code"]') $(jget \
    "$T/badfam.json" 'd["code"]') $(jget "$T/badname.json" 'd["code"]')"

epp_run longtrid apply refuse.test --add ns1.provider-b.test \
    --cltrid "$(printf 'T%.0s' $(seq 65))"
check_grep "a client transaction id over 64 characters: refused, not sent" \
    '"result":"refused".*"config_problem":true.*has 65 characters; EPP allows 3 to 64' \
    "$T/longtrid.json"

cat >"$T/nohost.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><update>
<domain:update xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
<domain:name>refuse.test</domain:name><domain:add><domain:ns>
<domain:hostObj>ns7.nowhere.example</domain:hostObj></domain:ns></domain:add>
</domain:update></update><clTRID>TEST-NOHOST-1</clTRID></command></epp>
XML
epp_run nohost raw "$T/nohost.xml"
check_eq "registry: a host object that does not exist cannot be used (2303)" \
    2303 "$(jget "$T/nohost.json" 'd["code"]')"

# --- 1001: pending, never re-sent, completed through poll
epp_fault reg '[{"command": "domain:update", "action": "pending", "seconds": 2}]'
epp_run pend apply pend.test --add ns1.provider-b.test --add ns2.provider-b.test \
    --rem ns1.provider-a.test --rem ns2.provider-a.test
check_eq "1001: pending" "pending 1001" \
    "$(jget "$T/pend.json" 'd["result"] + " " + str(d["code"])')"
epp_run pend-obs observe pend.test
check_eq "1001: domain shows pendingUpdate and the old set" \
    "pendingUpdate|ns1.provider-a.test ns2.provider-a.test" \
    "$(jget "$T/pend-obs.json" '" ".join(d["statuses"]) + "|" + " ".join(d["ns"])')"
epp_run pend-again apply pend.test --add ns1.provider-b.test \
    --add ns2.provider-b.test --rem ns1.provider-a.test --rem ns2.provider-a.test
check_eq "a retry while pendingUpdate shows: pending, nothing sent" \
    "pending 0" \
    "$(jget "$T/pend-again.json" 'd["result"] + " " + str(d["code"])')"
check_grep "and the message says why" 'already pending.*pendingUpdate' \
    "$T/pend-again.json"
polled() { epp_run poll poll && grep -q '"pend.test"' "$T/poll.json"; }
check "poll: panData reports the pending change completed" wait_for 15 polled
check_grep "poll: the message was acknowledged" 'command=poll .*result=1000' "$T/reg.frames"
epp_run pend-done observe pend.test
check_eq "1001: domain:info confirms the new set" \
    "ns1.provider-b.test ns2.provider-b.test" "$(jget "$T/pend-done.json" 'd["ns"]')"
check_eq "1001: the parent zone follows" \
    "ns1.provider-b.test. ns2.provider-b.test." "$(ns_at_parent pend.test)"
check_eq "1001: the change was sent once, never re-sent" 1 \
    "$(updates_for pend.test)"
epp_run pend-redo apply pend.test --add ns1.provider-b.test \
    --add ns2.provider-b.test --rem ns1.provider-a.test --rem ns2.provider-a.test
check_eq "once completed, the same change is seen as done without sending" \
    "done 0 1" "$(jget "$T/pend-redo.json" 'd["result"] + " " + str(d["code"])') $(updates_for pend.test)"

# --- 2304 from the registry itself: the domain is locked between our
# domain:info and the update (a registrant's lock racing the failover)
epp_fault reg '[{"command": "domain:update", "status": "serverUpdateProhibited"}]'
epp_run race apply refuse.test --add ns1.provider-b.test --rem ns1.provider-a.test
check_eq "2304 after a race: refused" "refused 2304" \
    "$(jget "$T/race.json" 'd["result"] + " " + str(d["code"])')"
check_grep "2304: the status the registry named is in the message" \
    'status serverUpdateProhibited prohibits updating refuse.test \(2304\)' \
    "$T/race.json"
epp_fault reg '[{"command": "domain:update", "status": "clientUpdateProhibited",
    "action": "code", "code": 2304}]'
epp_run race2 apply race.test --add ns1.provider-b.test --rem ns1.provider-a.test
check_grep "a bare 2304: the status is read back with domain:info" \
    '"result":"refused","code":2304.*status clientUpdateProhibited prohibits' \
    "$T/race2.json"

# --- 2400 after applying: unknown, re-read shows it happened
epp_fault reg '[{"command": "domain:update", "action": "code", "code": 2400, "apply": true}]'
epp_run fail apply fail.test --add ns1.provider-b.test --rem ns1.provider-a.test
check_eq "2400: outcome unknown" "unknown 2400" \
    "$(jget "$T/fail.json" 'd["result"] + " " + str(d["code"])')"
check_eq "2400: domain:info re-read shows the change applied" \
    "ns1.provider-b.test ns2.provider-a.test" "$(jget "$T/fail.json" 'd["reread"]["ns"]')"
check_eq "2400: not re-sent" 1 "$(updates_for fail.test)"

# --- connection dropped after applying
epp_fault reg '[{"command": "domain:update", "action": "drop", "apply": true}]'
epp_run drop apply drop.test --add ns1.provider-b.test --rem ns1.provider-a.test
check_eq "dropped connection: outcome unknown" "unknown" \
    "$(jget "$T/drop.json" 'd["result"]')"
check_eq "dropped connection: re-read on a new session shows it applied" \
    "ns1.provider-b.test ns2.provider-a.test|2" \
    "$(jget "$T/drop.json" '" ".join(d["reread"]["ns"]) + "|" + str(d["logins"])')"
check_eq "dropped connection: not re-sent" 1 "$(updates_for drop.test)"

# --- 2502 answered to the update: unknown; re-read shows nothing happened
epp_fault reg '[{"command": "domain:update", "action": "code", "code": 2502}]'
epp_run limit apply limit.test --add ns1.provider-b.test --rem ns1.provider-a.test
check_eq "2502: outcome unknown" "unknown 2502" \
    "$(jget "$T/limit.json" 'd["result"] + " " + str(d["code"])')"
check_eq "2502: re-read shows the old set" \
    "ns1.provider-a.test ns2.provider-a.test" "$(jget "$T/limit.json" 'd["reread"]["ns"]')"

# --- 2500 answered to the update: unknown, and the registry closed the
# session, so the re-read needs a new one
epp_fault reg '[{"command": "domain:update", "action": "code", "code": 2500}]'
epp_run c2500 apply limit.test --add ns1.provider-b.test --rem ns1.provider-a.test
check_eq "2500: outcome unknown, re-read on a new session" "unknown 2500 2" \
    "$(jget "$T/c2500.json" '" ".join([d["result"], str(d["code"]),
    str(d["logins"])])')"

# --- 2502 session limit at login; keepalive keeps sessions alive past the
# registry's 3 s idle timeout
logins() { grep -c 'command=login.*result=1000' "$T/reg.frames"; }
before=$(logins)
epp_run hold1 --keepalive 1s hold example.test 6 & h1=$!
epp_run hold2 --keepalive 1s hold example.test 6 & h2=$!
nsf_track_pid $h1; nsf_track_pid $h2
two_more() { [ "$(logins)" -ge $((before + 2)) ]; }
wait_for 10 two_more ||
    echo "# the two holding sessions did not log in"
epp_run third observe example.test
check_grep "2502: a third session is refused at login" \
    'refused the login \(2502' "$T/third.json"
wait $h1; wait $h2
check_eq "keepalive: hello kept the session past the idle timeout" \
    "ok 1" "$(jget "$T/hold1.json" 'd["keepalive"] + " " + str(d["logins"])')"
check_grep "keepalive: the registry saw hello frames" 'command=hello' "$T/reg.frames"

# --- login errors
epp_secrets "$T/badpw.yaml" 'wrong-pw-000'
EPP_SECRETS=$T/badpw.yaml epp_run badpw observe example.test
check_grep "2200: a bad password is reported as our configuration" \
    'refused the login of .nsfo-test. \(2200.*check credential' "$T/badpw.json"
# other-reg's right password, but our certificate (issued to nsfo-test)
sed -e "s/username: nsfo-test/username: other-reg/" \
    -e "s/password: .*/password: '$EPP_OTHER_PW'/" "$T/secrets.yaml" \
    >"$T/othercert.yaml"
chmod 600 "$T/othercert.yaml"
EPP_SECRETS=$T/othercert.yaml epp_run othercert observe theirs.test
check_grep "2200: a registrar logs in only with its own certificate" \
    "refused the login of .other-reg. \(2200 authentication error: the client certificate is issued to nsfo-test, not to other-reg\)" \
    "$T/othercert.json"
/usr/bin/python3 - "$REG" "$T/pki" >"$T/nologin.out" 2>&1 <<'PY'
import socket, ssl, struct, sys
ctx = ssl.create_default_context(cafile=sys.argv[2] + "/ca.pem")
ctx.load_cert_chain(sys.argv[2] + "/client.pem", sys.argv[2] + "/client.key")
s = ctx.wrap_socket(socket.create_connection((sys.argv[1], 7700)),
                    server_hostname="epp.registry.test")
def exact(n):
    b = b""
    while len(b) < n:
        b += s.recv(n - len(b))
    return b
def rd():
    return exact(struct.unpack(">I", exact(4))[0] - 4)
rd()
x = (b'<?xml version="1.0" encoding="UTF-8"?><epp xmlns="urn:ietf:params:'
     b'xml:ns:epp-1.0"><command><info><domain:info xmlns:domain="urn:ietf:'
     b'params:xml:ns:domain-1.0"><domain:name>example.test</domain:name>'
     b'</domain:info></info><clTRID>TEST-NOLOGIN-1</clTRID></command></epp>')
s.sendall(struct.pack(">I", len(x) + 4) + x)
print(rd().decode())
PY
check_grep "2002: commands before login are refused" 'code="2002"' "$T/nologin.out"

check_grep "sessions end with logout, answered 1500" \
    'command=logout cltrid=NSFO-.* result=1500' "$T/reg.frames"

# --- every frame our client sent is valid
check_no_grep "the registry never answered 2001 to our client" \
    'result=2001' "$T/reg.frames"
nframes=$(find "$T/frames" -name '*.xml' | wc -l)
bad=0
for f in $(find "$T/frames" -name '*.xml'); do
	xmllint --noout --schema "$NSF_SHARED/epp/xsd/epp-all.xsd" "$f" \
	    >/dev/null 2>>"$T/xmllint.err" || bad=$((bad + 1))
done
check_eq "xmllint: all $nframes saved client frames validate" 0 "$bad"

# --- the registry itself is strict
cat >"$T/invalid.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><command><update>
<domain:update xmlns:domain="urn:ietf:params:xml:ns:domain-1.0">
<domain:name>example.test</domain:name>
<domain:nameservers>ns1.provider-b.test</domain:nameservers>
</domain:update></update><clTRID>TEST-INVALID-1</clTRID></command></epp>
XML
epp_run invalid raw "$T/invalid.xml"
check_eq "registry: an invalid frame is answered 2001" 2001 \
    "$(jget "$T/invalid.json" 'd["code"]')"
# The shared example frames: each invalid one is refused with 2001, each
# valid command passes validation (whatever the registry then decides).
n=0 wrong=""
for f in "$NSF_SHARED"/epp/examples/invalid/c-*.xml; do
	epp_run ex-inv raw "$f"
	n=$((n + 1))
	[ "$(jget "$T/ex-inv.json" 'd.get("code")')" = 2001 ] ||
	    wrong+=" ${f##*/}"
done
check_eq "registry: all $n invalid example commands answered 2001" "" "$wrong"
n=0 wrong=""
for f in "$NSF_SHARED"/epp/examples/c-*.xml; do
	case ${f##*/} in c-hello.xml|c-login.xml|c-logout.xml) continue ;; esac
	epp_run ex-ok raw "$f"
	n=$((n + 1))
	code=$(jget "$T/ex-ok.json" 'd.get("code")')
	case $code in 2001|None|"") wrong+=" ${f##*/}($code)" ;; esac
done
check_eq "registry: all $n valid example commands pass its validation" "" \
    "$wrong"

/usr/bin/python3 "$EPP_REGISTRY" --config "$T/registry.json" \
    --listen 127.0.20.11:7700 --cert x --key x --ca x \
    --schemas "$T/nowhere/epp-all.xsd" --frame-log "$T/x.frames" \
    >"$T/noschema.out" 2>&1
check_grep "registry: refuses to start without the schemas" \
    'schemas are missing.*refusing to start' "$T/noschema.out"
check_no_grep "registry: every response it sent was schema-valid" \
    'BUG invalid response' "$T/reg.log"

# --- no secret in any log
leak=0
for f in "$T"/*.log "$T"/*.clientlog "$T"/*.frames "$T"/[!r]*.json; do
	grep -qF -- "$EPP_PW" "$f" && { echo "# password in $f"; leak=1; }
	while read -r line; do
		case $line in -----*|"") continue ;; esac
		grep -qF -- "$line" "$f" && { echo "# key material in $f"; leak=1; }
	done <"$T/pki/client.key"
done
check_eq "no password or key material in any log" 0 "$leak"

cat "$T"/*.clientlog >"$T/all.clientlog"
check_no_grep "no sanitizer report from the client" \
    'LeakSanitizer|AddressSanitizer|runtime error' "$T/all.clientlog"
