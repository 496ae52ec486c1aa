import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    // Layering: only the transport layer and *.routes.ts may import fastify.
    files: ['src/**/*.ts'],
    ignores: ['src/http/**', 'src/**/*.routes.ts', 'src/app.ts', 'src/runtime.ts', 'src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'fastify', message: 'only src/http and *.routes.ts speak HTTP' }] }],
    },
  },
);
