#!/usr/bin/python3
"""resolver.py - a stand-in recursive resolver for tests: it knows a few
host names' IPv4 addresses and answers A queries for them with a chosen
TTL (AAAA gets an empty answer, anything else NXDOMAIN).  Every question
it reads is appended to --log as "NAME TYPE", so a test can count how
often the prober resolved a name.

    resolver.py --addr 127.0.10.40 --ttl 300 \\
        --host ns1.b.test=127.0.10.41 --log queries.txt
"""
import argparse
import socket
import sys

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset


def respond(query, hosts, ttl):
    r = dns.message.make_response(query)
    r.flags |= dns.flags.RA
    q = query.question[0]
    addr = hosts.get(q.name)
    if addr is None:
        r.set_rcode(dns.rcode.NXDOMAIN)
    elif q.rdtype == dns.rdatatype.A:
        r.answer.append(dns.rrset.from_text(q.name, ttl, "IN", "A", addr))
    return r


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--ttl", type=int, default=300)
    p.add_argument("--host", action="append", default=[],
                   help="NAME=IPV4, repeatable")
    p.add_argument("--log", required=True)
    args = p.parse_args()
    if not args.addr.startswith("127."):
        sys.stderr.write("resolver.py: %s is not loopback\n" % args.addr)
        return 2
    hosts = {}
    for spec in args.host:
        name, _, addr = spec.partition("=")
        hosts[dns.name.from_text(name)] = addr
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.addr, args.port))
    print("resolver listening on %s:%d" % (args.addr, args.port),
          flush=True)
    while True:
        data, peer = sock.recvfrom(4096)
        try:
            query = dns.message.from_wire(data)
        except Exception:
            continue
        q = query.question[0]
        with open(args.log, "a") as f:
            f.write("%s %s\n" % (q.name.to_text(omit_final_dot=True),
                                 dns.rdatatype.to_text(q.rdtype)))
        sock.sendto(respond(query, hosts, args.ttl).to_wire(), peer)


if __name__ == "__main__":
    sys.exit(main())
