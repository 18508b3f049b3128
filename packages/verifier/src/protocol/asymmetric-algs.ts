/**
 * The asymmetric JWS algorithms Inkan accepts from clients (client assertions, DPoP proofs) and
 * which key fits each. One list and one rule for the SDK and the server (which imports it from
 * `@inkan/verifier/protocol`: the SDK never imports the server). `Ed25519` is the
 * fully-specified name of EdDSA over Ed25519; never `none`, never an HMAC.
 */
import type { JWK } from 'jose';

export const ASYMMETRIC_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'] as const;
export type AsymmetricAlg = (typeof ASYMMETRIC_ALGS)[number];

/** The longest `jti` accepted in a client-made JWT (assertion or proof). */
export const MAX_CLIENT_JTI_LENGTH = 256;

/** Whether the key's type and curve can verify `alg`. */
export function keyTypeFitsAlg(jwk: JWK, alg: string): boolean {
  switch (alg) {
    case 'RS256':
    case 'PS256':
      return jwk.kty === 'RSA';
    case 'ES256':
      return jwk.kty === 'EC' && jwk.crv === 'P-256';
    case 'EdDSA':
    case 'Ed25519':
      return jwk.kty === 'OKP' && jwk.crv === 'Ed25519';
    default:
      return false;
  }
}
