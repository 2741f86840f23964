#!/usr/bin/env python3
"""A partner's webhook endpoint for tests: HTTPS on 127.0.0.1, any free port.

usage: https_receiver.py PORT_FILE CERT KEY LOG FAIL_FLAG

Writes the port it listens on to PORT_FILE, then appends one JSON line per POST to LOG
(the Loyalty-* headers, the raw body, the status answered). Answers 500 while the file
FAIL_FLAG exists, 200 otherwise.
"""
import http.server
import json
import os
import ssl
import sys

port_file, cert, key, log, fail_flag = sys.argv[1:6]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status = 500 if os.path.exists(fail_flag) else 200
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps({
                "signature": self.headers.get("Loyalty-Signature", ""),
                "event_id": self.headers.get("Loyalty-Event-Id", ""),
                "body": body.decode("utf-8"),
                "status": status,
            }) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
