// Under Node, the native half is the napi-rs addon (loaded by the loader
// that `napi build` writes next to it), with Node's parts (host-node.mjs).
// The loader takes the addon from native/ (a build from a checkout) or from
// the per-platform package npm installed (`@idloom/binding-<platform>`, an
// optional dependency); when neither is there, the error names this
// platform and the package it looked for.
import { createRequire } from 'node:module';
import { install } from './native.mjs';
import { nodeHost } from './host-node.mjs';
import { hostPlatform, platformPackages } from './platforms.mjs';

const require = createRequire(import.meta.url);

/** @returns {any} */
function loadAddon() {
  try {
    return require('../native/index.js');
  } catch (cause) {
    const platform = hostPlatform();
    const packages = platformPackages(require('../package.json'));
    const wanted = packages.get(platform);
    const error = new Error(
      wanted
        ? `idloom: the native addon for this platform (${platform}) is not installed: install ${wanted} (npm skips it under --omit=optional or --no-optional)`
        : `idloom: no native addon is published for this platform (${platform}); prebuilt: ${[...packages.keys()].join(', ')}. ` +
            'Use idloom-wasm on this platform, or build idloom from a checkout (bindings-node: npm run build)',
    );
    error.cause = cause;
    throw error;
  }
}

install(loadAddon(), nodeHost);
