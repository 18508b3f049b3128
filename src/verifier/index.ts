/**
 * `inkan/verifier`: the public API of the resource-server SDK, every export named. It imports
 * jose and Node built-ins only, never the server.
 */
export { createVerifier } from './verifier.js';
export type { AccessTokenClaims, RevocationMode, Verifier, VerifierLogger, VerifierOptions, VerifierStats } from './verifier.js';
export { VerifierError, type VerifierErrorCode } from './errors.js';
export { authenticateBearer, type BearerOptions, type BearerResult } from './bearer.js';
export { verifierMiddleware, type VerifiedState } from './koa.js';
export { isCoveredBy, type RevocableClaims, type RevocationRecord, type RevocationTarget } from './revocation-records.js';
export { EVENT_TYPES } from './security-events.js';
