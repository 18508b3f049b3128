/**
 * What `npm run lint` checks with ESLint (CI runs it): the boundaries the architecture relies on,
 * so that they hold for the next person instead of living in a README line. Each dependency that
 * defines a layer is imported in one place only, configuration comes from one place, and the
 * verifier SDK stays installable on its own. Import cycles between folders are dependency-cruiser's
 * job (.dependency-cruiser.cjs).
 *
 * TypeScript is parsed with typescript-eslint's parser, which runs on TypeScript's JavaScript API
 * (the `typescript` 6 package); the build compiles with TypeScript 7 (`typescript-7`).
 *
 * ESLint keeps one setting per rule and file, so the boundaries are turned into disjoint zones
 * (the places some boundary allows, and the rest), each forbidding every import it may not make.
 */
import tseslint from 'typescript-eslint';

/** Each entry: a module, the only files that may import it, and why. */
const BOUNDARIES = [
  { modules: ['koa', '@koa/router'], allowedIn: 'src/http/**', why: 'Koa belongs to src/http/: the domain never sees a request context' },
  { modules: ['knex', 'better-sqlite3', 'pg'], allowedIn: 'src/storage/knex/**', why: 'database drivers belong to src/storage/knex/: the domain talks to store interfaces' },
  { modules: ['argon2'], allowedIn: 'src/accounts/passwords.ts', why: 'argon2 hashes people\'s passwords in src/accounts/passwords.ts, and nothing else' },
  { modules: ['@simplewebauthn/server'], allowedIn: 'src/passkeys/**', why: 'WebAuthn ceremonies belong to src/passkeys/: the rest of Inkan asks it for options and verdicts' },
  {
    modules: ['@opentelemetry/api', '@opentelemetry/sdk-trace', '@opentelemetry/context-async-hooks', '@opentelemetry/core', '@opentelemetry/resources', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/exporter-trace-otlp-proto'],
    allowedIn: 'src/tracing/**',
    why: 'OpenTelemetry belongs to src/tracing/: the seams call tracing/spans.ts, and only tracing/sdk.ts starts the SDK',
  },
];

const restrict = (boundaries) => ({
  'no-restricted-imports': [
    'error',
    { paths: boundaries.flatMap(({ modules, why }) => modules.map((name) => ({ name, message: why }))) },
  ],
});

const zones = [
  ...BOUNDARIES.map((boundary) => ({ files: [boundary.allowedIn], rules: restrict(BOUNDARIES.filter((other) => other !== boundary)) })),
  { files: ['src/**/*.ts'], ignores: BOUNDARIES.map((boundary) => boundary.allowedIn), rules: restrict(BOUNDARIES) },
];

/** The SDK imports jose, Node's built-ins and its own modules; its adapters name their framework's types. */
const sdkImports = (framework) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          // jose, node:*, ./x, one ../ (src/protocol/ → src/); never out of the package.
          regex: `^(?!jose$|node:|\\./|\\.\\./(?!\\.\\./)${framework === undefined ? '' : `|${framework}$`})`,
          message: '@inkan/verifier depends on jose alone (and on its framework\'s types in an adapter): resource servers install it without the server',
        },
      ],
    },
  ],
});

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench-output/**', 'test-output/**', 'data/**'] },
  { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser, sourceType: 'module' } },
  ...zones,
  {
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read the environment in src/config.ts only, and pass the typed Config in' }],
    },
  },
  { files: ['packages/verifier/src/**/*.ts'], ignores: ['packages/verifier/src/koa.ts', 'packages/verifier/src/express.ts'], rules: sdkImports(undefined) },
  { files: ['packages/verifier/src/koa.ts'], rules: sdkImports('koa') },
  { files: ['packages/verifier/src/express.ts'], rules: sdkImports('express') },
  {
    files: ['packages/verifier/src/**/*.ts'],
    rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'the SDK takes its settings as options, never from the environment' }] },
  },
];
