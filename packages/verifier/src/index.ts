/**
 * `@inkan/verifier` (also `inkan/verifier`): the public API of the resource-server SDK, every export
 * named. It imports jose and Node built-ins only: never the server, and no web framework (the Koa
 * and Express middleware are the subpaths `@inkan/verifier/koa` and `@inkan/verifier/express`).
 */
export { createVerifier } from './verifier.js';
export type { AccessTokenClaims, DpopPresentation, RevocationMode, Verifier, VerifierLogger, VerifierOptions, VerifierStats, VerifyOptions } from './verifier-types.js';
export { VerifierError, type VerifierErrorCode } from './errors.js';
export {
  authenticateBearer,
  createRequestAuthenticator,
  type AuthenticationOptions,
  type AuthenticationResult,
  type BearerOptions,
  type BearerResult,
  type RequestAuthenticator,
  type RequestHeaders,
  type ResourceRequest,
} from './request-authentication.js';
export { DPOP_ALGS } from './protocol/dpop-proof.js';
export { isCoveredBy, type RevocableClaims, type RevocationRecord, type RevocationTarget } from './protocol/revocation-records.js';
export { EVENT_TYPES } from './protocol/security-events.js';
