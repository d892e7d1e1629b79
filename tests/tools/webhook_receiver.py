#!/usr/bin/python3
"""webhook_receiver.py - a webhook receiver for tests: records every POST
(headers and body, one JSON object a line) and answers as told.

  webhook_receiver.py ADDRESS PORTFILE LOGFILE MODE
MODE: ok (200), hang (records, then never answers), status:CODE,
flaky:N (503 for the first N requests, then 200).
"""
import http.server
import json
import sys
import threading
import time

address, port_file, log_file, mode = sys.argv[1:5]
lock = threading.Lock()
seen = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8")
        with lock:
            seen[0] += 1
            n = seen[0]
            with open(log_file, "a") as f:
                f.write(json.dumps({"n": n, "path": self.path,
                                    "headers": dict(self.headers),
                                    "body": body,
                                    "time": time.time()}) + "\n")
        if mode == "hang":
            time.sleep(3600)
            return
        code = 200
        if mode.startswith("status:"):
            code = int(mode.split(":")[1])
        elif mode.startswith("flaky:") and n <= int(mode.split(":")[1]):
            code = 503
        self.send_response(code)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


server = Server((address, 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os  # noqa: E402
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
