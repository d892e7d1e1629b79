#!/usr/bin/env bash
# dnsupdate_hostile: answers that must not be believed.  An UPDATE answered
# with another id, a wrong or broken TSIG, a cut-off TCP message or garbage
# is reported as unknown (it may have been applied), with a message that
# says what was wrong; queries answered with another id, another question,
# garbage or truncation are refused or retried over TCP, never trusted.
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"
source "$NSF_ROOT/tests/lib/dnsupdate.sh"

SECRET=$(du_secret)
du_secrets "$T/secrets.yaml" parent nsf-key hmac-sha256 "$SECRET"
export DU_TIMEOUT=2s

# Answers to the UPDATE itself.
n=10
for case in \
    "wrongid|not the answer to ours \(another id" \
    "wrongkey|TSIG signature does not verify with key 'nsf-key'" \
    "badmac|cannot be trusted: the answer's TSIG signature does not verify" \
    "short|closed the connection before its whole answer came" \
    "garbage|sent a malformed answer to the update"; do
	mode=${case%%|*} want=${case#*|}
	addr=127.0.30.$n
	n=$((n + 1))
	if ! du_start_fake "$mode" "$addr" "$SECRET"; then
		not_ok "$mode: fake primary starts"
		continue
	fi
	du_cli "$mode" "$addr:$NSF_DNS_PORT" "$T/secrets.yaml" \
	    apply child.lab.test --rem ns1.provider-a.test \
	    --add ns1.provider-b.test
	check_grep "$mode: the fake primary received the signed update" \
	    "update received" "$T/fake-$mode.log"
	check_eq "$mode: outcome is unknown (it may have been applied)" \
	    unknown "$(du_get "$mode" .result)"
	check_grep "$mode: the message says what was wrong" "$want" \
	    "$T/$mode.json"
	check_grep "$mode: ... and to observe before any retry" \
	    "observe before any retry" "$T/$mode.json"
	check_eq "$mode: not blamed on our configuration" false \
	    "$(du_get "$mode" .config_problem)"
done

# Answers to the queries that observe (and apply's first read) send.
du_start_fake tc 127.0.30.20 "$SECRET" ||
    { not_ok "tc: fake primary starts"; exit 1; }
check "tc: observe retries a truncated answer over TCP" \
    du_cli tc 127.0.30.20:$NSF_DNS_PORT "$T/secrets.yaml" \
    observe child.lab.test
check_eq "tc: ... and reads the set from the TCP answer" \
    "ns1.provider-a.test ns2.provider-a.test" \
    "$(du_get tc '.nameservers | join(" ")')"

n=21
for case in \
    "tcboth|truncated answer for child.lab.test even over TCP" \
    "qgarbage|sent a malformed answer for child.lab.test" \
    "qwrongid|datagram\(s\) came back that were not the answer to our query" \
    "qother|datagram\(s\) came back that were not the answer to our query"; do
	mode=${case%%|*} want=${case#*|}
	addr=127.0.30.$n
	n=$((n + 1))
	if ! du_start_fake "$mode" "$addr" "$SECRET"; then
		not_ok "$mode: fake primary starts"
		continue
	fi
	if du_cli "$mode" "$addr:$NSF_DNS_PORT" "$T/secrets.yaml" \
	    observe child.lab.test; then
		not_ok "$mode: observe fails"
	else
		check_grep "$mode: observe fails, saying why" "$want" \
		    "$T/$mode.log"
	fi
	check_no_grep "$mode: no nameserver of the bad answer is reported" \
	    "attacker" "$T/$mode.json"
	du_cli "$mode-apply" "$addr:$NSF_DNS_PORT" "$T/secrets.yaml" \
	    apply child.lab.test \
	    --observed ns1.provider-a.test,ns2.provider-a.test \
	    --rem ns1.provider-a.test --add ns1.provider-b.test
	check_eq "$mode: apply sends nothing and says failed" failed \
	    "$(du_get "$mode-apply" .result)"
	check_no_grep "$mode: ... the update never reached the server" \
	    "update received" "$T/fake-$mode.log"
done
du_check_no_secret "$SECRET"
