#!/usr/bin/python3
"""registry.py - a strict EPP test registry for nsfailover's tests and lab.

Speaks EPP (RFC 5730-5732, 5734, 5910) over TLS with client certificates
required, validates every incoming frame against the official schemas
(epp-all.xsd) and answers 2001 to anything invalid, enforces login, host
objects, statuses, sponsorship, nameserver counts and session limits, and
after every change publishes the delegation (NS, glue, DS) to a real parent
zone with TSIG-signed RFC 2136 UPDATE.  Faults are injected through a JSON
file the registry re-reads before every command.  Every frame received is
written to the frame log (passwords masked).

Uses only /usr/bin/python3 with Debian's python3-lxml and python3-dnspython.
See docs/epp.md for the configuration and fault formats.
"""

import argparse
import datetime
import json
import os
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time

try:
    from lxml import etree
except ImportError:
    sys.exit("registry.py: python3-lxml is missing (apt-get install "
             "python3-lxml)")

EPP = "urn:ietf:params:xml:ns:epp-1.0"
DOM = "urn:ietf:params:xml:ns:domain-1.0"
HOST = "urn:ietf:params:xml:ns:host-1.0"
SEC = "urn:ietf:params:xml:ns:secDNS-1.1"
MAX_FRAME = 1 << 20
BLOCKING = ("clientUpdateProhibited", "serverUpdateProhibited",
            "pendingDelete", "pendingTransfer", "pendingUpdate")
# Faults that make the answer itself hostile or broken (see hostile()).
HOSTILE = ("garbage", "wrong-cltrid", "no-cltrid", "no-svtrid", "truncate",
           "oversize", "twice")

TEXT = {
    1000: "Command completed successfully",
    1001: "Command completed successfully; action pending",
    1300: "Command completed successfully; no messages",
    1301: "Command completed successfully; ack to dequeue",
    1500: "Command completed successfully; ending session",
    2001: "Command syntax error",
    2002: "Command use error",
    2003: "Required parameter missing",
    2004: "Parameter value range error",
    2005: "Parameter value syntax error",
    2100: "Unimplemented protocol version",
    2101: "Unimplemented command",
    2102: "Unimplemented option",
    2103: "Unimplemented extension",
    2200: "Authentication error",
    2201: "Authorization error",
    2302: "Object exists",
    2303: "Object does not exist",
    2304: "Object status prohibits operation",
    2305: "Object association prohibits operation",
    2306: "Parameter value policy error",
    2307: "Unimplemented object service",
    2308: "Data management policy violation",
    2400: "Command failed",
    2500: "Command failed; server closing connection",
    2502: "Session limit exceeded; server closing connection",
}


class EppError(Exception):
    """A refusal: result code, optional reason and value element."""

    def __init__(self, code, reason=None, value=None):
        super().__init__(reason or TEXT.get(code, ""))
        self.code = code
        self.reason = reason
        self.value = value


def q(ns, name):
    return "{%s}%s" % (ns, name)


def in_zone(name, zone):
    name, zone = name.lower().rstrip("."), zone.lower().rstrip(".")
    return name == zone or name.endswith("." + zone)


def check_addr(host, addr, family):
    """2005 unless addr is an IP address of the family ip= names."""
    try:
        ok = socket.inet_pton(socket.AF_INET6 if family == "v6" else
                              socket.AF_INET, addr) is not None
    except (OSError, ValueError, TypeError):
        ok = False
    if not ok:
        raise EppError(2005, "%s: %s is not an IP%s address" %
                       (host, addr, family), (HOST, "addr", addr,
                                              {"ip": family}))


def check_hostname(name):
    """2005 unless name is a host name: letters, digits, hyphens, at
    least two labels of 1 to 63 characters."""
    labels = name.rstrip(".").split(".")
    ok = len(labels) >= 2 and len(name) <= 253 and all(
        0 < len(lb) <= 63 and lb[0] != "-" and lb[-1] != "-" and
        all(c.isascii() and (c.isalnum() or c == "-") for c in lb)
        for lb in labels)
    if not ok:
        raise EppError(2005, "%s is not a host name" % name,
                       (HOST, "name", name))


def now_text():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.0Z")


class Publisher:
    """Sends the registry's delegations to the parent zone (RFC 2136)."""

    def __init__(self, args):
        self.server = args.dns_server
        self.port = args.dns_port
        self.zone = args.zone
        self.keyring = None
        self.alg = None
        if args.tsig_file:
            import dns.tsigkeyring
            with open(args.tsig_file) as f:
                name, alg, secret = f.read().strip().split(":", 2)
            self.keyring = dns.tsigkeyring.from_text({name: secret})
            self.alg = alg

    def publish(self, domains):
        """domains: name -> (ns names, [(host, addr)], [ds text])."""
        if not self.server:
            return
        import dns.query
        import dns.rcode
        import dns.update
        upd = dns.update.UpdateMessage(self.zone, keyring=self.keyring,
                                       keyalgorithm=self.alg)
        for name, (nss, glue, dss) in sorted(domains.items()):
            if not in_zone(name, self.zone):
                continue
            upd.delete(name + ".", "NS")
            upd.delete(name + ".", "DS")
            for ns in nss:
                upd.add(name + ".", 300, "NS", ns + ".")
            for ds in dss:
                upd.add(name + ".", 300, "DS", ds)
            for host, _ in glue:
                upd.delete(host + ".", "A")
                upd.delete(host + ".", "AAAA")
            for host, addr in glue:
                upd.add(host + ".", 300, "AAAA" if ":" in addr else "A",
                        addr)
        resp = dns.query.tcp(upd, self.server, port=self.port, timeout=5)
        if resp.rcode() != dns.rcode.NOERROR:
            raise RuntimeError("parent zone refused the update: %s" %
                               dns.rcode.to_text(resp.rcode()))


class Registry:
    """The registry's state and rules; every method runs under self.lock."""

    def __init__(self, cfg, args):
        self.lock = threading.RLock()
        self.args = args
        self.cfg = cfg
        self.model = cfg.get("host_model", "objects")
        self.secdns = cfg.get("secdns", True)
        self.min_ns = cfg.get("min_ns", 2)
        self.max_ns = cfg.get("max_ns", 13)
        self.max_sessions = cfg.get("max_sessions", 4)
        self.idle_timeout = cfg.get("idle_timeout", 600)
        # a registrar logs in only with a certificate issued to its id
        self.bind_cert = cfg.get("bind_cert", True)
        self.tlds = cfg.get("tlds", ["test"])
        self.registrars = cfg["registrars"]
        self.domains = {}
        for name, d in cfg.get("domains", {}).items():
            self.domains[name.lower()] = {
                "sponsor": d["sponsor"],
                "statuses": list(d.get("statuses", [])),
                "ns": [n.lower() for n in d.get("ns", [])],
                "ds": list(d.get("ds", [])),
                "attr_addrs": dict(d.get("glue", {})),
            }
        self.hosts = {}
        for name, h in cfg.get("hosts", {}).items():
            self.hosts[name.lower()] = {"sponsor": h["sponsor"],
                                        "addrs": list(h.get("addrs", []))}
        self.sessions = {}
        self.queue = {}
        self.msg_seq = 0
        self.sv_seq = 0
        self.publisher = Publisher(args)

    def sv_trid(self):
        with self.lock:
            self.sv_seq += 1
            return "TEST-SV-%06d" % self.sv_seq

    # ---- helpers
    def internal(self, name):
        return any(in_zone(name, t) for t in self.tlds)

    def superordinate(self, host):
        for d in self.domains:
            if in_zone(host, d) and host != d:
                return d
        return None

    def linked(self, host):
        return any(host in d["ns"] for d in self.domains.values())

    def domain_for(self, name, clid, write):
        d = self.domains.get(name.lower())
        if d is None:
            raise EppError(2303, "domain %s does not exist" % name,
                           (DOM, "name", name))
        if d["sponsor"] != clid:
            raise EppError(2201, "domain %s is sponsored by another "
                           "registrar" % name, (DOM, "name", name))
        return d

    def publish(self, name):
        d = self.domains[name]
        glue = []
        for ns in d["ns"]:
            if not in_zone(ns, name):
                continue
            addrs = (d["attr_addrs"].get(ns, []) if self.model ==
                     "attributes" else self.hosts.get(ns, {}).get(
                         "addrs", []))
            glue += [(ns, a) for a in addrs]
        try:
            self.publisher.publish({name: (d["ns"], glue, d["ds"])})
        except Exception as e:  # report and keep serving
            print("registry: publishing %s failed: %s" % (name, e),
                  file=sys.stderr, flush=True)

    def publish_all(self):
        for name in self.domains:
            self.publish(name)

    def enqueue(self, clid, domain, ok, cl_trid, sv_trid):
        self.msg_seq += 1
        self.queue.setdefault(clid, []).append({
            "id": "MSG-%d" % self.msg_seq, "domain": domain, "ok": ok,
            "cl": cl_trid, "sv": sv_trid, "date": now_text()})


class Faults:
    """A JSON list of faults; the first one matching a command is used
    once and removed from the file."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def take(self, command, domain):
        if not self.path or not os.path.exists(self.path):
            return None
        with self.lock:
            with open(self.path) as f:
                text = f.read().strip()
            faults = json.loads(text) if text else []
            for i, f in enumerate(faults):
                if f.get("command") not in (command, "any"):
                    continue
                if f.get("domain") and f["domain"] != domain:
                    continue
                del faults[i]
                tmp = self.path + ".tmp"
                with open(tmp, "w") as out:
                    json.dump(faults, out)
                os.replace(tmp, self.path)
                return f
        return None


class FrameLog:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)
        self.lock = threading.Lock()

    def write(self, header, body=b""):
        with self.lock:
            self.f.write("=== %s\n" % header)
            if body:
                self.f.write(body.decode("utf-8", "replace").rstrip() +
                             "\n")


def masked(doc):
    """A copy of the frame for the log, with passwords masked."""
    copy = etree.fromstring(etree.tostring(doc))
    for tag in ("pw", "newPW"):
        for el in copy.iter(q(EPP, tag)):
            el.text = "********"
    return etree.tostring(copy)


class Session:
    def __init__(self, server, conn, peer):
        self.srv = server
        self.reg = server.registry
        self.conn = conn
        self.peer = peer
        self.clid = None
        self.objs = set()
        self.exts = set()
        self.id = server.next_session_id()
        # What this session's greeting offers: (objURIs, extURIs).
        self.offer = (server.offered_objs(),
                      [SEC] if self.reg.secdns else [])

    # ---- framing
    def read_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.conn.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def read_frame(self):
        hdr = self.read_exact(4)
        if hdr is None:
            return None
        (total,) = struct.unpack(">I", hdr)
        if total <= 4 or total > MAX_FRAME:
            raise ConnectionError("bad frame length %d" % total)
        return self.read_exact(total - 4)

    def send(self, doc):
        data = etree.tostring(doc, xml_declaration=True, encoding="UTF-8")
        if not self.srv.schema.validate(doc):
            print("registry: BUG invalid response: %s" %
                  self.srv.schema.error_log.last_error, file=sys.stderr,
                  flush=True)
        self.conn.sendall(struct.pack(">I", len(data) + 4) + data)

    # ---- responses
    def greeting(self):
        root = etree.Element(q(EPP, "epp"), nsmap={None: EPP})
        g = etree.SubElement(root, q(EPP, "greeting"))
        etree.SubElement(g, q(EPP, "svID")).text = "nsfailover test registry"
        etree.SubElement(g, q(EPP, "svDate")).text = now_text()
        menu = etree.SubElement(g, q(EPP, "svcMenu"))
        etree.SubElement(menu, q(EPP, "version")).text = "1.0"
        etree.SubElement(menu, q(EPP, "lang")).text = "en"
        for uri in self.offer[0]:
            etree.SubElement(menu, q(EPP, "objURI")).text = uri
        if self.offer[1]:
            ext = etree.SubElement(menu, q(EPP, "svcExtension"))
            for uri in self.offer[1]:
                etree.SubElement(ext, q(EPP, "extURI")).text = uri
        dcp = etree.SubElement(g, q(EPP, "dcp"))
        acc = etree.SubElement(dcp, q(EPP, "access"))
        etree.SubElement(acc, q(EPP, "all"))
        st = etree.SubElement(dcp, q(EPP, "statement"))
        pur = etree.SubElement(st, q(EPP, "purpose"))
        etree.SubElement(pur, q(EPP, "prov"))
        rec = etree.SubElement(st, q(EPP, "recipient"))
        etree.SubElement(rec, q(EPP, "ours"))
        ret = etree.SubElement(st, q(EPP, "retention"))
        etree.SubElement(ret, q(EPP, "stated"))
        return root

    def response(self, code, cl_trid, res=None, ext=None, err=None,
                 msgq=None):
        root = etree.Element(q(EPP, "epp"), nsmap={None: EPP})
        r = etree.SubElement(root, q(EPP, "response"))
        result = etree.SubElement(r, q(EPP, "result"), code=str(code))
        etree.SubElement(result, q(EPP, "msg")).text = TEXT.get(code, "")
        if err is not None and (err.value is not None or err.reason):
            # <value> alone, or <extValue> with the value and a reason
            parent = result
            if err.reason:
                parent = etree.SubElement(result, q(EPP, "extValue"))
            v = etree.SubElement(parent, q(EPP, "value"))
            if err.value is None:
                etree.SubElement(v, q(EPP, "undef"))
            else:
                ns, tag, text = err.value[:3]
                el = etree.SubElement(v, q(ns, tag), nsmap={
                    "domain" if ns == DOM else "host": ns})
                el.text = text
                for k, val in (err.value[3] if len(err.value) > 3
                               else {}).items():
                    el.set(k, val)
            if err.reason:
                etree.SubElement(parent, q(EPP, "reason")).text = \
                    err.reason
        if msgq is not None:
            mq = etree.SubElement(r, q(EPP, "msgQ"), count=str(msgq[0]),
                                  id=msgq[1])
            if len(msgq) > 2:
                etree.SubElement(mq, q(EPP, "qDate")).text = msgq[2]
                etree.SubElement(mq, q(EPP, "msg")).text = msgq[3]
        if res is not None:
            etree.SubElement(r, q(EPP, "resData")).append(res)
        if ext is not None:
            etree.SubElement(r, q(EPP, "extension")).append(ext)
        trid = etree.SubElement(r, q(EPP, "trID"))
        if cl_trid:
            etree.SubElement(trid, q(EPP, "clTRID")).text = cl_trid
        etree.SubElement(trid, q(EPP, "svTRID")).text = self.reg.sv_trid()
        return root

    # ---- main loop
    def run(self):
        self.conn.settimeout(self.reg.idle_timeout)
        fault = self.srv.faults.take("greeting", None)
        if fault:
            self.srv.log.write("session=%d greeting fault=%s" %
                               (self.id, json.dumps(fault)))
            self.offer = (fault.get("objs", self.offer[0]),
                          fault.get("exts", self.offer[1]))
        try:
            greeting = self.greeting()
            if fault and fault.get("action") in HOSTILE:
                if not self.hostile(greeting, None, fault):
                    return
            else:
                self.send(greeting)
            while self.serve_one():
                pass
        except socket.timeout:
            self.srv.log.write("session=%d idle timeout; closing" % self.id)
        except (ConnectionError, ssl.SSLError, OSError) as e:
            self.srv.log.write("session=%d connection lost: %s" %
                               (self.id, e))
        finally:
            if self.clid:
                with self.reg.lock:
                    self.reg.sessions[self.clid] -= 1

    def serve_one(self):
        data = self.read_frame()
        if data is None:
            self.srv.log.write("session=%d closed by client" % self.id)
            return False
        try:
            doc = etree.fromstring(data, etree.XMLParser(
                resolve_entities=False, no_network=True, load_dtd=False))
        except etree.XMLSyntaxError as e:
            return self.invalid(data, "not well-formed: %s" % e)
        if not self.srv.schema.validate(doc):
            return self.invalid(data, str(self.srv.schema.error_log
                                          .last_error))
        cmd, cl_trid, domain = self.describe(doc)
        fault = self.srv.faults.take(cmd, domain)
        kind = fault.get("action") if fault else None
        keep_open = True
        gone = fault.get("delete_host") if fault else None
        if gone in self.reg.hosts and not self.reg.linked(gone):
            # someone deletes an unused host just before this command
            with self.reg.lock:
                del self.reg.hosts[gone]
        if fault and fault.get("status") and domain in self.reg.domains:
            # someone sets a status just before this command arrives
            with self.reg.lock:
                self.reg.domains[domain]["statuses"].append(fault["status"])
        try:
            if fault and fault.get("delay"):
                time.sleep(float(fault["delay"]))
            if kind in HOSTILE and not fault.get("apply"):
                answer = self.response(1000, cl_trid)   # nothing done
            else:
                answer, keep_open = self.dispatch(doc, cmd, cl_trid, fault)
        except EppError as e:
            answer = self.response(e.code, cl_trid, err=e)
            keep_open = e.code < 2500
        code = answer.find(".//" + q(EPP, "result")) \
            if answer is not None else None
        code = code.get("code") if code is not None else "greeting"
        if kind in HOSTILE and not fault.get("apply"):
            code = "none"       # not carried out; the answer is broken
        self.srv.log.write("session=%d client=%s command=%s cltrid=%s "
                           "result=%s%s" % (
                               self.id, self.clid or "-", cmd,
                               cl_trid or "-",
                               "dropped" if answer is None else code,
                               " fault=%s" % json.dumps(fault)
                               if fault else ""), masked(doc))
        if answer is None:
            return False
        if kind in HOSTILE:
            return self.hostile(answer, cl_trid, fault) and keep_open
        self.send(answer)
        return keep_open

    def hostile(self, doc, cl_trid, fault):
        """Sends `doc` broken the way the fault says, as a hostile or
        faulty server would; returns whether the session goes on."""
        kind = fault["action"]
        trid = doc.find(".//" + q(EPP, "trID"))
        if trid is not None and kind in ("wrong-cltrid", "no-cltrid"):
            cl = trid.find(q(EPP, "clTRID"))
            if cl is None:
                cl = etree.Element(q(EPP, "clTRID"))
                trid.insert(0, cl)
            cl.text = "OTHER-%s" % (cl_trid or "NONE")
            if kind == "no-cltrid":
                trid.remove(cl)
        if trid is not None and kind == "no-svtrid":
            trid.remove(trid.find(q(EPP, "svTRID")))
        data = etree.tostring(doc, xml_declaration=True, encoding="UTF-8")
        if kind == "garbage":       # well framed, not well-formed
            data = data[:len(data) // 2] + b"<&>"
        if kind == "oversize":      # a header announcing 64 MiB
            self.conn.sendall(struct.pack(">I", 64 << 20) + data[:16])
            return False
        if kind == "truncate":      # half the announced bytes, then EOF
            self.conn.sendall(struct.pack(">I", len(data) + 4) +
                              data[:len(data) // 2])
            time.sleep(float(fault.get("hold", 0)))
            return False
        frame = struct.pack(">I", len(data) + 4) + data
        # "twice": the answer, then the same frame again, unasked
        self.conn.sendall(frame * (2 if kind == "twice" else 1))
        return True

    def invalid(self, data, why):
        self.srv.log.write("session=%d client=%s command=invalid result="
                           "2001 reason=%s" % (self.id, self.clid or "-",
                                               why.replace("\n", " ")),
                           data if b"<pw>" not in data else b"(masked)")
        self.send(self.response(2001, None))
        return True

    def describe(self, doc):
        hello = doc.find(q(EPP, "hello"))
        if hello is not None:
            return "hello", None, None
        cmd = doc.find(q(EPP, "command"))
        cl = cmd.findtext(q(EPP, "clTRID"))
        verb = cmd[0]
        name = etree.QName(verb).localname
        if len(verb) and etree.QName(verb[0]).namespace in (DOM, HOST):
            obj = verb[0]
            prefix = "domain" if etree.QName(obj).namespace == DOM else "host"
            first = obj.find(q(etree.QName(obj).namespace, "name"))
            return ("%s:%s" % (prefix, name), cl,
                    first.text.lower() if first is not None else None)
        return name, cl, None

    def dispatch(self, doc, cmd, cl_trid, fault):
        if cmd == "hello":
            return self.greeting(), True
        if cmd == "login":
            return self.login(doc, cl_trid, fault)
        if self.clid is None:
            raise EppError(2002, "log in first")
        if cmd == "logout":
            return self.response(1500, cl_trid), False
        handlers = {
            "domain:info": self.domain_info,
            "domain:update": self.domain_update,
            "host:check": self.host_check,
            "host:create": self.host_create,
            "host:delete": self.host_delete,
            "host:update": self.host_update,
            "host:info": self.host_info,
            "poll": self.poll,
        }
        if cmd not in handlers:
            raise EppError(2101)
        if cmd.startswith("host:") and HOST not in self.objs:
            raise EppError(2307, "host-1.0 was not announced at login")
        cmd_el = doc.find(q(EPP, "command"))
        with self.reg.lock:
            return self.with_fault(handlers[cmd], cmd_el, cl_trid, fault)

    def with_fault(self, handler, cmd_el, cl_trid, fault):
        kind = fault.get("action") if fault else None
        if kind == "code" and not fault.get("apply"):
            return self.response(int(fault["code"]), cl_trid), \
                int(fault["code"]) < 2500
        answer = handler(cmd_el, cl_trid, fault)
        if kind == "drop":
            return None, False
        if kind == "code":
            return self.response(int(fault["code"]), cl_trid), \
                int(fault["code"]) < 2500
        return answer, True

    # ---- login
    def cert_cn(self):
        """The common name of the client certificate of this session."""
        for rdn in (self.conn.getpeercert() or {}).get("subject", ()):
            for key, value in rdn:
                if key == "commonName":
                    return value
        return None

    def login(self, doc, cl_trid, fault):
        if self.clid is not None:
            raise EppError(2002, "already logged in")
        login = doc.find(q(EPP, "command")).find(q(EPP, "login"))
        clid = login.findtext(q(EPP, "clID"))
        pw = login.findtext(q(EPP, "pw"))
        if self.reg.registrars.get(clid) != pw:
            raise EppError(2200, "bad client id or password")
        cn = self.cert_cn()
        if self.reg.bind_cert and cn != clid:
            raise EppError(2200, "the client certificate is issued to %s, "
                           "not to %s" % (cn, clid))
        if login.findtext(".//" + q(EPP, "version")) != "1.0":
            raise EppError(2100, "only version 1.0 is offered")
        if login.findtext(".//" + q(EPP, "lang")) != "en":
            raise EppError(2102, "only lang en is offered")
        objs = {e.text for e in login.iter(q(EPP, "objURI"))}
        exts = {e.text for e in login.iter(q(EPP, "extURI"))}
        if not objs <= set(self.offer[0]):
            raise EppError(2307, "objURI not offered: %s" %
                           ", ".join(sorted(objs - set(self.offer[0]))))
        if not exts <= set(self.offer[1]):
            raise EppError(2103, "extURI not offered: %s" %
                           ", ".join(sorted(exts - set(self.offer[1]))))
        with self.reg.lock:
            if fault and fault.get("action") == "code":
                return self.response(int(fault["code"]), cl_trid), \
                    int(fault["code"]) < 2500
            n = self.reg.sessions.get(clid, 0)
            if n >= self.reg.max_sessions:
                raise EppError(2502, "%s already has %d sessions" %
                               (clid, n))
            self.reg.sessions[clid] = n + 1
        self.clid, self.objs, self.exts = clid, objs, exts
        return self.response(1000, cl_trid), True

    # ---- domain
    def domain_info(self, cmd, cl_trid, fault):
        reg = self.reg
        name = cmd.find(".//" + q(DOM, "name")).text.lower()
        d = reg.domain_for(name, self.clid, write=False)
        inf = etree.Element(q(DOM, "infData"), nsmap={"domain": DOM})
        etree.SubElement(inf, q(DOM, "name")).text = name
        etree.SubElement(inf, q(DOM, "roid")).text = "D%d-TEST" % (
            sorted(reg.domains).index(name) + 1)
        for s in d["statuses"] or ["ok"]:
            etree.SubElement(inf, q(DOM, "status"), s=s)
        if d["ns"]:
            nsel = etree.SubElement(inf, q(DOM, "ns"))
            for ns in d["ns"]:
                if reg.model == "objects":
                    etree.SubElement(nsel, q(DOM, "hostObj")).text = ns
                    continue
                attr = etree.SubElement(nsel, q(DOM, "hostAttr"))
                etree.SubElement(attr, q(DOM, "hostName")).text = ns
                for a in d["attr_addrs"].get(ns, []):
                    etree.SubElement(attr, q(DOM, "hostAddr"),
                                     ip="v6" if ":" in a else "v4").text = a
        if reg.model == "objects":
            for h in sorted(reg.hosts):
                if in_zone(h, name) and h != name:
                    etree.SubElement(inf, q(DOM, "host")).text = h
        etree.SubElement(inf, q(DOM, "clID")).text = d["sponsor"]
        ext = None
        if d["ds"] and SEC in self.exts:
            ext = etree.Element(q(SEC, "infData"), nsmap={"secDNS": SEC})
            for ds in d["ds"]:
                tag, alg, dt, dig = ds.split()
                el = etree.SubElement(ext, q(SEC, "dsData"))
                etree.SubElement(el, q(SEC, "keyTag")).text = tag
                etree.SubElement(el, q(SEC, "alg")).text = alg
                etree.SubElement(el, q(SEC, "digestType")).text = dt
                etree.SubElement(el, q(SEC, "digest")).text = dig.upper()
        return self.response(1000, cl_trid, res=inf, ext=ext)

    def ns_part(self, part, name, adding):
        """Names (and hostAttr glue) listed under domain:add or :rem."""
        reg = self.reg
        names, glue = [], {}
        if part is None or part.find(q(DOM, "ns")) is None:
            return names, glue
        for el in part.find(q(DOM, "ns")):
            tag = etree.QName(el).localname
            if (tag == "hostObj") != (reg.model == "objects"):
                raise EppError(2306, "this registry uses host %s" %
                               reg.model)
            if tag == "hostObj":
                host = el.text.lower()
                if adding and host not in reg.hosts:
                    raise EppError(2303, None, (DOM, "hostObj", host))
                names.append(host)
                continue
            host = el.findtext(q(DOM, "hostName")).lower()
            check_hostname(host)
            addrs = []
            for a in el.findall(q(DOM, "hostAddr")):
                check_addr(host, a.text, a.get("ip", "v4"))
                addrs.append(a.text)
            if adding and in_zone(host, name) and not addrs:
                raise EppError(2003, "%s is inside %s and needs glue" %
                               (host, name))
            if adding and addrs and not in_zone(host, name):
                raise EppError(2306, "glue is only allowed for hosts "
                               "inside the domain: %s" % host)
            names.append(host)
            glue[host] = addrs
        return names, glue

    def ds_change(self, cmd, ds):
        ext = cmd.find(q(EPP, "extension"))
        upd = ext.find(q(SEC, "update")) if ext is not None else None
        if upd is None:
            return ds
        if SEC not in self.exts:
            raise EppError(2103, "secDNS-1.1 was not announced at login")
        out = list(ds)
        rem = upd.find(q(SEC, "rem"))
        if rem is not None and rem.findtext(q(SEC, "all")) in ("true",
                                                                "1"):
            out = []
        for part, adding in ((rem, False), (upd.find(q(SEC, "add")), True)):
            for el in (part.findall(q(SEC, "dsData"))
                       if part is not None else []):
                text = "%s %s %s %s" % (
                    el.findtext(q(SEC, "keyTag")), el.findtext(q(SEC, "alg")),
                    el.findtext(q(SEC, "digestType")),
                    el.findtext(q(SEC, "digest")).upper())
                if adding and text not in out:
                    out.append(text)
                elif not adding and text in out:
                    out.remove(text)
        return out

    def domain_update(self, cmd, cl_trid, fault):
        reg = self.reg
        upd = cmd.find(".//" + q(DOM, "update"))
        name = upd.findtext(q(DOM, "name")).lower()
        d = reg.domain_for(name, self.clid, write=True)
        st_add = self.status_part(upd.find(q(DOM, "add")))
        st_rem = self.status_part(upd.find(q(DOM, "rem")))
        only_status = not any(
            p is not None and len(p) > len(p.findall(q(DOM, "status")))
            for p in (upd.find(q(DOM, "add")), upd.find(q(DOM, "rem")))) \
            and upd.find(q(DOM, "chg")) is None and \
            cmd.find(q(EPP, "extension")) is None
        for s in d["statuses"]:
            # RFC 5731 3.2.5: a client lock still lets the client
            # change statuses (to remove the lock first)
            if s in BLOCKING and not (s == "clientUpdateProhibited" and
                                      only_status):
                raise EppError(2304, "domain %s has status %s" % (name, s),
                               (DOM, "status", None, {"s": s}))
        statuses = self.status_change(d["statuses"], st_add, st_rem)
        add, glue = self.ns_part(upd.find(q(DOM, "add")), name, True)
        rem, _ = self.ns_part(upd.find(q(DOM, "rem")), name, False)
        for h in add:
            if h in d["ns"] and h not in rem:
                raise EppError(2302, None, (DOM, "hostObj", h))
        for h in rem:
            if h not in d["ns"]:
                raise EppError(2303, None, (DOM, "hostObj", h))
        new = [h for h in d["ns"] if h not in rem] + \
            [h for h in add if h not in d["ns"] or h in rem]
        if (add or rem) and len(new) > reg.max_ns:
            raise EppError(2306, "a domain may have at most %d "
                           "nameservers" % reg.max_ns)
        if (add or rem) and len(new) < reg.min_ns:
            raise EppError(2308, "a domain needs at least %d "
                           "nameservers" % reg.min_ns)
        ds = self.ds_change(cmd, d["ds"])
        change = {"ns": new, "ds": ds, "glue": glue, "rem": rem,
                  "statuses": statuses}
        if fault and fault.get("action") == "pending":
            sv = reg.sv_trid()
            d["statuses"] = [s for s in d["statuses"] if s != "ok"] + \
                ["pendingUpdate"]
            t = threading.Timer(float(fault.get("seconds", 1)),
                                self.complete, (name, change, cl_trid, sv))
            t.daemon = True
            t.start()
            resp = self.response(1001, cl_trid)
            resp.find(".//" + q(EPP, "svTRID")).text = sv
            return resp
        self.commit(name, change)
        return self.response(1000, cl_trid)

    def status_part(self, part):
        if part is None:
            return []
        return [el.get("s") for el in part.findall(q(DOM, "status"))]

    def status_change(self, current, add, rem):
        """The statuses after an update: a client sets and clears only
        client* statuses."""
        for s in add + rem:
            if not s.startswith("client"):
                raise EppError(2306, "status %s is set by the registry, "
                               "not by a registrar" % s,
                               (DOM, "status", None, {"s": s}))
        for s in rem:
            if s not in current:
                raise EppError(2306, "the domain has no status %s" % s,
                               (DOM, "status", None, {"s": s}))
        for s in add:
            if s in current:
                raise EppError(2306, "the domain already has status %s" %
                               s, (DOM, "status", None, {"s": s}))
        return [s for s in current if s not in rem] + add

    def commit(self, name, change):
        d = self.reg.domains[name]
        d["statuses"] = [s for s in change.get("statuses", d["statuses"])
                         if s != "ok"]
        d["ns"] = change["ns"]
        d["ds"] = change["ds"]
        for h in change["rem"]:
            d["attr_addrs"].pop(h, None)
        d["attr_addrs"].update(change["glue"])
        self.reg.publish(name)

    def complete(self, name, change, cl_trid, sv):
        with self.reg.lock:
            d = self.reg.domains[name]
            self.commit(name, change)
            d["statuses"] = [s for s in d["statuses"]
                             if s != "pendingUpdate"]
            self.reg.enqueue(d["sponsor"], name, True, cl_trid, sv)
        self.srv.log.write("pending update of %s completed; poll message "
                           "queued" % name)

    # ---- hosts
    def host_check(self, cmd, cl_trid, fault):
        chk = etree.Element(q(HOST, "chkData"), nsmap={"host": HOST})
        for el in cmd.iter(q(HOST, "name")):
            cd = etree.SubElement(chk, q(HOST, "cd"))
            host = el.text.lower()
            exists = host in self.reg.hosts
            etree.SubElement(cd, q(HOST, "name"),
                             avail="0" if exists else "1").text = host
            if exists:
                etree.SubElement(cd, q(HOST, "reason")).text = "In use"
        return self.response(1000, cl_trid, res=chk)

    def host_create(self, cmd, cl_trid, fault):
        reg = self.reg
        cre = cmd.find(".//" + q(HOST, "create"))
        host = cre.findtext(q(HOST, "name")).lower()
        check_hostname(host)
        addrs = []
        for a in cre.findall(q(HOST, "addr")):
            check_addr(host, a.text, a.get("ip", "v4"))
            addrs.append(a.text)
        if host in reg.hosts:
            raise EppError(2302, None, (HOST, "name", host))
        if reg.internal(host):
            sup = reg.superordinate(host)
            if sup is None:
                raise EppError(2303, "superordinate domain of %s does "
                               "not exist" % host)
            if reg.domains[sup]["sponsor"] != self.clid:
                raise EppError(2201, "superordinate domain %s belongs to "
                               "another registrar" % sup)
            if not addrs:
                raise EppError(2003, "%s is a subordinate host and needs "
                               "an address" % host)
        elif addrs:
            raise EppError(2004, "external host %s takes no addresses" %
                           host)
        reg.hosts[host] = {"sponsor": self.clid, "addrs": addrs,
                           "created": now_text()}
        cre_el = etree.Element(q(HOST, "creData"), nsmap={"host": HOST})
        etree.SubElement(cre_el, q(HOST, "name")).text = host
        etree.SubElement(cre_el, q(HOST, "crDate")).text = now_text()
        return self.response(1000, cl_trid, res=cre_el)

    def host_update(self, cmd, cl_trid, fault):
        reg = self.reg
        upd = cmd.find(".//" + q(HOST, "update"))
        host = upd.findtext(q(HOST, "name")).lower()
        h = reg.hosts.get(host)
        if h is None:
            raise EppError(2303, None, (HOST, "name", host))
        if h["sponsor"] != self.clid:
            raise EppError(2201, None, (HOST, "name", host))
        if upd.find(q(HOST, "chg")) is not None or \
                upd.find(".//" + q(HOST, "status")) is not None:
            raise EppError(2102, "this registry changes only the "
                           "addresses of a host")
        parts = {}
        for tag in ("add", "rem"):
            parts[tag] = []
            for a in upd.findall("%s/%s" % (q(HOST, tag), q(HOST, "addr"))):
                check_addr(host, a.text, a.get("ip", "v4"))
                parts[tag].append(a.text)
        if parts["add"] and not reg.internal(host):
            raise EppError(2004, "external host %s takes no addresses" %
                           host)
        for a in parts["rem"]:
            if a not in h["addrs"]:
                raise EppError(2306, "host %s has no address %s" %
                               (host, a), (HOST, "addr", a))
        for a in parts["add"]:
            if a in h["addrs"] and a not in parts["rem"]:
                raise EppError(2302, "host %s already has address %s" %
                               (host, a), (HOST, "addr", a))
        addrs = [a for a in h["addrs"] if a not in parts["rem"]] + \
            [a for a in parts["add"] if a not in h["addrs"] or
             a in parts["rem"]]
        if reg.internal(host) and not addrs:
            raise EppError(2308, "subordinate host %s needs an address" %
                           host)
        h["addrs"] = addrs
        for name, d in reg.domains.items():
            if host in d["ns"]:
                reg.publish(name)       # its glue changed
        return self.response(1000, cl_trid)

    def host_delete(self, cmd, cl_trid, fault):
        reg = self.reg
        host = cmd.findtext(".//" + q(HOST, "name")).lower()
        h = reg.hosts.get(host)
        if h is None:
            raise EppError(2303, None, (HOST, "name", host))
        if h["sponsor"] != self.clid:
            raise EppError(2201, None, (HOST, "name", host))
        if reg.linked(host):
            raise EppError(2305, None, (HOST, "name", host))
        del reg.hosts[host]
        return self.response(1000, cl_trid)

    def host_info(self, cmd, cl_trid, fault):
        reg = self.reg
        host = cmd.findtext(".//" + q(HOST, "name")).lower()
        h = reg.hosts.get(host)
        if h is None:
            raise EppError(2303, None, (HOST, "name", host))
        inf = etree.Element(q(HOST, "infData"), nsmap={"host": HOST})
        etree.SubElement(inf, q(HOST, "name")).text = host
        etree.SubElement(inf, q(HOST, "roid")).text = "H%d-TEST" % (
            list(reg.hosts).index(host) + 1)
        etree.SubElement(inf, q(HOST, "status"),
                         s="linked" if reg.linked(host) else "ok")
        for a in h["addrs"]:
            etree.SubElement(inf, q(HOST, "addr"),
                             ip="v6" if ":" in a else "v4").text = a
        etree.SubElement(inf, q(HOST, "clID")).text = h["sponsor"]
        etree.SubElement(inf, q(HOST, "crID")).text = h["sponsor"]
        etree.SubElement(inf, q(HOST, "crDate")).text = h.get(
            "created", "2026-01-01T00:00:00.0Z")
        return self.response(1000, cl_trid, res=inf)

    # ---- poll
    def poll(self, cmd, cl_trid, fault):
        p = cmd.find(q(EPP, "poll"))
        queue = self.reg.queue.setdefault(self.clid, [])
        if p.get("op") == "ack":
            if not queue or queue[0]["id"] != p.get("msgID"):
                raise EppError(2303, "no message %s" % p.get("msgID"))
            queue.pop(0)
            mq = (len(queue), queue[0]["id"]) if queue else None
            return self.response(1000, cl_trid, msgq=mq)
        if not queue:
            return self.response(1300, cl_trid)
        m = queue[0]
        pan = etree.Element(q(DOM, "panData"), nsmap={"domain": DOM})
        etree.SubElement(pan, q(DOM, "name"),
                         paResult="1" if m["ok"] else "0").text = m["domain"]
        pt = etree.SubElement(pan, q(DOM, "paTRID"))
        if m["cl"]:
            etree.SubElement(pt, q(EPP, "clTRID")).text = m["cl"]
        etree.SubElement(pt, q(EPP, "svTRID")).text = m["sv"]
        etree.SubElement(pan, q(DOM, "paDate")).text = m["date"]
        return self.response(1301, cl_trid, res=pan, msgq=(
            len(queue), m["id"], m["date"],
            "Pending action completed successfully."))


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, registry, tls, schema, log, faults):
        self.registry = registry
        self.tls = tls
        self.schema = schema
        self.log = log
        self.faults = faults
        self.seq = 0
        self.seq_lock = threading.Lock()
        super().__init__(addr, Handler)

    def next_session_id(self):
        with self.seq_lock:
            self.seq += 1
            return self.seq

    def offered_objs(self):
        objs = [DOM]
        if self.registry.model == "objects":
            objs.append(HOST)
        return objs


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        srv = self.server
        self.request.settimeout(10)
        try:
            conn = srv.tls.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            srv.log.write("tls handshake failed from %s: %s" %
                          (self.client_address[0], e))
            return
        try:
            Session(srv, conn, self.client_address).run()
        finally:
            try:
                conn.close()
            except OSError:
                pass


def load_schema(path):
    if not os.path.isfile(path):
        sys.exit("registry.py: the EPP schemas are missing: %s not found "
                 "(set NSF_SHARED or --schemas to the folder holding "
                 "epp-all.xsd); refusing to start without validation" %
                 path)
    return etree.XMLSchema(etree.parse(path))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--listen", required=True, help="ADDR:PORT")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--ca", required=True, help="CA of client certs")
    ap.add_argument("--schemas", required=True, help="epp-all.xsd")
    ap.add_argument("--frame-log", required=True)
    ap.add_argument("--faults")
    ap.add_argument("--dns-server", help="parent zone primary (address)")
    ap.add_argument("--dns-port", type=int, default=53)
    ap.add_argument("--zone", default="test")
    ap.add_argument("--tsig-file", help="file holding NAME:ALG:SECRET")
    args = ap.parse_args()

    schema = load_schema(args.schemas)
    with open(args.config) as f:
        cfg = json.load(f)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(args.cert, args.key)
    tls.load_verify_locations(args.ca)
    tls.verify_mode = ssl.CERT_REQUIRED
    registry = Registry(cfg, args)
    registry.publish_all()
    host, port = args.listen.rsplit(":", 1)
    srv = Server((host, int(port)), registry, tls, schema,
                 FrameLog(args.frame_log), Faults(args.faults))
    # the host name a client asks for (SNI), for tests to check
    tls.sni_callback = lambda sock, name, ctx: srv.log.write(
        "tls sni=%s" % name) if name else None
    print("registry: listening on %s" % args.listen, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
