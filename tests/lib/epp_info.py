#!/usr/bin/python3
# epp_info.py - reads one domain from the EPP test registry, for the lab
# and the scenarios, independently of nsfailover's own EPP driver (a test
# must not check the driver with the driver).
#
#   epp_info.py --server ADDR:PORT --ca CA --cert CERT --key KEY \
#       --user CLID --password-file FILE DOMAIN
#
# Logs in over TLS with the client certificate, sends domain:info, logs
# out, and prints {"ns": [...], "statuses": [...]} (names lower case,
# sorted).  Exits 1 with the result code and message when the registry
# refuses.  Only /usr/bin/python3 with Debian's python3-lxml.
import argparse
import json
import socket
import ssl
import struct
import sys

from lxml import etree

EPP = "urn:ietf:params:xml:ns:epp-1.0"
DOM = "urn:ietf:params:xml:ns:domain-1.0"
MAX_FRAME = 1 << 20


def q(ns, tag):
    return "{%s}%s" % (ns, tag)


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("the registry closed the connection")
        buf += chunk
    return buf


def read_frame(conn):
    (total,) = struct.unpack(">I", read_exact(conn, 4))
    if total <= 4 or total > MAX_FRAME:
        raise ConnectionError("bad frame length %d" % total)
    return etree.fromstring(read_exact(conn, total - 4),
                            etree.XMLParser(resolve_entities=False,
                                            no_network=True))


def send(conn, root):
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    conn.sendall(struct.pack(">I", len(data) + 4) + data)


def command(build, trid):
    root = etree.Element(q(EPP, "epp"), nsmap={None: EPP})
    cmd = etree.SubElement(root, q(EPP, "command"))
    build(cmd)
    etree.SubElement(cmd, q(EPP, "clTRID")).text = trid
    return root


def result(conn, what):
    doc = read_frame(conn)
    res = doc.find(".//" + q(EPP, "result"))
    code = int(res.get("code"))
    if code >= 2000:
        sys.exit("epp_info.py: %s: %d %s" % (
            what, code, res.findtext(q(EPP, "msg"))))
    return doc


def login(cmd, user, pw):
    el = etree.SubElement(cmd, q(EPP, "login"))
    etree.SubElement(el, q(EPP, "clID")).text = user
    etree.SubElement(el, q(EPP, "pw")).text = pw
    opts = etree.SubElement(el, q(EPP, "options"))
    etree.SubElement(opts, q(EPP, "version")).text = "1.0"
    etree.SubElement(opts, q(EPP, "lang")).text = "en"
    svcs = etree.SubElement(el, q(EPP, "svcs"))
    etree.SubElement(svcs, q(EPP, "objURI")).text = DOM


def info(cmd, domain):
    el = etree.SubElement(cmd, q(EPP, "info"))
    di = etree.SubElement(el, q(DOM, "info"), nsmap={"domain": DOM})
    etree.SubElement(di, q(DOM, "name"), hosts="all").text = domain


def main():
    ap = argparse.ArgumentParser()
    for opt in ("--server", "--ca", "--cert", "--key", "--user",
                "--password-file"):
        ap.add_argument(opt, required=True)
    ap.add_argument("domain")
    a = ap.parse_args()
    host, port = a.server.rsplit(":", 1)
    if not host.startswith("127."):
        sys.exit("epp_info.py: %s is not a loopback address" % host)
    with open(a.password_file) as f:
        pw = f.read().strip()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls.load_verify_locations(a.ca)
    tls.load_cert_chain(a.cert, a.key)
    raw = socket.create_connection((host, int(port)), timeout=10)
    with tls.wrap_socket(raw, server_hostname=host) as conn:
        read_frame(conn)        # greeting
        send(conn, command(lambda c: login(c, a.user, pw), "LAB-INFO-1"))
        result(conn, "login")
        send(conn, command(lambda c: info(c, a.domain), "LAB-INFO-2"))
        doc = result(conn, "domain:info " + a.domain)
        send(conn, command(lambda c: etree.SubElement(c, q(EPP, "logout")),
                           "LAB-INFO-3"))
        read_frame(conn)
    ns = [e.text.lower().rstrip(".") for e in doc.iter(q(DOM, "hostObj"))]
    ns += [e.text.lower().rstrip(".") for e in doc.iter(q(DOM, "hostName"))]
    statuses = [e.get("s") for e in doc.iter(q(DOM, "status"))]
    print(json.dumps({"ns": sorted(ns), "statuses": sorted(statuses)}))


if __name__ == "__main__":
    main()
