/**
 * Login sessions: one per browser. The cookie holds a 256-bit random secret; the database holds
 * only its SHA-256, so a database leak yields no usable session. The session's public id is the
 * `sid` claim. A re-authentication in the same browser rotates the secret (no session fixation).
 * The session remembers how the person authenticated (`authMethods`, RFC 8176: `pwd`, `otp`,
 * `hwk`…) and when (`authTime`); a step-up replaces both.
 */
import crypto from 'node:crypto';
import type { Clock } from '../clock.js';
import type { SessionRecord, SessionStore, UserRecord, UserStore } from '../storage/people.js';
import { hashSecret, randomSecret } from '../tokens/secrets.js';
import type { Revoker } from '../revocation/revoker.js';
import type { AuthMethod } from '../oauth/authentication-context.js';

/** Absolute lifetime of a login session. */
export const SESSION_TTL_SECONDS = 12 * 3600;

export interface SessionDeps {
  readonly sessions: SessionStore;
  readonly users: Pick<UserStore, 'find'>;
  readonly clock: Clock;
}

export interface LiveSession {
  readonly session: SessionRecord;
  readonly user: UserRecord;
}

/** The live session a cookie secret names: not ended, not expired, its user not disabled. */
export async function findLiveSession(deps: SessionDeps, secret: string | undefined): Promise<LiveSession | undefined> {
  if (secret === undefined || secret.length > 200) return undefined;
  const session = await deps.sessions.findBySecretHash(hashSecret(secret));
  if (session === undefined || session.endedAt !== null || session.expiresAt <= deps.clock.nowSeconds()) return undefined;
  const user = await deps.users.find(session.userId);
  if (user === undefined || user.disabledAt !== null) return undefined;
  return { session, user };
}

export interface StartedSession {
  readonly session: SessionRecord;
  /** Goes into the cookie; never stored. */
  readonly secret: string;
}

/**
 * After a successful sign-in with `methods`. The same person signing in again in this browser
 * keeps their `sid` (refresh families and other RPs stay attached) with a fresh secret, auth_time
 * and methods; a different person ends the previous session.
 */
export async function startSession(
  deps: SessionDeps & { revoker: Pick<Revoker, 'endSession'> },
  userId: string,
  previous: SessionRecord | undefined,
  methods: readonly AuthMethod[],
): Promise<StartedSession> {
  const now = deps.clock.nowSeconds();
  const secret = randomSecret();
  if (previous !== undefined && previous.userId === userId) {
    await deps.sessions.reauthenticate(previous.id, hashSecret(secret), now, methods);
    return { session: { ...previous, secretHash: hashSecret(secret), authTime: now, authMethods: [...methods] }, secret };
  }
  // A different person in this browser: the previous person's session ends, everything it issued too.
  if (previous !== undefined) await deps.revoker.endSession(previous.id);
  const session: SessionRecord = {
    id: crypto.randomBytes(16).toString('base64url'),
    secretHash: hashSecret(secret),
    userId,
    authTime: now,
    authMethods: [...methods],
    createdAt: now,
    expiresAt: now + SESSION_TTL_SECONDS,
    endedAt: null,
  };
  await deps.sessions.insert(session);
  return { session, secret };
}
