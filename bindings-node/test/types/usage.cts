// The same declarations for CommonJS users (require).
import idloom = require('idloom');

const gen = new idloom.Snowflake({ node: 1 });
const id: bigint = gen.next();
const u: string = idloom.v7();
void [id, u];
