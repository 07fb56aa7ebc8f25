// What the store suites share: the servers (the machine's, or the private ones
// scripts/test started: IDLOOM_PG_URL, IDLOOM_REDIS, IDLOOM_MYSQL), unique
// names, and waiting for a condition within a bound.
import assert from 'node:assert/strict';

export const PG = process.env.IDLOOM_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS = process.env.IDLOOM_REDIS ?? 'redis://127.0.0.1:6379/';
export const MYSQL = process.env.IDLOOM_MYSQL ?? 'mysql://root@127.0.0.1:3306/test';

/** A name no other run uses: `prefix` + `tag`, the process and random digits. */
export const uniqueName = (prefix, tag) => `${prefix}${tag}_${process.pid}_${Math.random().toString(16).slice(2, 10)}`;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `pred()` holds; fails the test after `ms`. */
export async function waitFor(pred, ms = 5000) {
  const end = Date.now() + ms;
  while (!pred()) {
    assert.ok(Date.now() < end, 'condition not reached in time');
    await sleep(10);
  }
}
