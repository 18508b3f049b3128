/**
 * What operators see of a signing key (`keys list`, the admin API): its lifecycle, never its
 * private half; and what they are told when they made a never-published key sign. One place, so
 * the CLI and the admin API show the same fields and say the same thing.
 */
import type { SigningKeyRecord } from '../storage/keys.js';
import type { Activation } from './lifecycle.js';

const iso = (seconds: number | null) => (seconds === null ? null : new Date(seconds * 1000).toISOString());

export function describeKey(key: SigningKeyRecord): Record<string, unknown> {
  return {
    kid: key.kid,
    alg: key.alg,
    status: key.status,
    created_at: iso(key.createdAt),
    activated_at: iso(key.activatedAt),
    retired_at: iso(key.retiredAt),
    remove_after: iso(key.removeAfter),
    revoked_at: iso(key.revokedAt),
  };
}

/** The answer of `keys rotate` (and its admin API twin): the keys now active, and a warning for unpublished ones. */
export function rotationAnswer(active: readonly SigningKeyRecord[], activation: Activation, jwksMaxAgeSeconds: number): Record<string, unknown> {
  const answer = { active: active.map((key) => ({ kid: key.kid, alg: key.alg })) };
  return activation === 'unpublished' && active.length > 0 ? { ...answer, warning: unpublishedWarning(active, jwksMaxAgeSeconds) } : answer;
}

/** The answer of `keys revoke`: `{revoked}`, plus the unpublished key now active in its place and a warning. */
export function revocationAnswer(kid: string, active: readonly SigningKeyRecord[], activation: Activation, jwksMaxAgeSeconds: number): Record<string, unknown> {
  return activation === 'unpublished' && active.length > 0 ? { revoked: kid, ...rotationAnswer(active, activation, jwksMaxAgeSeconds) } : { revoked: kid };
}

function unpublishedWarning(keys: readonly SigningKeyRecord[], jwksMaxAgeSeconds: number): string {
  const names = keys.map((key) => `${key.alg} key ${key.kid}`);
  const named = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : names.join('');
  const [signs, kids] = keys.length === 1 ? ['signs', 'this kid'] : ['sign', 'these kids'];
  return (
    `${named} ${signs} from now on without ever having been published: verifiers with a cached JWKS will miss ${kids} ` +
    `until they refetch the JWKS (up to JWKS_MAX_AGE, ${jwksMaxAgeSeconds} s; later for those that do not refetch on an unknown kid)`
  );
}
