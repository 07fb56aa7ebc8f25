// The same declarations for CommonJS users (require).
import idloom = require('idloom');

const gen = new idloom.Snowflake({ node: 1 });
const id: bigint = gen.next();
const u: string = idloom.v7();
const remote: idloom.RemoteSource = idloom.remoteSource('http://127.0.0.1:8080', 'orders', { timeoutMs: 2000 });
const remoteIds = new idloom.Segment(remote, { step: 100 });
void remoteIds;
const oid: idloom.ObjectId = new idloom.ObjectId(idloom.objectId());
const oidSeconds: number = oid.seconds;
void [id, u, oidSeconds];
