#!/usr/bin/env python3
"""Evaluates one JavaScript expression in the first page of a Chromium started with
--remote-debugging-port=PORT, over the DevTools protocol (a minimal WebSocket client, standard
library only), and prints the result as JSON. Used by the /status browser test."""
import base64, json, os, socket, struct, sys, urllib.request

port, expression = int(sys.argv[1]), sys.argv[2]
pages = [t for t in json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10)) if t["type"] == "page"]
path = "/" + pages[0]["webSocketDebuggerUrl"].split("/", 3)[3]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(1)
if b" 101 " not in head.split(b"\r\n")[0]:
    sys.exit("no websocket upgrade: " + head.decode(errors="replace"))

def send(obj):
    data = json.dumps(obj).encode()
    mask = os.urandom(4)
    n = len(data)
    header = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
    s.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

def exact(n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            sys.exit("connection closed")
        out += chunk
    return out

def receive():
    first, second = exact(2)
    n = second & 0x7F
    if n == 126:
        n = struct.unpack(">H", exact(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", exact(8))[0]
    return first & 0x0F, exact(n)

send({"id": 1, "method": "Runtime.evaluate", "params": {"expression": expression, "returnByValue": True}})
while True:
    op, payload = receive()
    if op == 1:
        msg = json.loads(payload)
        if msg.get("id") == 1:
            print(json.dumps(msg["result"]["result"].get("value")))
            break
