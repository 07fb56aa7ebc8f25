import asyncio, base64, json
b64 = lambda s: base64.b64encode(s.encode()).decode()
# --- etcd3gw (sync, HTTP/JSON grpc-gateway)
import etcd3gw
c = etcd3gw.Etcd3Client(host="127.0.0.1", port=23379)
print("etcd3gw api_path", c.api_path)
st = c.status(); print("etcd3gw status header", st["header"], "raftTerm", st.get("raftTerm"), "raftIndex", st.get("raftIndex"))
lease = c.lease(ttl=30); print("etcd3gw lease id", lease.id, "ttl", lease.ttl(), "refresh->", lease.refresh())
c.put("/idl/gw", "v1", lease=lease)
kv = c.get("/idl/gw", metadata=True); mr = int(kv[0][1]["mod_revision"]); print("etcd3gw mod_revision", mr)
txn = {"compare": [{"key": b64("/idl/gw"), "result": "EQUAL", "target": "MOD", "mod_revision": mr}],
       "success": [{"request_put": {"key": b64("/idl/gw"), "value": b64("v2"), "lease": lease.id}}],
       "failure": [{"request_range": {"key": b64("/idl/gw")}}]}
r = c.transaction(txn); print("etcd3gw txn#1 succeeded", r.get("succeeded"), "header", r["header"])
r = c.transaction(txn); print("etcd3gw txn#2 (stale mod_revision) succeeded", r.get("succeeded", False))
# --- aetcd (asyncio, gRPC)
import aetcd
async def main():
    async with aetcd.Client(host="127.0.0.1", port=23379) as a:
        s = await a.status(); print("aetcd status", type(s).__name__, {k: getattr(s, k) for k in dir(s) if k in ("version","db_size","leader","raft_index","raft_term","header")})
        l = await a.lease(30); print("aetcd lease", l.id)
        await a.put(b"/idl/a", b"v1", lease=l)
        v, meta = await a.get(b"/idl/a"), None
        kv = await a.get(b"/idl/a"); print("aetcd get ->", kv.value, "mod_revision", kv.mod_revision)
        T = a.transactions
        ok, resp = await a.transaction(compare=[T.mod(b"/idl/a") == kv.mod_revision], success=[T.put(b"/idl/a", b"v2", lease=l)], failure=[T.get(b"/idl/a")])
        print("aetcd txn#1", ok)
        ok, resp = await a.transaction(compare=[T.mod(b"/idl/a") == kv.mod_revision], success=[T.put(b"/idl/a", b"v3")], failure=[])
        print("aetcd txn#2 (stale)", ok)
        print("aetcd refresh_lease ->", await l.refresh())
asyncio.run(main())
