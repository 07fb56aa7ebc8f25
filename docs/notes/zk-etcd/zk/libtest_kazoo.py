from kazoo.client import KazooClient
from kazoo.protocol.states import ZnodeStat
print("ZnodeStat fields:", ZnodeStat._fields)
zk = KazooClient("127.0.0.1:22181"); zk.start()
zk.ensure_path("/idl/fence"); d, st = zk.get("/idl/fence")
t = zk.transaction(); t.check("/idl/fence", st.version); t.set_data("/idl/fence", b"tick-1", st.version); t.create("/idl/w-", b"", sequence=True)
r = t.commit(); print("txn#1 results:", r)
t = zk.transaction(); t.check("/idl/fence", st.version); t.set_data("/idl/fence", b"tick-2")
r = t.commit(); print("txn#2 (stale version) results:", [type(x).__name__ for x in r])
print("session 0x%x" % zk.client_id[0])
zk.stop()
