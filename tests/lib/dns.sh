# dns.sh - start real NSD and Knot DNS servers on loopback for tests.
#
# Source after common.sh.  Every server gets its own directory under $T,
# listens on 127.0.0.0/8 addresses only, runs in the foreground, and is
# tracked so common.sh stops it by PID at exit.  Zone files are written by
# the caller (nsf_zone_file helps with the usual shape).

NSF_DNS_PORT=${NSF_DNS_PORT:-53}

# nsf_zone_file FILE ZONE SERIAL NS... : a minimal zone with SOA, the NS
# set, a version TXT record, and an A record for www.  Extra records can be
# appended to FILE afterwards.
nsf_zone_file() {
	local file=$1 zone=$2 serial=$3 ns
	shift 3
	{
		echo "\$ORIGIN $zone."
		echo "\$TTL 300"
		echo "@ IN SOA $1. hostmaster.$zone. $serial 3600 600 86400 300"
		for ns in "$@"; do
			echo "@ IN NS $ns."
		done
		echo "@ IN TXT \"zone-version=$serial\""
		echo "www IN A 192.0.2.80"
	} >"$file"
}

# nsf_start_nsd NAME ADDRESS ZONE=FILE... : starts NSD serving the given
# zones (file paths) on ADDRESS:$NSF_DNS_PORT.  ADDRESS may be a comma-
# separated list (one process answering on all of them; it is waited for on
# the first).  Sets NSD_PID_<NAME>.
nsf_start_nsd() {
	local name=$1 addr=${2%%,*} dir="$T/$1" spec zone file a
	local addrs=()
	IFS=, read -r -a addrs <<<"$2"
	shift 2
	mkdir -p "$dir"
	{
		echo "server:"
		for a in "${addrs[@]}"; do
			printf '\tip-address: %s@%s\n' "$a" "$NSF_DNS_PORT"
		done
	} >"$dir/nsd.conf"
	cat >>"$dir/nsd.conf" <<CONF
	do-ip6: no
	username: ""
	chroot: ""
	zonesdir: "$dir"
	pidfile: "$dir/nsd.pid"
	xfrdfile: "$dir/xfrd.state"
	zonelistfile: "$dir/zone.list"
	database: ""
	logfile: "$dir/nsd.log"
	server-count: 1
	verbosity: 1
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
	tcp-count: 256
	send-buffer-size: 4194304
	receive-buffer-size: 4194304
remote-control:
	control-enable: yes
	control-interface: "$dir/nsd.ctl"
	server-key-file: ""
	server-cert-file: ""
	control-key-file: ""
	control-cert-file: ""
CONF
	for spec in "$@"; do
		zone=${spec%%=*}
		file=${spec#*=}
		printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' \
		    "$zone" "$file" >>"$dir/nsd.conf"
	done
	nsd-checkconf "$dir/nsd.conf" || return 1
	nsf_spawn "$name" nsd -d -c "$dir/nsd.conf"
	eval "NSD_PID_${name//-/_}=$NSF_LAST_PID"
	nsf_wait_dns "${addr%%,*}" "${1%%=*}" || {
		echo "# nsd $name did not start:"
		sed 's/^/#   /' "$T/$name.log" "$dir/nsd.log" 2>/dev/null
		return 1
	}
}

# nsf_start_knot NAME ADDRESS [--tsig KEYNAME:ALG:SECRET]... ZONE=FILE... :
# starts Knot DNS; with --tsig (repeatable) every zone accepts UPDATE
# signed with any of those keys and bumps its serial itself.  ADDRESS may be
# a comma-separated list (waited for on the first).  Sets KNOT_PID_<NAME>;
# `knotc -s $T/NAME/knot.sock` controls it.
nsf_start_knot() {
	local name=$1 addr=${2%%,*} dir="$T/$1" spec zone file key acl=""
	local keys=() addrs=() kname kalg ksecret listen
	IFS=, read -r -a addrs <<<"$2"
	shift 2
	while [ "${1:-}" = --tsig ]; do
		keys+=("$2")
		shift 2
	done
	listen=$(printf '%s@'"$NSF_DNS_PORT"', ' "${addrs[@]}")
	mkdir -p "$dir/db"
	cat >"$dir/knot.conf" <<CONF
server:
    listen: [ ${listen%, } ]
    rundir: "$dir"
    pidfile: "$dir/knot.pid"
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: "$dir/knot.log"
    any: info
database:
    storage: "$dir/db"
control:
    listen: "$dir/knot.sock"
CONF
	if [ ${#keys[@]} -gt 0 ]; then
		echo "key:" >>"$dir/knot.conf"
		for key in "${keys[@]}"; do
			IFS=: read -r kname kalg ksecret <<<"$key"
			printf '  - id: %s\n    algorithm: %s\n    secret: %s\n' \
			    "$kname" "$kalg" "$ksecret" >>"$dir/knot.conf"
		done
		printf 'acl:\n  - id: update\n    key: [ %s ]\n' \
		    "$(printf '%s, ' "${keys[@]%%:*}" | sed 's/, $//')" \
		    >>"$dir/knot.conf"
		echo "    action: update" >>"$dir/knot.conf"
		acl="    acl: update"
	fi
	cat >>"$dir/knot.conf" <<CONF
template:
  - id: default
    storage: "$dir"
    zonefile-sync: -1
    zonefile-load: difference-no-serial
    journal-content: all
    serial-policy: increment
zone:
CONF
	for spec in "$@"; do
		zone=${spec%%=*}
		file=${spec#*=}
		printf '  - domain: "%s"\n    file: "%s"\n' "$zone" "$file" \
		    >>"$dir/knot.conf"
		[ -n "$acl" ] && echo "$acl" >>"$dir/knot.conf"
	done
	nsf_spawn "$name" knotd -c "$dir/knot.conf"
	eval "KNOT_PID_${name//-/_}=$NSF_LAST_PID"
	nsf_wait_dns "${addr%%,*}" "${1%%=*}" || {
		echo "# knot $name did not start:"
		sed 's/^/#   /' "$T/$name.log" "$dir/knot.log" 2>/dev/null
		return 1
	}
}

# nsf_wait_dns ADDRESS ZONE: waits until the server answers the zone's SOA.
nsf_wait_dns() {
	wait_for 10 nsf_dig_ok "$1" "$2"
}

nsf_dig_ok() {
	kdig @"$1" -p "$NSF_DNS_PORT" +time=1 +retry=0 +norec "$2" SOA |
	    grep -q 'status: NOERROR'
}

# nsf_dig ADDRESS NAME TYPE: the answer section, one record a line.
nsf_dig() {
	kdig @"$1" -p "$NSF_DNS_PORT" +time=2 +retry=1 +norec +short "$2" "$3"
}
