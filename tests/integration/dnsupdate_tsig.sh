#!/usr/bin/env bash
# dnsupdate_tsig: every TSIG algorithm signs updates Knot DNS accepts; a
# wrong secret, an unknown key, a wrong algorithm or a clock outside the
# fudge is reported as our own configuration problem, naming the key and
# never its secret, and changes nothing.
source "$(dirname "$0")/../lib/common.sh"
source "$NSF_ROOT/tests/lib/dns.sh"
source "$NSF_ROOT/tests/lib/dnsupdate.sh"

ADDR=127.0.30.3
S=$ADDR:$NSF_DNS_PORT
ALGS="hmac-md5 hmac-sha1 hmac-sha224 hmac-sha256 hmac-sha384 hmac-sha512"
du_zone "$T/lab.zone"
keys=()
secrets=()
for alg in $ALGS; do
	sec=$(du_secret)
	secrets+=("$sec")
	keys+=(--tsig "k-$alg:$alg:$sec")
	du_secrets "$T/secrets-$alg.yaml" parent "k-$alg" "$alg" "$sec"
done
nsf_start_knot parent "$ADDR" "${keys[@]}" "$DU_ZONE=$T/lab.zone" ||
    { not_ok "knot starts"; exit 1; }

prev="ns1.provider-a.test ns2.provider-a.test"
for alg in $ALGS; do
	du_cli "$alg" "$S" "$T/secrets-$alg.yaml" apply child.lab.test \
	    --add "ns-$alg.provider-b.test"
	check_eq "$alg: update signed and its answer verified" done \
	    "$(du_get "$alg" .result)"
done
check_eq "all six names were added" 8 \
    "$(du_ns "$ADDR" child.lab.test | wc -w | tr -d ' ')"
before=$(du_ns "$ADDR" child.lab.test)

# A wrong secret for a known key: BADSIG.
du_secrets "$T/secrets-badsig.yaml" parent k-hmac-sha256 hmac-sha256 \
    "$(du_secret)"
du_cli badsig "$S" "$T/secrets-badsig.yaml" apply child.lab.test \
    --add ns-bad.provider-b.test
check_eq "wrong secret: failed" failed "$(du_get badsig .result)"
check_eq "wrong secret: reported as our configuration problem" true \
    "$(du_get badsig .config_problem)"
check_grep "wrong secret: message names the key and BADSIG" \
    "TSIG key 'k-hmac-sha256': BADSIG" "$T/badsig.json"
check_grep "wrong secret: logged as an error" "error registry .*BADSIG" \
    "$T/badsig.log"

# A key name the server does not know: BADKEY.
du_secrets "$T/secrets-badkey.yaml" parent no-such-key hmac-sha256 \
    "$(du_secret)"
du_cli badkey "$S" "$T/secrets-badkey.yaml" apply child.lab.test \
    --add ns-bad.provider-b.test
check_eq "unknown key: reported as our configuration problem" true \
    "$(du_get badkey .config_problem)"
check_grep "unknown key: message names the key and BADKEY" \
    "'no-such-key'.*BADKEY" "$T/badkey.json"

# The right secret with the wrong algorithm.
du_secrets "$T/secrets-badalg.yaml" parent k-hmac-sha256 hmac-sha512 \
    "${secrets[3]}"
du_cli badalg "$S" "$T/secrets-badalg.yaml" apply child.lab.test \
    --add ns-bad.provider-b.test
check_eq "wrong algorithm: reported as our configuration problem" true \
    "$(du_get badalg .config_problem)"
check_grep "wrong algorithm: message names the key" "'k-hmac-sha256'" \
    "$T/badalg.json"
# The right key from a clock an hour ahead (the test build's skew switch):
# BADTIME from the real server.
NSF_TEST_CLOCK_SKEW=3600 du_cli badtime "$S" "$T/secrets-hmac-sha256.yaml" \
    apply child.lab.test --add ns-bad.provider-b.test
check_eq "clock skew: failed" failed "$(du_get badtime .result)"
check_eq "clock skew: reported as our configuration problem" true \
    "$(du_get badtime .config_problem)"
check_grep "clock skew: message names the key and BADTIME" \
    "TSIG key 'k-hmac-sha256': BADTIME \(our clock and the server's" \
    "$T/badtime.json"
check_eq "nothing changed through a bad key" "$before" \
    "$(du_ns "$ADDR" child.lab.test)"

# Errors in the secrets file itself, found when the driver opens.
du_secrets "$T/secrets-alg.yaml" parent k1 hmac-sha3 "${secrets[0]}"
du_cli openalg "$S" "$T/secrets-alg.yaml" observe child.lab.test
check_grep "unknown algorithm is refused at open, naming it" \
    "unknown algorithm 'hmac-sha3'" "$T/openalg.log"
du_secrets "$T/secrets-b64.yaml" parent k1 hmac-sha256 'not base64!'
du_cli openb64 "$S" "$T/secrets-b64.yaml" observe child.lab.test
check_grep "a secret that is not base64 is refused at open" \
    "TSIG key 'k1': the secret is not base64" "$T/openb64.log"
(umask 077; printf 'parent:\n  tsig_name: k1\n' >"$T/secrets-nofield.yaml")
du_cli nofield "$S" "$T/secrets-nofield.yaml" observe child.lab.test
check_grep "a missing secret field is named with the file" \
    "secrets-nofield.yaml: credential 'parent' has no field 'tsig_secret'" \
    "$T/nofield.log"
chmod 644 "$T/secrets-hmac-sha256.yaml"
du_cli mode "$S" "$T/secrets-hmac-sha256.yaml" observe child.lab.test
check_grep "a secrets file others can read is refused" \
    "mode 644 lets others read it" "$T/mode.log"

for sec in "${secrets[@]}"; do
	du_check_no_secret "$sec"
done
