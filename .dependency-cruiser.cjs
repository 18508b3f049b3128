/**
 * What `npm run lint` checks with dependency-cruiser (CI runs it): the parts of src/ form layers,
 * each importing only the parts below it, so no import cycle between folders can form and a
 * newcomer can read the architecture from one list; and the verifier SDK reaches nothing outside
 * its package but jose and Node. (eslint.config.js checks which files may import which libraries.)
 *
 * LAYERS, from the floor up. Storage is the floor (every store interface, no domain knowledge);
 * the domain folders come next, each above what it uses; deps.ts wires them; the admin operations,
 * the CLI and the HTTP layer drive the wired domain; server.ts and main.ts start it all. A new
 * folder (or top-level file) of src/ gets its place in this list, or lint fails.
 */
const LAYERS = [
  'file-modes', // owner-only file modes (a leaf: node:fs only)
  'clock', // injected time
  'i18n', // the pages' message catalogues (en, ja, de) and the choice of language; imports nothing
  'tracing', // OpenTelemetry: the spans (the API's no-op until sdk.ts starts the SDK) and their settings
  'storage', // store interfaces and their knex implementation
  'config', // the only reader of process.env
  'log', // pino, chunked stdout
  'audit', // the audit trail
  'metrics', // Prometheus metrics
  'keys', // key material, lifecycle, keyring, the JWS signer
  'revocation', // revocation records, the one revocation path, the feed, status lists
  'backchannel-logout', // OIDC Back-Channel Logout: the queue the revoker fills, logout tokens, delivery
  'tokens', // access and ID tokens, the access-token check, secrets
  'oauth', // protocol rules: errors, scopes, PKCE, redirect URIs, client authentication, DPoP, discovery
  'accounts', // people: passwords, users, throttling
  'passkeys', // WebAuthn ceremonies: the relying party, challenges, registration and sign-in
  'clients', // client registration, lookup cache, client key sets
  'federation', // federated workload credentials: a foreign issuer's keys and the checks of its JWTs
  'refresh', // refresh-token families
  'grants', // one file per grant_type, and their registry
  'client-tokens', // RFC 7662 introspection and RFC 7009 revocation
  'login', // authorization requests, sign-in, sessions, consent, logout
  'shared-signals', // the OpenID Shared Signals transmitter: streams, SETs, push and poll delivery
  'housekeeping', // the background purge
  'deps', // the one wiring place
  'admin', // the admin API's operations (shared with the CLI)
  'cli', // argv → command → domain call → JSON
  'http', // the only Koa code: routes, endpoints, pages
  'server', // listeners, schedulers, graceful stop
  'cluster', // WORKERS: the primary, its workers, and one server's life from start to exit
  'main', // npm start
];

const part = (name) => `^src/${name}(/|\\.ts$)`;

module.exports = {
  forbidden: [
    // The top layer has nothing above it (an empty `to.path` would match everything).
    ...LAYERS.slice(0, -1).map((name, index) => ({
      name: `layer-${name}`,
      comment: `src/${name} imports only the parts of src/ below it in LAYERS (.dependency-cruiser.cjs)`,
      severity: 'error',
      from: { path: part(name) },
      to: { path: LAYERS.slice(index + 1).map(part) },
    })),
    {
      name: 'placed-in-layers',
      comment: 'every part of src/ has its place in LAYERS (.dependency-cruiser.cjs)',
      severity: 'error',
      from: { path: '^src/', pathNot: LAYERS.map(part) },
      to: {},
    },
    {
      name: 'sdk-stands-alone',
      comment: '@inkan/verifier is installed by resource servers on its own: it reaches jose, Node and its own files only',
      severity: 'error',
      from: { path: '^packages/verifier/src/' },
      to: { pathNot: ['^packages/verifier/src/', '^node_modules/jose/', '^node_modules/@types/'], dependencyTypesNot: ['core', 'type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['@inkan/source', 'import', 'types', 'default'] },
  },
};
