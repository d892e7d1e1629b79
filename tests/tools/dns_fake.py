#!/usr/bin/python3
"""dns_fake.py - a misbehaving parent primary for the DNS UPDATE tests.

Listens on ADDRESS:PORT (UDP and TCP, loopback only) and serves one fixed
delegation, CHILD with the NS names given, whatever happens:

  ignore    answers every UPDATE with a signed NOERROR and changes nothing
            (a server that accepts and keeps the old data)
  unsigned  the same, but the NOERROR carries no TSIG
  noupdate  answers queries, but never answers an UPDATE
  silent    answers nothing at all (UDP read and dropped, TCP held open)

Usage: DNS_FAKE_KEY=KEYNAME:ALG:SECRET dns_fake.py MODE ADDRESS PORT ZONE
       CHILD NS...   (the key comes from the environment, not argv)
Uses Debian's python3-dnspython; run it with /usr/bin/python3.
"""
import os
import socket
import sys
import threading

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig


def parse_key(spec):
    name, alg, secret = spec.split(":", 2)
    return {dns.name.from_text(name): dns.tsig.Key(name, secret, alg)}


class Fake:
    def __init__(self, mode, zone, child, keyring, ns):
        self.mode = mode
        self.zone = dns.name.from_text(zone)
        self.child = dns.name.from_text(child)
        self.keyring = keyring
        self.ns = ns

    def answer_query(self, q):
        r = dns.message.make_response(q)
        qname = q.question[0].name
        qtype = q.question[0].rdtype
        if qname == self.child and qtype == dns.rdatatype.NS:
            rrset = dns.rrset.from_text_list(
                self.child, 300, "IN", "NS", [n + "." for n in self.ns])
            r.authority.append(rrset)
        elif qname == self.zone and qtype == dns.rdatatype.SOA:
            r.flags |= dns.flags.AA
            r.answer.append(dns.rrset.from_text(
                self.zone, 300, "IN", "SOA",
                "ns1.%s hostmaster.%s 7 3600 600 86400 300" %
                (self.zone, self.zone)))
        else:
            r.flags |= dns.flags.AA
        return r

    def handle(self, wire):
        """Returns the answer's wire form, or None to stay silent."""
        if self.mode == "silent":
            return None
        try:
            q = dns.message.from_wire(wire, keyring=self.keyring)
        except Exception as e:  # bad TSIG or malformed: FORMERR, unsigned
            print("dns_fake: refused a message: %s" % e, flush=True)
            return None
        if q.opcode() == dns.opcode.UPDATE:
            print("dns_fake: update received, ignored", flush=True)
            if self.mode == "noupdate":
                return None
            r = dns.message.make_response(q)
            if self.mode == "unsigned":
                r.tsig = None
                r.keyring = None
            return r.to_wire()
        return self.answer_query(q).to_wire()


def serve_udp(fake, sock):
    while True:
        wire, peer = sock.recvfrom(65535)
        out = fake.handle(wire)
        if out is not None:
            sock.sendto(out, peer)


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve_tcp_conn(fake, conn):
    held = []
    with conn:
        while True:
            head = read_exact(conn, 2)
            if head is None:
                return
            wire = read_exact(conn, int.from_bytes(head, "big"))
            if wire is None:
                return
            out = fake.handle(wire)
            if out is None:
                held.append(wire)   # keep the connection open, unanswered
                continue
            conn.sendall(len(out).to_bytes(2, "big") + out)


def serve_tcp(fake, sock):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=serve_tcp_conn, args=(fake, conn),
                         daemon=True).start()


def main():
    if len(sys.argv) < 7 or "DNS_FAKE_KEY" not in os.environ:
        sys.exit(__doc__)
    mode, addr, port, zone, child = sys.argv[1:6]
    if not addr.startswith("127."):
        sys.exit("dns_fake: listens on 127.0.0.0/8 only")
    fake = Fake(mode, zone, child, parse_key(os.environ["DNS_FAKE_KEY"]),
                sys.argv[6:])
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((addr, int(port)))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addr, int(port)))
    tcp.listen(16)
    print("dns_fake: %s mode on %s:%s" % (mode, addr, port), flush=True)
    threading.Thread(target=serve_udp, args=(fake, udp), daemon=True).start()
    serve_tcp(fake, tcp)


if __name__ == "__main__":
    main()
