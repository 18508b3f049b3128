import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files run in parallel on both cores; each test builds its own server, database and keys.
    pool: 'forks',
    reporters: ['default'],
  },
  // `@inkan/verifier` (and `inkan/verifier`) resolve to the SDK's TypeScript source in tests, as in
  // `npm run typecheck` (tsconfig.json customConditions): one copy of each module whichever way a
  // test or the in-process server imports it, and no stale packages/verifier/dist. Vite's default
  // server conditions follow, less `module`: vitest hands these to Node as `--conditions` too, and
  // under `module` Node resolves @opentelemetry/api (required by prom-client, imported by
  // src/tracing) to an ESM build whose imports lack file extensions, which Node cannot load; Node
  // itself never uses `module`. Processes the tests spawn run the compiled dist/, as `npm start` does.
  ssr: {
    resolve: {
      conditions: ['@inkan/source', 'node', 'development|production'],
    },
  },
});
