import socket, sys
cmd, hp = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1:22181")
h, p = hp.split(":"); s = socket.create_connection((h, int(p)), timeout=3); s.sendall(cmd.encode()); o = b""
while True:
    b = s.recv(65536)
    if not b: break
    o += b
print(o.decode())
