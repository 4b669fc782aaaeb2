import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const vscodeBan = { name: 'vscode', message: 'src/engine, src/shared and src/cli must stay free of VS Code.' };

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.vscode-test/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/engine/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [vscodeBan], patterns: [{ group: ['**/views/**', '**/host/**', '**/extension'], message: 'The engine and CLI may not import VS Code glue.' }] }],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [vscodeBan],
          patterns: [
            { group: ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process'], message: 'src/shared imports nothing outside itself.' },
            { group: ['../*', '!./*'], message: 'src/shared imports nothing outside itself.' },
            {
              // The one package: vscode-jsonrpc's environment-neutral API (each side picks /node or /browser).
              regex: '^(?!\\./|vscode-jsonrpc$)',
              message: 'src/shared imports only itself and vscode-jsonrpc (not its /node or /browser entry).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['webview-ui/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [vscodeBan],
          patterns: [
            { group: ['node:*'], message: 'The webview runs in a browser.' },
            { group: ['../../src/*', '!../../src/shared', '!../../src/shared/*'], message: 'webview-ui imports only itself and src/shared.' },
          ],
        },
      ],
    },
  },
);
