#!/usr/bin/python3
# blackhole.py - a DNS server that never answers, for tests.
#
# A stopped server on loopback is not silent: the kernel answers with ICMP
# port unreachable and the client fails at once.  A real outage usually
# drops packets instead, so the client waits for its timeout.  This binds
# UDP and TCP on every ADDRESS:PORT given, reads what arrives, and never
# replies (TCP connections are accepted and left hanging).
#
#   blackhole.py 127.0.70.11:53 127.0.70.12:53
import selectors
import signal
import socket
import sys


def listen(sel, addr, port):
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp.bind((addr, port))
    sel.register(udp, selectors.EVENT_READ, "udp")
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addr, port))
    tcp.listen(64)
    sel.register(tcp, selectors.EVENT_READ, "tcp")


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: blackhole.py ADDRESS:PORT...\n")
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sel = selectors.DefaultSelector()
    for spec in sys.argv[1:]:
        addr, _, port = spec.rpartition(":")
        if not addr.startswith("127."):
            sys.stderr.write("blackhole.py: %s is not loopback\n" % spec)
            return 2
        listen(sel, addr, int(port))
    held = []
    print("blackhole listening on " + " ".join(sys.argv[1:]), flush=True)
    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            if key.data == "udp":
                sock.recvfrom(65535)
            elif key.data == "tcp":
                conn, _ = sock.accept()
                held.append(conn)
                # Never read or answer; bound what we keep open.
                if len(held) > 256:
                    held.pop(0).close()


if __name__ == "__main__":
    sys.exit(main())
