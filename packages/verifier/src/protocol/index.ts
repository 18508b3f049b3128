/**
 * `@inkan/verifier/protocol`: the pure vocabulary that Inkan's server and this SDK share, so both
 * sides run the very same rules: which tokens a revocation record covers, the Security Event Token
 * format of the revocation feed, the bits of a Token Status List, the asymmetric algorithms and the
 * DPoP proof check. The server imports it from here (the SDK never imports the server); a tool
 * that reads the feed or a status list without `createVerifier` can use it too. Every export named.
 */
export { ASYMMETRIC_ALGS, keyTypeFitsAlg, MAX_CLIENT_JTI_LENGTH, type AsymmetricAlg } from './asymmetric-algs.js';
export { checkDpopProof, DPOP_ALGS, type CheckedDpopProof, type DpopProofCheck } from './dpop-proof.js';
export { isCoveredBy, type RevocableClaims, type RevocationKind, type RevocationRecord, type RevocationTarget } from './revocation-records.js';
export { EVENT_TYPES, MalformedSecurityEventError, recordFromSecurityEvent, securityEventClaims } from './security-events.js';
export { decodeStatusList, encodeStatusList, isStatusBits, MAX_STATUS_LIST_BYTES, setBit, statusAt, type StatusBits } from './status-list-bits.js';
