// The per-platform addon packages of napi-rs's convention, named from the
// package's `napi` config: `@idloom/binding-linux-x64-gnu` for the target
// x86_64-unknown-linux-gnu. The loader's error (node-native.mjs), the publish
// guard (scripts/prepublish.mjs) and scripts/release read them from here.

/** napi-rs's platform name of a Rust target triple. @param {string} target */
export function platformOfTarget(target) {
  const [arch, , os, abi] = target.split('-');
  const cpu = /** @type {Record<string, string>} */ ({ x86_64: 'x64', aarch64: 'arm64' })[arch] ?? arch;
  if (os === 'darwin') return `darwin-${cpu}`;
  if (os === 'windows') return `win32-${cpu}-${abi}`;
  return `${os}-${cpu}-${abi}`;
}

/** napi-rs's platform name of this process (`linux-x64-musl`, `darwin-arm64`, `win32-x64-msvc`). */
export function hostPlatform() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const report = /** @type {{ header?: { glibcVersionRuntime?: string } }} */ (process.report?.getReport() ?? {});
    return `linux-${arch}-${report.header?.glibcVersionRuntime ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/**
 * The per-platform packages of a package.json: platform → package name.
 * @param {{ napi: { packageName: string, targets: string[] } }} pkg
 */
export function platformPackages(pkg) {
  return new Map(pkg.napi.targets.map((t) => [platformOfTarget(t), `${pkg.napi.packageName}-${platformOfTarget(t)}`]));
}
