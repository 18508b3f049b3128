/**
 * What operators see of a signing key (`keys list`, the admin API): its lifecycle, never its
 * private half. One function, so the CLI and the admin API show the same fields.
 */
import type { SigningKeyRecord } from '../storage/stores.js';

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
