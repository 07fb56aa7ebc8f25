// `npm publish`'s guard (prepublishOnly): refuse to publish a package a user
// could not import — the generated loader and declarations missing (a clean
// checkout has neither: they are build outputs), or the per-platform packages
// not its optionalDependencies at this very version (scripts/release writes
// them into the package.json it packs; publish its tarballs, not this directory).
import { existsSync, readFileSync } from 'node:fs';
import { platformPackages } from '../lib/platforms.mjs';

const here = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', here), 'utf8'));
const problems = [];
for (const file of ['native/index.js', 'native/index.d.ts', 'lib/index.d.mts', 'lib/index.d.cts', 'lib/api.d.mts', 'lib/stores.d.mts', 'lib/api.mjs', 'lib/stores.mjs']) {
  if (!existsSync(new URL(file, here))) problems.push(`${file} is missing: run \`npm run build\` first`);
}
const want = [...platformPackages(pkg).values()].sort();
const have = Object.keys(pkg.optionalDependencies ?? {}).sort();
if (want.join() !== have.join()) problems.push(`optionalDependencies must be the per-platform packages ${want.join(', ')} (found: ${have.join(', ') || 'none'}); publish what scripts/release packs`);
for (const [name, v] of Object.entries(pkg.optionalDependencies ?? {})) {
  if (v !== pkg.version) problems.push(`optionalDependencies: ${name} must be exactly ${pkg.version} (found ${v})`);
}
if (problems.length > 0) {
  for (const p of problems) console.error(`prepublishOnly: ${p}`);
  process.exit(1);
}
