#!/usr/bin/python3
"""answerer.py - a tiny DNS server that misbehaves on purpose, for tests.

It serves one zone's apex (SOA and NS; other types get an empty answer) on
one loopback address, in one of these modes:

  ok       correct authoritative answers
  silent   reads queries and never answers (a server that drops packets)
  lame     correct content but the AA bit clear (not authoritative)
  tc       every UDP answer truncated (TC set); nothing listens on TCP
  hostile  for each query first sends forgeries: the real answer with a
           false serial from another port, then with a wrong id, then
           with the right id for another question; the true answer
           follows 50 ms later

With --port 0 the kernel picks the port, written to --port-file.  With
--log every query read is appended to that file as "SECONDS NAME TYPE",
SECONDS being the kernel's arrival time (not when this slow script got
round to it), so a test can check how queries were paced.
"""
import argparse
import socket
import struct
import sys
import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

FALSE_SERIAL = 666


def answer(query, zone, serial, nameservers, aa=True):
    r = dns.message.make_response(query)
    if aa:
        r.flags |= dns.flags.AA
    q = query.question[0]
    if q.name != zone:
        r.set_rcode(dns.rcode.NXDOMAIN)
        return r
    if q.rdtype == dns.rdatatype.SOA:
        r.answer.append(dns.rrset.from_text(
            zone, 300, "IN", "SOA",
            "%s hostmaster.%s %d 3600 600 86400 300"
            % (nameservers[0], zone, serial)))
    elif q.rdtype == dns.rdatatype.NS:
        r.answer.append(dns.rrset.from_text_list(
            zone, 300, "IN", "NS", nameservers))
    return r


def forgeries(sock, other, query, peer, args, zone):
    fake = answer(query, zone, FALSE_SERIAL, args.ns)
    other.sendto(fake.to_wire(), peer)          # wrong source port
    fake.id = (query.id + 1) & 0xffff
    sock.sendto(fake.to_wire(), peer)           # wrong id
    wrong = dns.message.make_query("not-" + str(zone), query.question[0]
                                   .rdtype)
    forged = answer(wrong, dns.name.from_text("not-" + str(zone)),
                    FALSE_SERIAL, args.ns)
    forged.id = query.id
    sock.sendto(forged.to_wire(), peer)         # wrong question
    time.sleep(0.05)


SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def log_query(path, anc, query):
    when = time.time()
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            sec, nsec = struct.unpack("qq", data[:16])
            when = sec + nsec / 1e9
    q = query.question[0]
    with open(path, "a") as f:
        f.write("%.6f %s %s\n" % (when, q.name.to_text(True),
                                  dns.rdatatype.to_text(q.rdtype)))


def serve(args):
    family = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((args.addr, args.port))
    other = socket.socket(family, socket.SOCK_DGRAM)
    other.bind((args.addr, 0))
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % sock.getsockname()[1])
        import os
        os.rename(args.port_file + ".tmp", args.port_file)
    zone = dns.name.from_text(args.zone)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    while True:
        data, anc, _, peer = sock.recvmsg(4096, 256)
        if args.mode == "silent":
            continue
        try:
            query = dns.message.from_wire(data)
        except Exception:
            continue
        if args.log:
            log_query(args.log, anc, query)
        if args.mode == "hostile":
            forgeries(sock, other, query, peer, args, zone)
        r = answer(query, zone, args.serial, args.ns,
                   aa=args.mode != "lame")
        if args.mode == "tc":
            r.answer = []
            r.flags |= dns.flags.TC
        sock.sendto(r.to_wire(), peer)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--port-file")
    p.add_argument("--zone", required=True)
    p.add_argument("--serial", type=int, default=1)
    p.add_argument("--ns", action="append", required=True,
                   help="apex nameserver names, with the final dot")
    p.add_argument("--log", help="append each query read to this file")
    p.add_argument("--mode", default="ok",
                   choices=["ok", "silent", "lame", "tc", "hostile"])
    serve(p.parse_args())


if __name__ == "__main__":
    sys.exit(main())
