# Does a client session survive a server restore from an older data dir copy?
import subprocess, time, shutil, os, logging
from kazoo.client import KazooClient
D = "/tmp/idl-zk-rs"; shutil.rmtree(D, ignore_errors=True); os.makedirs(D + "/data")
open("rs.cfg", "w").write(f"tickTime=2000\ndataDir={D}/data\nclientPort=22185\nadmin.enableServer=false\nmaxSessionTimeout=60000\n")
def start():
    p = subprocess.Popen(["java", "-Xmx256m", "-cp", "/usr/share/java/zookeeper.jar:/etc/zookeeper/conf",
        "org.apache.zookeeper.server.quorum.QuorumPeerMain", "rs.cfg"], stdout=open("rs.log", "a"), stderr=subprocess.STDOUT)
    time.sleep(3); return p
def stop(p): p.terminate(); p.wait()
states = []
srv = start()
a = KazooClient("127.0.0.1:22185", timeout=60); a.add_listener(lambda s: states.append((round(time.time(),1), str(s)))); a.start()
sid = a.client_id[0]; print("A session 0x%x" % sid)
a.ensure_path("/x"); print("A wrote /x; stat", a.exists("/x").mzxid)
stop(srv); shutil.copytree(D + "/data", D + "/backup"); srv = start()
time.sleep(3); print("A after plain restart: session 0x%x state %s" % (a.client_id[0], a.state))
for i in range(3): st = a.set("/x", b"after-backup-%d" % i)
print("A last write mzxid 0x%x, A last_zxid 0x%x" % (st.mzxid, a.last_zxid))
stop(srv); shutil.rmtree(D + "/data"); shutil.copytree(D + "/backup", D + "/data"); srv = start()
time.sleep(4); print("A after restore (before other writes): state", a.state)
b = KazooClient("127.0.0.1:22185"); b.start(); b.ensure_path("/y")
for i in range(10): b.set("/y", b"%d" % i)
print("B pushed zxid to 0x%x" % b.exists("/y").mzxid)
time.sleep(6)
print("A after restore + others' writes: state", a.state, "session 0x%x" % a.client_id[0], "same session:", a.client_id[0] == sid)
if a.connected: print("A reads /x:", a.get("/x")[0], "version", a.get("/x")[1].version)
print("A state transitions:", states)
a.stop(); b.stop(); stop(srv)
