import sys, time, socket, json
from kazoo.client import KazooClient
hosts = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:22181"
path = sys.argv[2] if len(sys.argv) > 2 else "/idl/probe"
def four(cmd, hp):
    h, p = hp.split(":")
    s = socket.create_connection((h, int(p)), timeout=3); s.sendall(cmd.encode())
    out = b""
    while True:
        b = s.recv(65536)
        if not b: break
        out += b
    return out.decode()
zk = KazooClient(hosts=hosts, timeout=10); zk.start(timeout=15)
sid, _ = zk.client_id
print("connected_to", zk._connection._socket.getpeername() if zk._connection._socket else None)
print("session_id 0x%016x  (top byte=serverId %d, next 5 bytes=0x%010x)" % (sid, sid >> 56, (sid >> 16) & 0xffffffffff))
zk.ensure_path(path)
t0 = int(time.time() * 1000)
st = zk.set(path, str(t0).encode())
t1 = int(time.time() * 1000)
print("local_ms_before", t0, "mtime", st.mtime, "local_ms_after", t1, "mtime-local_before", st.mtime - t0)
print("mzxid 0x%016x epoch=%d counter=%d  czxid 0x%x version=%d" % (st.mzxid, st.mzxid >> 32, st.mzxid & 0xffffffff, st.czxid, st.version))
print("server_version", zk.server_version())
zk.stop(); zk.close()
