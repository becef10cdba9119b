import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', '.vscode-test/**', 'node_modules/**', '**/*.mjs', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test()/describe() return promises the runner tracks itself.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after'] }],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-console': 'off',
    },
  },
  {
    // The pure core must never reach for the VS Code API: it is shared with the CLI and unit-tested in plain Node.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'vscode', message: 'src/core is pure: pass values in from src/features instead.' }] },
      ],
      'no-console': 'error',
    },
  },
  {
    files: ['src/features/**/*.ts', 'src/extension.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Notifications carry servers' and files' text: they go through src/ui/notify.ts (the sanitizer).
    files: ['src/**/*.ts'],
    ignores: ['src/ui/notify.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[property.name=/^show(Information|Warning|Error)Message$/]',
          message: 'Use showInfo / showWarning / showError from src/ui/notify.ts: they sanitize what is shown.',
        },
      ],
    },
  },
  {
    // State services own state; views (features) read them, never the other way round.
    files: ['src/state/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/features/**'], message: 'src/state must not depend on a feature: features read state, not the reverse.' },
          ],
        },
      ],
    },
  },
  {
    // The CLI writes through its io (testable, no stray output) and runs without VS Code.
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'The CLI runs without VS Code: use src/core.' }],
          patterns: [{ group: ['**/features/**', '**/state/**'], message: 'The CLI uses src/core only.' }],
        },
      ],
    },
  },
);
