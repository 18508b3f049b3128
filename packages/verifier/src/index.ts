/**
 * `inkan/verifier`: the public API of the resource-server SDK, every export named. It imports
 * jose and Node built-ins only, never the server.
 */
export { createVerifier } from './verifier.js';
export type { AccessTokenClaims, DpopPresentation, RevocationMode, Verifier, VerifierLogger, VerifierOptions, VerifierStats, VerifyOptions } from './verifier-types.js';
export { VerifierError, type VerifierErrorCode } from './errors.js';
export { authenticateBearer, authenticateRequest, type BearerOptions, type BearerResult, type ResourceRequest } from './request-authentication.js';
export { DPOP_ALGS } from './protocol/dpop-proof.js';
export { verifierMiddleware, type VerifiedState } from './koa.js';
export { isCoveredBy, type RevocableClaims, type RevocationRecord, type RevocationTarget } from './protocol/revocation-records.js';
export { EVENT_TYPES } from './protocol/security-events.js';
