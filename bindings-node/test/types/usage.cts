// The same declarations for CommonJS users (require).
import idloom = require('idloom');

const gen = new idloom.Snowflake({ node: 1 });
const id: bigint = gen.next();
const u: string = idloom.v7();
const oid: idloom.ObjectId = new idloom.ObjectId(idloom.objectId());
const oidSeconds: number = oid.seconds;
void [id, u, oidSeconds];
