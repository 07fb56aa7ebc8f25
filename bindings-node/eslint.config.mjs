// eslint (pinned in devDependencies) over the JS sources of the repository:
// bindings-node, bindings-wasm's JS and tests, tests/e2e. scripts/test's lint
// group runs it from the repository root with this file as --config.
import js from '@eslint/js';
import globals from 'globals';

export default [
  {
    ignores: ['**/node_modules/', '**/native/', '**/build/', 'bindings-wasm/pkg/', 'target/', 'fuzz/', '.venv/', '.tools/'],
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
