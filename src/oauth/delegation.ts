/**
 * Token exchange's protocol vocabulary and delegation rules (RFC 8693), without HTTP or tokens:
 *
 * - The grant type (§2.1) and the one token type Inkan exchanges and issues: its own access tokens
 *   (§3, `urn:ietf:params:oauth:token-type:access_token`).
 * - `act` (§4.1): the acting party of an exchanged token. A token that already names an actor keeps
 *   it nested under the new one, "the least recent actor being the most deeply nested".
 * - `may_act` (§4.4): a subject token that carries it names the one party allowed to act for its
 *   subject; any other actor is refused. The claim identifies that party by `sub` (and, when given,
 *   `iss`): both must equal the actor's. A `may_act` that is not such an object names nobody, so it
 *   permits nobody.
 */

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** RFC 8693 §4.1: the actor, and the actors before it. */
export interface ActClaim {
  readonly sub: string;
  readonly act?: ActClaim;
}

/** The party that acts: a client (`sub` = its client_id) or the subject of an actor token, both of this issuer. */
export interface Actor {
  readonly sub: string;
  readonly iss: string;
}

/** The `act` of an exchanged token: the new actor, with the subject token's own `act` (if any) nested under it. */
export function actClaim(actor: Actor, subjectAct: unknown): ActClaim {
  return isActClaim(subjectAct) ? { sub: actor.sub, act: subjectAct } : { sub: actor.sub };
}

/** Whether `may_act` (absent: no restriction) allows `actor` to act for the subject (§4.4). */
export function mayActPermits(mayAct: unknown, actor: Actor): boolean {
  if (mayAct === undefined) return true;
  if (typeof mayAct !== 'object' || mayAct === null || Array.isArray(mayAct)) return false;
  const { sub, iss } = mayAct as { sub?: unknown; iss?: unknown };
  if (typeof sub !== 'string' || sub !== actor.sub) return false;
  return iss === undefined || iss === actor.iss;
}

/** A well-formed `act`: an object with a string `sub`, its own `act` (if any) well-formed too. */
function isActClaim(value: unknown): value is ActClaim {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { sub, act } = value as { sub?: unknown; act?: unknown };
  return typeof sub === 'string' && (act === undefined || isActClaim(act));
}
