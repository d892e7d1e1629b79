#!/usr/bin/python3
"""forge_api.py - a stand-in for the GitHub and GitLab comment APIs, for
testing examples/ci/nsfailover-ci.py: keeps comments in memory, records
every request (method, path, auth headers, JSON body) one JSON object a
line, and answers as the real APIs do for the calls the script makes.

  forge_api.py ADDRESS PORTFILE LOGFILE
"""
import http.server
import json
import os
import re
import sys

address, port_file, log_file = sys.argv[1:4]
comments = {}           # path of the collection -> list of comments
next_id = [100]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, body):
        with open(log_file, "a") as f:
            f.write(json.dumps({
                "method": self.command, "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "private_token": self.headers.get("PRIVATE-TOKEN"),
                "body": body}) + "\n")

    def answer(self, code, doc):
        data = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return json.loads(self.rfile.read(n) or b"null")

    def do_GET(self):
        self.record(None)
        path = self.path.split("?")[0]
        self.answer(200, comments.get(path, []))

    def do_POST(self):
        body = self.body()
        self.record(body)
        path = self.path.split("?")[0]
        next_id[0] += 1
        c = {"id": next_id[0], "body": body["body"]}
        comments.setdefault(path, []).append(c)
        self.answer(201, c)

    def edit(self):
        body = self.body()
        self.record(body)
        # GitHub: /repos/O/R/issues/comments/ID; GitLab: .../notes/ID
        m = re.match(r"(.*)/(\d+)$", self.path)
        for coll, items in comments.items():
            for c in items:
                if str(c["id"]) == m.group(2):
                    c["body"] = body["body"]
                    self.answer(200, c)
                    return
        self.answer(404, {"message": "Not Found"})

    do_PATCH = edit
    do_PUT = edit


server = http.server.ThreadingHTTPServer((address, 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
