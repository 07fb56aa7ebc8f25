// Relative asset URLs (served under a sub-path); top-level await (the wasm instantiation) needs ES2022.
export default { base: './', build: { target: 'es2022', emptyOutDir: true }, logLevel: 'warn' };
