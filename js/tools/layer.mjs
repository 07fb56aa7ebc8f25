// The two build steps both packages take the shared JS layer with:
//
//   node js/tools/layer.mjs copy DIR
//       copy the layer's modules (js/*.mjs, js/stores/*.mjs) into DIR: the
//       Node package's lib/, the wasm package's pkg/lib/.
//   node js/tools/layer.mjs types GENERATED SURFACE OUT BANNER
//       bundle the declarations tsc generated from js/tsconfig.json (into
//       GENERATED) for SURFACE (`api` or `stores`) into the one file OUT.
//
// Why a bundle: the layer is one module per idea, but a package ships one
// declaration file per entry holding its public names only (the helpers the
// modules share, `codeError`, `u64`, `arg`, … stay out of it), and the
// CommonJS declarations (index.d.cts) cannot re-export ES modules. The
// bundle holds each public declaration as tsc wrote it (with its JSDoc), and
// the classes and types they rest on (an engine's base class) undeclared
// for export; `stores` takes the API's names from './api.mjs'. The public
// names are the ones the surface module (js/api.mjs, js/stores.mjs)
// re-exports, types included (`@typedef {import(…).X} X`).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const layer = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The layer's modules, as paths relative to js/ (posix). */
export function modules() {
  const list = (dir) => readdirSync(join(layer, dir)).filter((f) => f.endsWith('.mjs')).map((f) => posix.join(dir, f));
  return [...list('.'), ...list('stores')].sort();
}

/** Copy every module of the layer into `dir`. */
export function copy(dir) {
  for (const m of modules()) {
    mkdirSync(dirname(join(dir, m)), { recursive: true });
    copyFileSync(join(layer, m), join(dir, m));
  }
}

/**
 * The top-level statements of a declaration file, each with the comments
 * before it: { text, code, kind, name } (`code` without comments or strings).
 */
function statements(text) {
  const out = [];
  let i = 0;
  let start = 0;
  let code = '';
  let depth = 0;
  let head = null; // the statement's first code, once seen
  while (i < text.length) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      code += c + c;
      i = j + 1;
      continue;
    }
    if (head === null && !/\s/.test(c)) head = i;
    code += c;
    if ('{(['.includes(c)) depth++;
    else if ('})]'.includes(c)) depth--;
    i++;
    const classBody = c === '}' && depth === 0 && /^(export |declare )*(class|interface) /.test(text.slice(head ?? i));
    if (depth === 0 && (c === ';' || classBody)) {
      out.push(classify(text.slice(start, i).replace(/^\n+/, ''), code.trim()));
      start = i;
      code = '';
      head = null;
    }
  }
  return out;
}

function classify(text, code) {
  let m = /^(?:export |declare )*(class|function|const|let|type|interface) ([\w$]+)/.exec(code);
  if (m) {
    const alias = /^export type ([\w$]+) = import\(""\)\.([\w$]+);$/.exec(code);
    const target = alias && alias[1] === alias[2] ? /import\("([^"]+)"\)/.exec(text)[1] : null;
    return { text, code, kind: m[1], name: m[2], alias: target };
  }
  m = /^import \{([^}]*)\} from ''/.exec(code) ?? /^import \{([^}]*)\} from ""/.exec(code);
  if (m) return { text, code, kind: 'import', names: names(m[1]), from: /from ['"]([^'"]+)['"]/.exec(text)[1] };
  m = /^export \{([^}]*)\} from/.exec(code);
  if (m) return { text, code, kind: 'reexport', names: names(m[1]), from: /from ['"]([^'"]+)['"]/.exec(text)[1] };
  if (/^export \{\s*\};$/.test(code)) return { text, code, kind: 'empty' };
  throw new Error(`layer types: a statement this bundler does not know: ${text.trim().slice(0, 200)}`);
}

/** `a, b as c` → the exported names. */
const names = (list) => list.split(',').map((s) => s.trim().split(/\s+as\s+/).pop()).filter(Boolean);

/** A module path relative to js/ from `rel` imported by module `from`. */
const resolve = (from, rel) => posix.normalize(posix.join(posix.dirname(from), rel)).replace(/\.d\.mts$/, '.mjs');

/** The public names of surface module `surface`: name → module#name. */
function publicNames(generated, surface) {
  /** @type {Map<string, string>} */
  const names = new Map();
  const values = new Set();
  for (const s of statements(read(generated, surface))) {
    if (s.kind === 'reexport') for (const n of s.names) (names.set(n, `${resolve(surface, s.from)}#${n}`), values.add(n));
    else if (s.kind === 'type' && s.alias) names.set(s.name, `${resolve(surface, s.alias)}#${s.name}`);
    else if (s.kind !== 'empty') throw new Error(`layer types: ${surface} must only re-export (found ${s.kind} ${s.name ?? ''})`);
  }
  return { names, values };
}

const cache = new Map();
function read(generated, module) {
  const file = join(generated, module.replace(/\.mjs$/, '.d.mts'));
  if (!cache.has(file)) cache.set(file, readFileSync(file, 'utf8'));
  return cache.get(file);
}

/**
 * The bundled declarations of `surface` (`api.mjs` or `stores.mjs`) from the
 * files tsc wrote into `generated`; `external`, another surface whose public
 * names this one imports rather than declares.
 */
export function bundle(generated, surface, external = null) {
  const { names: pub, values } = publicNames(generated, surface);
  const ext = external ? publicNames(generated, external).names : new Map();
  const extKeys = new Map([...ext].map(([n, key]) => [key, n]));
  const parsed = new Map();
  const parse = (m) => (parsed.has(m) ? parsed.get(m) : parsed.set(m, statements(read(generated, m))).get(m));
  /** @type {Map<string, { module: string, index: number, chunks: any[] }>} */
  const included = new Map(); // module#name → its statements
  const imported = new Set(); // names taken from `external`
  const byName = new Map();
  const order = [];
  const want = (module, name) => {
    // A name imported from the external surface itself (`import { Layout } from './api.mjs'`).
    if (module === external && ext.has(name)) return imported.add(name);
    let key = `${module}#${name}`;
    for (;;) {
      const [m, n] = key.split('#');
      const alias = parse(m).find((s) => s.name === n && s.alias);
      if (!alias) break;
      key = `${resolve(m, alias.alias)}#${n}`;
    }
    if (extKeys.has(key)) return imported.add(extKeys.get(key));
    if (included.has(key)) return;
    const [m, n] = key.split('#');
    const chunks = parse(m).filter((s) => s.name === n && !s.alias);
    if (chunks.length === 0) throw new Error(`layer types: ${n} is not declared in ${m}`);
    if (byName.has(n) && byName.get(n) !== key) throw new Error(`layer types: two declarations named ${n} (${byName.get(n)}, ${key})`);
    byName.set(n, key);
    included.set(key, { module: m, chunks });
    order.push(key);
    for (const s of chunks) {
      if (!pub.has(n) && (s.kind === 'function' || s.kind === 'const' || s.kind === 'let')) continue;
      for (const r of s.text.matchAll(/import\("([^"]+)"\)\.([\w$]+)/g)) want(resolve(m, r[1]), r[2]);
      const local = parse(m);
      for (const id of new Set(s.code.match(/[A-Za-z_$][\w$]*/g))) {
        if (id === n) continue;
        const decl = local.find((d) => d.name === id);
        const imp = local.find((d) => d.kind === 'import' && d.names.includes(id));
        if (decl && decl.kind !== 'function' && decl.kind !== 'const' && decl.kind !== 'let') want(m, id);
        else if (imp) want(resolve(m, imp.from), id);
      }
    }
  };
  for (const [n, key] of pub) {
    const [m] = key.split('#');
    want(m, n);
  }
  for (const n of values) {
    const key = byName.get(n);
    const kinds = key ? included.get(key).chunks.map((s) => s.kind) : [];
    if (!kinds.some((k) => k === 'class' || k === 'function' || k === 'const' || k === 'let')) {
      throw new Error(`layer types: ${surface} exports ${n}, which has no declaration`);
    }
  }
  const body = [];
  for (const key of order) {
    const { chunks } = included.get(key);
    const [, n] = key.split('#');
    for (const s of chunks) {
      if (pub.has(n)) body.push(s.text);
      else if (s.kind === 'class' || s.kind === 'interface') body.push(s.text.replace(/^((?:[^\n]*\n)*?)export (?:declare )?(class|interface) /, '$1declare $2 '));
      else if (s.kind === 'type') body.push(s.text.replace(/^((?:[^\n]*\n)*?)export type /, '$1type '));
    }
  }
  const text = body.join('\n').replace(/import\("[^"]+"\)\.([\w$]+)/g, '$1');
  const head = imported.size > 0 ? `import { ${[...imported].sort().join(', ')} } from './${external}';\n` : '';
  return head + text + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [cmd, ...args] = process.argv.slice(2);
  if (cmd === 'copy' && args.length === 1) copy(args[0]);
  else if (cmd === 'types' && args.length === 4) {
    const [generated, surface, out, banner] = args;
    const text = surface === 'stores' ? bundle(generated, 'stores.mjs', 'api.mjs') : bundle(generated, `${surface}.mjs`);
    writeFileSync(out, `${banner}\n${text}`);
  } else {
    console.error('usage: node js/tools/layer.mjs copy DIR | types GENERATED api|stores OUT BANNER');
    process.exit(2);
  }
}
