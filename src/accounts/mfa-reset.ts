/**
 * An operator's reset of a person's second factors (`users mfa reset --email E`, the admin API's
 * POST /admin/users/mfa/reset): for someone who lost their authenticator app and recovery codes,
 * or whose factors may be in someone else's hands. Every factor of every kind goes (TOTP apps,
 * recovery codes, passkeys: each `FactorSource` of `FactorSources`), and every session of the
 * person ends through the one revocation path (revoker.endUser: sessions, refresh families, access
 * tokens), so nothing signed in with an old factor outlives the reset. One audit line, `mfa.reset`.
 */
import { type Actor, CLI_ACTOR, emailDigest, type AuditLog } from '../audit/audit-log.js';
import type { Revoker } from '../revocation/revoker.js';
import type { UserStore } from '../storage/people.js';
import type { FactorSources } from './factors.js';
import { UserError } from './users.js';

export interface MfaResetDeps {
  readonly users: Pick<UserStore, 'find' | 'findByEmail'>;
  readonly factors: Pick<FactorSources, 'removeAll'>;
  readonly revoker: Pick<Revoker, 'endUser'>;
  readonly audit?: AuditLog;
}

export interface MfaReset {
  readonly email: string;
  readonly factorsRemoved: number;
  readonly sessionsEnded: number;
}

/** Throws UserError ('unknown') when no person has the email. */
export async function resetSecondFactors(deps: MfaResetDeps, email: string, actor: Actor = CLI_ACTOR): Promise<MfaReset> {
  const user = await deps.users.findByEmail(email);
  if (user === undefined) throw new UserError(`no user with the email ${email}`, 'unknown');
  const factorsRemoved = await deps.factors.removeAll(user.id);
  // CAEP credential-change (delete) for Shared Signals receivers; `app` stands for the second
  // factors as a whole, which an operator removes together.
  const sessionsEnded = await deps.revoker.endUser(user.id, { kind: 'credential-change', change: { credentialType: 'app', changeType: 'delete' }, initiatedBy: 'admin' });
  deps.audit?.record({ event: 'mfa.reset', sub: user.id, email_sha256: emailDigest(user.email), factors_removed: factorsRemoved, sessions_ended: sessionsEnded }, actor);
  return { email: user.email, factorsRemoved, sessionsEnded };
}
