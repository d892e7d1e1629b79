# dnsupdate.sh - a Knot DNS parent zone with TSIG, and the registry test
# driver, for the DNS UPDATE scenarios.  Source after common.sh and dns.sh.
#
# The parent zone lab.test delegates child.lab.test to provider A (two
# names outside the parent), glued.lab.test to a name inside it (with glue)
# and sub.lab.test (a cut that names below it must not be changed under).

DU_CLI=$NSF_ROOT/build/t/tools/registry_cli
DU_ZONE=lab.test
DU_DS="12345 13 2 3C4F8E1A2B5D6F7081920A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F"

du_secret() {
	head -c 32 /dev/urandom | base64
}

# du_zone FILE: the parent zone.
du_zone() {
	nsf_zone_file "$1" "$DU_ZONE" 1 ns1.lab.test
	cat >>"$1" <<ZONE
ns1 IN A 127.0.0.1
shared-ns IN A 127.0.30.50
child IN NS ns1.provider-a.test.
child IN NS ns2.provider-a.test.
child IN DS $DU_DS
glued IN NS ns1.glued.lab.test.
glued IN NS ns2.provider-a.test.
ns1.glued IN A 127.0.30.21
sub IN NS ns1.provider-a.test.
ZONE
}

# du_secrets FILE CREDENTIAL KEYNAME ALG SECRET: a mode-0600 secrets file.
du_secrets() {
	(
		umask 077
		printf '%s:\n  tsig_name: %s\n  tsig_algorithm: %s\n' \
		    "$2" "$3" "$4" >"$1"
		printf '  tsig_secret: "%s"\n' "$5" >>"$1"
	)
}

# du_cli NAME SERVER SECRETS ARGS...: runs the driver once against the
# parent at SERVER (host:port) with credential "parent"; its JSON goes to
# $T/NAME.json, its log to $T/NAME.log.  Returns the driver's status.
du_cli() {
	local name=$1 server=$2 secrets=$3
	shift 3
	"$DU_CLI" --type dns-update --server "$server" --zone "$DU_ZONE" \
	    --credentials parent --secrets "$secrets" --timeout "${DU_TIMEOUT:-5s}" \
	    "$@" >"$T/$name.json" 2>"$T/$name.log"
}

# du_get NAME JQ: a value from $T/NAME.json ("" when absent).
du_get() {
	jq -r "($2) | values" "$T/$1.json" 2>/dev/null
}

# du_ns ADDRESS DOMAIN: the NS names the parent serves, sorted, spaces.
du_ns() {
	kdig @"$1" -p "$NSF_DNS_PORT" +time=2 +retry=1 +norec "$2" NS |
	    awk '!/^;/ && $4 == "NS" { print tolower($5) }' | sed 's/\.$//' | sort |
	    tr '\n' ' ' | sed 's/ $//'
}

# du_check_no_secret SECRET: no log or output under $T holds the secret
# (the secrets files and the server's own key configuration excepted).
du_check_no_secret() {
	local hits
	hits=$(grep -rlF --exclude='secrets*.yaml' --exclude='knot.conf' \
	    --exclude='*.key' -- "$1" "$T" 2>/dev/null)
	if [ -z "$hits" ]; then
		ok "no log or output holds the TSIG secret"
	else
		not_ok "the TSIG secret leaked into: $hits"
	fi
}

# du_addr ADDRESS NAME TYPE: the addresses of NAME the parent returns,
# from any section (glue sits in the additional section of a referral).
du_addr() {
	kdig @"$1" -p "$NSF_DNS_PORT" +time=2 +retry=1 +norec "$2" "$3" |
	    awk -v n="$2." -v t="$3" '!/^;/ && $1 == n && $4 == t { print $5 }'
}

# du_start_fake MODE ADDRESS SECRET: the misbehaving primary of
# tests/tools/dns_fake.py, serving child.lab.test -> provider A.
du_start_fake() {
	DNS_FAKE_KEY="nsf-key:hmac-sha256:$3" nsf_spawn "fake-$1" \
	    /usr/bin/python3 "$NSF_ROOT/tests/tools/dns_fake.py" "$1" "$2" \
	    "$NSF_DNS_PORT" "$DU_ZONE" child.lab.test ns1.provider-a.test \
	    ns2.provider-a.test
	wait_for 10 grep -q "mode on" "$T/fake-$1.log"
}
