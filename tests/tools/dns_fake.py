#!/usr/bin/python3
"""dns_fake.py - a misbehaving parent primary for the DNS UPDATE tests.

Listens on ADDRESS:PORT (UDP and TCP, loopback only) and serves one fixed
delegation, CHILD with the NS names given, whatever happens:

  ignore    answers every UPDATE with a signed NOERROR and changes nothing
            (a server that accepts and keeps the old data)
  unsigned  the same, but the NOERROR carries no TSIG
  noupdate  answers queries, but never answers an UPDATE
  nsonly    applies the NS records of an UPDATE to CHILD, drops the rest
            (glue included) and answers a signed NOERROR
  silent    answers nothing at all (UDP read and dropped, TCP held open)

Hostile answers to the UPDATE (queries are answered as above):
  wrongid   a signed NOERROR whose message id is not the update's
  wrongkey  a NOERROR signed under the same key name with another secret
  short     over TCP, a length prefix promising more than is sent, then
            the connection is closed
  garbage   the update's id, zone and the QR bit, then random bytes
  badmac    a signed NOERROR with one bit of its MAC flipped

Hostile answers to queries (the UPDATE is never reached):
  qwrongid  every answer carries another id
  qgarbage  the query's id, question and the QR bit, then random bytes
  qother    a well-formed answer about another name
  tc        UDP answers are empty with TC set; TCP answers are good
  tcboth    TC set over TCP too

Usage: DNS_FAKE_KEY=KEYNAME:ALG:SECRET dns_fake.py MODE ADDRESS PORT ZONE
       CHILD NS...   (the key comes from the environment, not argv)
Uses Debian's python3-dnspython; run it with /usr/bin/python3.
"""
import os
import random
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

    def apply_ns(self, q):
        """Adds and deletes CHILD's NS records as the update says."""
        for rrset in q.update:
            if rrset.name != self.child or rrset.rdtype != dns.rdatatype.NS:
                continue
            for rd in rrset:
                target = rd.target.to_text(omit_final_dot=True)
                # dnspython gives a deletion's class in `deleting`.
                if rrset.deleting is None and target not in self.ns:
                    self.ns.append(target)
                elif rrset.deleting == dns.rdataclass.NONE and \
                        target in self.ns:
                    self.ns.remove(target)

    def hostile_update(self, q, r):
        """The UPDATE answer of the hostile modes, as wire."""
        if self.mode == "wrongid":
            r.id = (q.id + 1) % 65536
            r.use_tsig(self.keyring, q.keyname, original_id=r.id,
                       algorithm=q.keyalgorithm)
            r.request_mac = q.mac
        elif self.mode == "wrongkey":
            other = dns.tsig.Key(q.keyname, b"another secret, not ours",
                                 q.keyalgorithm)
            r.use_tsig({q.keyname: other}, q.keyname,
                       algorithm=q.keyalgorithm)
            r.request_mac = q.mac
        elif self.mode == "garbage":
            return garbage(q, 0x28)     # opcode UPDATE
        wire = bytearray(r.to_wire())
        if self.mode == "badmac":
            wire[-10] ^= 0x01       # inside the MAC (other data is empty)
        return bytes(wire)

    def hostile_query(self, q, r, tcp):
        if self.mode == "qwrongid":
            r.id = (q.id + 1) % 65536
        elif self.mode == "qgarbage":
            return garbage(q, 0)
        elif self.mode == "qother":
            q2 = dns.message.make_query("other.lab.test", "NS")
            q2.id = q.id
            r = self.answer_query(q2)
            r.authority = [dns.rrset.from_text_list(
                q2.question[0].name, 300, "IN", "NS",
                ["ns1.attacker.test."])]
        elif self.mode == "tc" and not tcp or self.mode == "tcboth":
            r = dns.message.make_response(q)
            r.flags |= dns.flags.TC
        return r.to_wire()

    def handle(self, wire, tcp=False):
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
            if self.mode == "nsonly":
                self.apply_ns(q)
            if self.mode == "unsigned":
                r.tsig = None
                r.keyring = None
            return self.hostile_update(q, r)
        return self.hostile_query(q, self.answer_query(q), tcp)


def garbage(q, opcode_bits):
    """The query's id and question, the QR bit and the opcode, then bytes
    that parse as no DNS message (65535 answers announced, 40 random
    bytes given)."""
    rnd = random.Random(q.id)
    body = bytes(rnd.randrange(256) for _ in range(40))
    question = b""
    if q.question:
        rr = q.question[0]
        question = rr.name.to_wire() + rr.rdtype.to_bytes(2, "big") + \
            rr.rdclass.to_bytes(2, "big")
    return q.id.to_bytes(2, "big") + bytes([0x80 | opcode_bits, 0]) + \
        b"\x00\x01\xff\xff\x00\x00\x00\x00" + question + body


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
            out = fake.handle(wire, tcp=True)
            if out is None:
                held.append(wire)   # keep the connection open, unanswered
                continue
            if fake.mode == "short" and wire[2] & 0x78:
                conn.sendall(len(out).to_bytes(2, "big") +
                             out[:len(out) // 2])
                return
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
