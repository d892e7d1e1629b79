#!/usr/bin/env bash
# epp_tls: the EPP driver's TLS: the registry's certificate is verified
# against the configured CA and the server address, and the registry
# requires our client certificate.  Addresses: 127.0.20.30 (registry with a
# good certificate), 127.0.20.31 (registry whose certificate names another
# address), 127.0.20.32 (nobody listens), 127.0.20.33 (a TLS 1.1 server).
. "$(dirname "$0")/../lib/common.sh"
. "$NSF_ROOT/tests/lib/epp.sh"
need_shared

REG=127.0.20.30
EPP_ADDR=$REG:7700

epp_pki "$REG"
nsf_cert_client "$T/pki" badclient otherca nsfo-test
epp_secrets "$T/secrets.yaml"
epp_secrets "$T/nocert.yaml" "$EPP_PW" no-cert
sed -e "s#/client\\.pem#/badclient.pem#" -e "s#/client\\.key#/badclient.key#" \
    "$T/secrets.yaml" >"$T/badcert.yaml"
chmod 600 "$T/badcert.yaml"
cat >"$T/registry.json" <<JSON
{ "tlds": ["test"], "registrars": {"nsfo-test": "$EPP_PW"},
  "idle_timeout": 3,
  "domains": {"example.test": {"sponsor": "nsfo-test",
    "ns": ["ns1.provider-a.test", "ns2.provider-a.test"]}},
  "hosts": {} }
JSON
epp_start_registry reg "$EPP_ADDR" "$T/registry.json" ||
    { not_ok "registry starts"; exit 1; }
epp_start_registry wrong 127.0.20.31:7700 "$T/registry.json" "" "" wrongname ||
    { not_ok "second registry starts"; exit 1; }

epp_run good observe example.test
check_eq "verified TLS session: observe works" \
    "ns1.provider-a.test ns2.provider-a.test" "$(jget "$T/good.json" 'd["ns"]')"

# Reached by address, verified by name (as a registry's host name is):
# the certificate names epp.registry.test, and the name goes out as SNI.
epp_run byname --tls-name epp.registry.test observe example.test
check_eq "host name in the certificate: accepted" \
    "ns1.provider-a.test ns2.provider-a.test" "$(jget "$T/byname.json" 'd["ns"]')"
check_grep "and the name was sent as SNI" '^=== tls sni=epp.registry.test$' \
    "$T/reg.frames"
epp_run othername --tls-name other.registry.test observe example.test
check_grep "another host name: refused with the reason" \
    "certificate was not accepted: hostname mismatch" "$T/othername.json"

# --- session upkeep: the registry closes sessions idle for 3 s
epp_run idle --keepalive 60s hold example.test 5
check_eq "idle session closed by the registry: the next read reconnects" \
    "ns1.provider-a.test ns2.provider-a.test|2" \
    "$(jget "$T/idle.json" '" ".join(d["after"]["ns"]) + "|" + str(d["logins"])')"
epp_run alive --keepalive 1s hold example.test 5
check_eq "hello within the idle timeout keeps the session" "ok|1" \
    "$(jget "$T/alive.json" 'd["keepalive"] + "|" + str(d["logins"])')"

# --- bounded reads: size and time
epp_fault reg '[{"command": "domain:info", "action": "oversize"}]'
epp_run big observe example.test
check_grep "a frame over the size limit is refused" \
    'announced a frame of 67108864 bytes' "$T/big.json"
epp_fault reg '[{"command": "domain:info", "delay": 4}]'
start=$(date +%s)
epp_run slow --timeout 2s observe example.test
check_grep "a registry slower than the timeout: a clear error" \
    'did not answer in time' "$T/slow.json"
check "the timeout bounds the wait" test $(($(date +%s) - start)) -lt 4

EPP_CA=$T/pki/otherca.pem epp_run wrongca observe example.test
check_grep "wrong CA: the registry's certificate is refused" \
    "certificate was not accepted: (unable to get local issuer|self-signed certificate in certificate chain)" "$T/wrongca.json"

EPP_ADDR=127.0.20.31:7700 epp_run wrongname observe example.test
check_grep "certificate for another address: refused" \
    "certificate was not accepted: IP address mismatch" "$T/wrongname.json"
check_no_grep "wrong name: no frame ever reached that registry" \
    "command=" "$T/wrong.frames"

cp "$T/pki/client.key" "$T/pki/open.key"
chmod 644 "$T/pki/open.key"
sed "s#/client\\.key#/open.key#" "$T/secrets.yaml" >"$T/openkey.yaml"
chmod 600 "$T/openkey.yaml"
EPP_SECRETS=$T/openkey.yaml epp_run openkey observe example.test
cat "$T/openkey.json" "$T/openkey.clientlog" >"$T/openkey.out"
check_grep "a client key readable by others is refused, credential named" \
    "credential 'registry-main': the client_key file can be read by group or others \(mode 0644\)" \
    "$T/openkey.out"

# frame-log lines written since the line count saved in $mark
since() { tail -n +$((mark + 1)) "$T/reg.frames"; }
mark=$(wc -l <"$T/reg.frames")
EPP_SECRETS=$T/nocert.yaml epp_run nocert observe example.test
check_grep "no client certificate: the session fails in TLS" \
    'registry test-registry, (connecting|greeting): .*certificate required; the registry did not accept our client certificate' \
    "$T/nocert.json"
since >"$T/nocert.reg"
check_grep "no client certificate: the registry refused the handshake" \
    "tls handshake failed|connection lost.*CERTIFICATE" "$T/nocert.reg"

mark=$(wc -l <"$T/reg.frames")
EPP_SECRETS=$T/badcert.yaml epp_run badcert observe example.test
check_grep "client certificate from another CA: the session fails in TLS" \
    'registry test-registry, (connecting|greeting): .*unknown ca; the registry did not accept our client certificate' \
    "$T/badcert.json"
since >"$T/badcert.reg"
check_grep "client certificate from another CA: the registry refused it" \
    "tls handshake failed.*(CERTIFICATE_VERIFY_FAILED|unknown ca|certificate verify failed)" \
    "$T/badcert.reg"
check_no_grep "no command was ever served without a trusted client cert" \
    "client=- command=domain" "$T/reg.frames"

# A server that speaks only TLS 1.1 (with a certificate the client would
# otherwise accept): refused during the handshake, before any EPP.
nsf_spawn old openssl s_server -quiet -accept 127.0.20.33:7700 \
    -cert "$T/pki/server.pem" -key "$T/pki/server.key" -tls1_1 \
    -cipher 'DEFAULT:@SECLEVEL=0'
wait_for 5 sh -c "ss -Hltn 'src 127.0.20.33' | grep -q 7700"
EPP_ADDR=127.0.20.33:7700 epp_run tls11 observe example.test
check_grep "a registry offering only TLS 1.1: refused in the handshake" \
    'registry test-registry, connecting: .*; the registry does not offer TLS 1.2 or newer' \
    "$T/tls11.json"

EPP_ADDR=127.0.20.32:7700 epp_run down observe example.test
check_grep "nobody listening: a clear error, next attempt backed off" \
    "cannot open a session with registry test-registry.*next attempt in 1000 ms" \
    "$T/down.clientlog"

EPP_ADDR=127.0.20.32:7700 epp_run down2 retry example.test 2 200ms
check_grep "within the backoff no new attempt is made; the wait is named" \
    'waiting [0-9]+ ms before the next connection attempt' "$T/down2.json"

# Two sessions fail (garbage greetings), the wait doubles, the third
# attempt works and logs in once.
epp_fault reg '[{"command": "greeting", "action": "garbage"},
    {"command": "greeting", "action": "garbage"}]'
epp_run backoff retry example.test 4 1200ms
check_eq "backoff: fail, fail, wait, then a session" "error error error ok" \
    "$(jget "$T/backoff.json" '" ".join("error" if "error" in t else "ok"
	for t in d["tries"])')"
check "backoff: the wait doubled (1000 ms, then 2000 ms)" sh -c \
    "grep -q 'next attempt in 1000 ms' '$T/backoff.clientlog' &&
    grep -q 'next attempt in 2000 ms' '$T/backoff.clientlog'"
check_grep "backoff: the third try waited instead of connecting" \
    'waiting [0-9]+ ms' "$T/backoff.json"
check_eq "backoff: the registry saw two failed sessions and one login" "2 1" \
    "$(grep -c 'greeting fault=' "$T/reg.frames") $(jget "$T/backoff.json" \
    'd["logins"]')"

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
