// A node:cluster app with 4 workers, each on a host-local slot claimed in the
// worker (node = 100 + k); the primary kills one worker, forks a replacement,
// and prints what every worker minted as JSON.
import cluster from 'node:cluster';
import { Snowflake, Slot } from '../lib/index.mjs';

const dir = process.env.IDLOOM_SLOT_DIR;
if (cluster.isPrimary) {
  const reports = [];
  let victim = null;
  cluster.on('message', (worker, msg) => {
    reports.push({ pid: worker.process.pid, ...msg });
    if (reports.length === 4) {
      victim = worker.process.pid;
      worker.process.kill('SIGKILL'); // no cleanup: the kernel frees its slot
      cluster.once('exit', () => cluster.fork());
    } else if (reports.length === 5) {
      for (const w of Object.values(cluster.workers)) w.process.kill('SIGKILL');
      process.stdout.write(JSON.stringify({ reports, victim }) + '\n', () => process.exit(0)); // a pipe writes asynchronously
    }
  });
  for (let i = 0; i < 4; i++) cluster.fork();
} else {
  const slot = Slot.claim(dir, 'web', 4, { hostBase: 100 });
  const gen = new Snowflake({ slot });
  // A restarted worker starts at the fence its predecessor wrote ahead (up to
  // stateLeadMs past the clock): the first ID may wait that long, so await it.
  const ids = [String(await gen.nextAsync())];
  while (ids.length < 5000) ids.push(String(gen.next()));
  process.send({ node: slot.node, ids });
  setInterval(() => {}, 1000); // keep the slot until the primary ends it
}
