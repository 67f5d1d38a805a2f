// Lint rules that keep DESIGN.md's picture true: imports flow down only.
import tseslint from 'typescript-eslint';

const noUp = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // The core never imports a protocol, transport, store implementation, admin or cli code.
    files: ['src/broker/**/*.ts'],
    rules: noUp(
      ['**/protocols/**', '**/transport/**', '**/store/journal/**', '**/store/memory/**', '**/admin/**', '**/cli/**', '**/config/load*'],
      'The broker core may import only its own modules, store/api, config/types and errors.',
    ),
  },
  {
    // A codec imports nothing outside its own folder.
    files: ['src/protocols/*/codec/**/*.ts'],
    rules: noUp(['../*', '!./*'], 'A codec is pure: import only from its own folder.'),
  },
  {
    // Stores sit below the core: they never import it, nor heads.
    files: ['src/store/**/*.ts'],
    rules: noUp(['**/broker/**', '**/protocols/**', '**/transport/**', '**/cli/**'], 'Stores do not import the core or heads.'),
  },
  {
    // The client is a peer of the broker, not part of it: it shares only the STOMP codec, errors,
    // default ports and URI helpers, so `ferrymq send` and embedders never load the broker.
    files: ['src/client/**/*.ts'],
    rules: {
      // One group, so the negation applies (noUp gives each pattern its own group).
      'no-restricted-imports': ['error', {
        patterns: [{
          group: ['**/broker/**', '**/store/**', '**/transport/**', '**/admin/**', '**/cli/**', '**/ha/**', '../index.js', '**/protocols/*/*.js', '../config/*', '!../config/defaults.js'],
          message: 'The client imports only the STOMP codec, errors, config/defaults and util.',
        }],
      }],
    },
  },
  {
    files: ['src/cli/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
