import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/ (docs/architecture.md), each importing only those below it:
 *   kernel → platform → domain → connectors → edge → the composition root (runtime.ts, main.ts, cli.ts).
 * A relative import that climbs into a higher layer fails lint. Type imports count too: a layer that
 * needs a shape from above declares a port of its own instead.
 */
const ROOT_FILES = '(runtime|main|cli)\\.js$';
const up = (dirs) => `^(\\.\\./)+(${dirs})(/|$)`;
const layer = (files, regexes, message, extra = {}) => ({
  files,
  ignores: ['src/**/*.test.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        ...extra,
        patterns: [...regexes.map((regex) => ({ regex, message })), ...(extra.patterns ?? [])],
      },
    ],
  },
});
const FASTIFY_ONLY_AT_THE_EDGE = { paths: [{ name: 'fastify', message: 'only src/edge speaks HTTP' }] };

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.payrail/', 'coverage/', 'bench/.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', AbortController: 'readonly', structuredClone: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { patterns: [{ group: ['../dist/*', '../../dist/*'], message: 'import sources, not build output' }] }],
    },
  },
  layer(['src/kernel/**/*.ts'], ['^\\.\\./'], 'src/kernel imports nothing of the project', FASTIFY_ONLY_AT_THE_EDGE),
  layer(['src/platform/**/*.ts'], [up('domain|connectors|edge'), ROOT_FILES], 'src/platform imports only src/kernel and src/platform', FASTIFY_ONLY_AT_THE_EDGE),
  layer(['src/domain/**/*.ts'], [up('connectors|edge'), ROOT_FILES], 'src/domain imports only kernel, platform and domain', FASTIFY_ONLY_AT_THE_EDGE),
  // Inside the domain: the session aggregate knows its operations only through the operation-kind
  // port, and the modules below it (projects, ledger, tokens) know nothing of sessions or operations.
  layer(['src/domain/sessions/**/*.ts'], [up('connectors|edge'), ROOT_FILES, '^\\.\\./(payments|payouts|refunds)/'], 'domain/sessions sees operations only through its operation-kind port', FASTIFY_ONLY_AT_THE_EDGE),
  layer(
    ['src/domain/projects/**/*.ts', 'src/domain/ledger/**/*.ts', 'src/domain/tokens/**/*.ts'],
    [up('connectors|edge'), ROOT_FILES, '^\\.\\./(sessions|payments|payouts|refunds)/'],
    'projects, ledger and tokens sit below sessions and operations',
    FASTIFY_ONLY_AT_THE_EDGE,
  ),
  // Operations know each other only through the session: payments and payouts are siblings, refunds below both.
  layer(['src/domain/payments/**/*.ts'], [up('connectors|edge'), ROOT_FILES, '^\\.\\./payouts/'], 'payments and payouts do not import each other', FASTIFY_ONLY_AT_THE_EDGE),
  layer(['src/domain/payouts/**/*.ts'], [up('connectors|edge'), ROOT_FILES, '^\\.\\./payments/'], 'payments and payouts do not import each other', FASTIFY_ONLY_AT_THE_EDGE),
  layer(['src/domain/refunds/**/*.ts'], [up('connectors|edge'), ROOT_FILES, '^\\.\\./(payments|payouts)/'], 'refunds sit below payments and payouts', FASTIFY_ONLY_AT_THE_EDGE),
  layer(['src/connectors/**/*.ts'], [up('edge'), ROOT_FILES], 'src/connectors implements domain ports; it imports no edge code', FASTIFY_ONLY_AT_THE_EDGE),
  layer(['src/edge/**/*.ts'], [up('connectors'), ROOT_FILES], 'src/edge reaches connectors only through the composition root (src/runtime.ts)'),
  {
    // The hosted pages' browser scripts (src/edge/pages/client/), served as written: plain scripts, no
    // modules, no build. PayrailCardForm is what card-form.js puts on window for the other two pages.
    files: ['src/edge/pages/client/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { window: 'readonly', document: 'readonly', location: 'readonly', navigator: 'readonly', fetch: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', ResizeObserver: 'readonly', PayrailCardForm: 'readonly' },
    },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }] },
  },
);
