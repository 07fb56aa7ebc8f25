// eslint (pinned in devDependencies) over the JS sources of the repository:
// the shared layer js/, bindings-node, bindings-wasm's JS and tests,
// tests/e2e. scripts/test's lint group runs it from the repository root with
// this file as --config.
import js from '@eslint/js';
import globals from 'globals';

export default [
  {
    // bindings-node/lib holds copies of js/ (npm run build) beside the Node entries.
    ignores: ['**/node_modules/', '**/native/', '**/build/', 'bindings-wasm/pkg/', 'target/', 'fuzz/', '.venv/', '.tools/',
      'bindings-node/lib/*', '!bindings-node/lib/index.mjs', '!bindings-node/lib/index.js', '!bindings-node/lib/node-native.mjs'],
  },
  js.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: 'module',
      globals: { ...globals.node, ...globals.browser, ...globals.worker },
    },
    rules: {
      // A leading underscore marks a parameter or binding kept on purpose (an
      // interface's signature, a key taken out of an options object).
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/*.{js,cjs}'],
    languageOptions: { sourceType: 'commonjs' },
  },
];
