// The soak's bounded form (tests/e2e/soak/soak.mjs): on each engine, five
// minters in four runtimes on three nodes of one private store, each fault
// of the engine's schedule injected once in a seeded order. The seed is
// printed; IDLOOM_SOAK_SEED=S replays it. scripts/soak --minutes N runs it
// longer and prints the table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, MINTERS, faultsOf, soak, table } from './soak/soak.mjs';

const seed = Number(process.env.IDLOOM_SOAK_SEED ?? Math.floor(Math.random() * 1e6));

for (const engine of ENGINES) {
  test(`soak on ${engine} (seed ${seed}): no ID twice, every ID inside its lease, each fault's codes only`, { timeout: 600_000 }, async (t) => {
    const report = await soak({ engine, seed, say: (line) => t.diagnostic(line) });
    for (const line of table([report]).split('\n')) t.diagnostic(line);
    assert.deepEqual(report.problems, [], `seed ${seed}; files kept in ${report.dir}`);
    assert.equal(report.duplicates, 0);
    assert.equal(report.outside, 0);
    for (const runtime of Object.keys(MINTERS)) assert.ok(report.perRuntime[runtime] > 0, `${runtime} minted`);
    assert.deepEqual(Object.keys(report.faults).sort(), faultsOf(engine).sort(), 'every fault of the schedule was injected');
    assert.ok(report.grants > 3, `nodes were leased again (${report.grants} leases on 3 nodes)`);
    assert.ok(report.segmentIds > 0, 'segment IDs were drawn');
  });
}
