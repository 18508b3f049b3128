/**
 * The two WebAuthn ceremonies (WebAuthn Level 3 §7.1 registration, §7.2 authentication) with
 * @simplewebauthn/server, and what Inkan decides around them:
 *
 * - Discoverable credentials only (`residentKey: required`, §5.4.6), so that a sign-in needs no
 *   email: the options carry no `allowCredentials` and the authenticator names the person through
 *   the user handle, which must then be the owner of the credential (§7.2 step 6). The user handle
 *   is the person's `sub` (random, no personal data, ≤ 64 bytes as §5.4.3 requires).
 * - User verification required in both ceremonies (§6.2.3; the UV flag is checked, §7.1 step 15,
 *   §7.2 step 17), so a passkey alone is two factors (the device and a PIN or biometric).
 * - Attestation `none` (§5.4.7): Inkan trusts no vendor list, only the key it registered.
 * - Each challenge is 32 random bytes, stored server-side under its binding (a pending sign-in, a
 *   login session: one per binding), taken (deleted) before the answer is even parsed, so it is
 *   answered at most once whatever the outcome, and refused after CHALLENGE_TTL_SECONDS.
 * - The signature counter (§6.1.1, §7.2 step 22): when the stored or the presented counter is
 *   non-zero and the presented one is not greater, the credential may be cloned: refused, audited
 *   and counted. Inkan makes this check itself (the library's own is given a zero counter) so
 *   that "cloned" is a typed outcome rather than a thrown message; the stored counter is then
 *   updated by compare-and-set, so two assertions carrying one counter cannot both pass.
 * - A disabled person's passkeys sign nobody in.
 */
import crypto from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Clock } from '../clock.js';
import type { AuthMethod } from '../oauth/authentication-context.js';
import type { RequestOrigin } from '../audit/audit-log.js';
import type { PasskeyCeremony, PasskeyFailure, PasskeyObserver } from '../audit/passkeys.js';
import { DuplicatePasskeyError, type PasskeyRecord, type PasskeyStore, type WebAuthnChallengeStore } from '../storage/passkeys.js';
import type { UserRecord, UserStore } from '../storage/people.js';
import type { RelyingParty } from './relying-party.js';
import { englishText, type Refusal, type RefusalKey } from '../i18n/refusals.js';

/** How long a ceremony may take, from the options to the answer. */
export const CHALLENGE_TTL_SECONDS = 5 * 60;

/** What `navigator.credentials.create()` / `.get()` are given, as JSON (the page script passes them on). */
export type RegistrationOptions = PublicKeyCredentialCreationOptionsJSON;
export type SignInOptions = PublicKeyCredentialRequestOptionsJSON;
/** The longest name a person may give a passkey. */
export const PASSKEY_NAME_MAX_LENGTH = 60;

export interface PasskeyDeps {
  readonly passkeys: PasskeyStore;
  readonly challenges: WebAuthnChallengeStore;
  readonly users: Pick<UserStore, 'find'>;
  readonly clock: Clock;
  readonly relyingParty: RelyingParty;
  readonly observer?: PasskeyObserver;
}

/** How a passkey sign-in went, for the session's record of how the person authenticated. */
export interface PasskeyAuthentication {
  readonly user: UserRecord;
  readonly passkey: PasskeyRecord;
  /** Backup eligible (BE): the private key may live on several devices. */
  readonly synced: boolean;
  /** UV was set: always true, since it is required; kept so the claims say what was checked. */
  readonly userVerified: boolean;
}

export type PasskeyResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: PasskeyFailure; readonly message: string; readonly refusal: Refusal };

/** What the person reads on the page for each refusal: a key of the message catalogues (i18n/). */
const REFUSALS: Record<PasskeyFailure, RefusalKey> = {
  malformed: 'passkeyMalformed',
  no_challenge: 'passkeyNoChallenge',
  expired_challenge: 'passkeyExpiredChallenge',
  unknown_credential: 'passkeyUnknown',
  verification_failed: 'passkeyVerificationFailed',
  cloned: 'passkeyCloned',
  disabled: 'accountDisabled',
  duplicate: 'passkeyDuplicate',
  not_discoverable: 'passkeyNotDiscoverable',
};

function refused<T>(reason: PasskeyFailure): PasskeyResult<T> {
  const refusal = { key: REFUSALS[reason] };
  return { ok: false, reason, message: englishText(refusal), refusal };
}

/** The user handle of a person: their `sub` as UTF-8 bytes. */
function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId, 'utf8'));
}

/** A person's name for a passkey: trimmed, control characters removed, bounded; a default when empty. */
export function passkeyName(raw: string | undefined, fallback: string): string {
  const cleaned = (raw ?? '').replace(/\p{Cc}/gu, ' ').trim().slice(0, PASSKEY_NAME_MAX_LENGTH);
  return cleaned === '' ? fallback : cleaned;
}

/** The browser's answer, parsed: a JSON object with a string `id` and an object `response`. */
function parseCredential<T>(json: string | undefined): T | undefined {
  if (json === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null) return undefined;
    const record = value as Record<string, unknown>;
    if (typeof record.id !== 'string' || typeof record.rawId !== 'string' || record.id !== record.rawId || record.type !== 'public-key') return undefined;
    if (typeof record.response !== 'object' || record.response === null) return undefined;
    return value as T;
  } catch {
    return undefined;
  }
}

export class PasskeyCeremonies {
  constructor(private readonly deps: PasskeyDeps) {}

  get relyingParty(): RelyingParty {
    return this.deps.relyingParty;
  }

  /** 32 random bytes; the options carry them base64url, the form `storeChallenge` keeps. */
  private static challengeBytes(): Uint8Array<ArrayBuffer> {
    return new Uint8Array(crypto.randomBytes(32));
  }

  private async storeChallenge(binding: string, ceremony: PasskeyCeremony, userId: string | null, challenge: string): Promise<void> {
    await this.deps.challenges.put({ binding, challenge, ceremony, userId, expiresAt: this.deps.clock.nowSeconds() + CHALLENGE_TTL_SECONDS });
  }

  /** Takes the binding's challenge: refused when there is none, it is another ceremony's or another person's, or it expired. */
  private async takeChallenge(binding: string, ceremony: PasskeyCeremony, userId: string | null): Promise<PasskeyResult<string>> {
    const taken = await this.deps.challenges.take(binding);
    if (taken === undefined || taken.ceremony !== ceremony || taken.userId !== userId) return refused('no_challenge');
    if (taken.expiresAt <= this.deps.clock.nowSeconds()) return refused('expired_challenge');
    return { ok: true, value: taken.challenge };
  }

  /** The options of `navigator.credentials.create()` for `user`, bound to `binding` (their login session). */
  async registrationOptions(user: UserRecord, binding: string): Promise<RegistrationOptions> {
    const existing = await this.deps.passkeys.listForUser(user.id);
    const rp = this.deps.relyingParty;
    const options = await generateRegistrationOptions({
      rpName: rp.name,
      rpID: rp.id,
      userName: user.email,
      userID: userHandleOf(user.id),
      userDisplayName: user.name ?? user.email,
      challenge: PasskeyCeremonies.challengeBytes(),
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      attestationType: 'none',
      // The same authenticator twice would be one passkey under two names.
      excludeCredentials: existing.map((passkey) => ({ id: passkey.id, transports: [...passkey.transports] })),
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      // credProps tells whether the authenticator really kept a discoverable credential.
      extensions: { credProps: true },
    });
    await this.storeChallenge(binding, 'registration', user.id, options.challenge);
    return options;
  }

  /** Verifies the answer to `registrationOptions` and stores the passkey under `name`. */
  async register(user: UserRecord, binding: string, answer: string | undefined, name: string, origin: RequestOrigin): Promise<PasskeyResult<PasskeyRecord>> {
    const outcome = await this.verifyRegistration(user, binding, answer);
    if (!outcome.ok) {
      this.deps.observer?.failed(origin, 'registration', outcome.reason, { sub: user.id });
      return outcome;
    }
    const passkey: PasskeyRecord = { ...outcome.value, name };
    try {
      await this.deps.passkeys.insert(passkey);
    } catch (error) {
      if (!(error instanceof DuplicatePasskeyError)) throw error;
      this.deps.observer?.failed(origin, 'registration', 'duplicate', { sub: user.id, credentialId: passkey.id });
      return refused('duplicate');
    }
    this.deps.observer?.added(origin, user.id, passkey.id, passkey.backupEligible);
    return { ok: true, value: passkey };
  }

  private async verifyRegistration(user: UserRecord, binding: string, answer: string | undefined): Promise<PasskeyResult<Omit<PasskeyRecord, 'name'>>> {
    const challenge = await this.takeChallenge(binding, 'registration', user.id);
    if (!challenge.ok) return challenge;
    const response = parseCredential<RegistrationResponseJSON>(answer);
    if (response === undefined) return refused('malformed');
    if (response.clientExtensionResults?.credProps?.rk === false) return refused('not_discoverable');
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge.value,
        expectedOrigin: this.deps.relyingParty.origin,
        expectedRPID: this.deps.relyingParty.id,
        requireUserVerification: true,
      });
    } catch {
      return refused('verification_failed');
    }
    if (!verified.verified) return refused('verification_failed');
    const info = verified.registrationInfo;
    return {
      ok: true,
      value: {
        id: info.credential.id,
        userId: user.id,
        publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
        counter: info.credential.counter,
        transports: info.credential.transports ?? response.response.transports ?? [],
        backupEligible: info.credentialDeviceType === 'multiDevice',
        backedUp: info.credentialBackedUp,
        createdAt: this.deps.clock.nowSeconds(),
        lastUsedAt: null,
      },
    };
  }

  /** The options of `navigator.credentials.get()` for a sign-in bound to `binding` (a pending sign-in). */
  async authenticationOptions(binding: string): Promise<SignInOptions> {
    const options = await generateAuthenticationOptions({
      rpID: this.deps.relyingParty.id,
      challenge: PasskeyCeremonies.challengeBytes(),
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      userVerification: 'required',
    });
    await this.storeChallenge(binding, 'authentication', null, options.challenge);
    return options;
  }

  /** Verifies the answer to `authenticationOptions`: the person it signs in, or why not. */
  async authenticate(binding: string, answer: string | undefined, origin: RequestOrigin & { clientId: string }): Promise<PasskeyResult<PasskeyAuthentication>> {
    const outcome = await this.verifyAuthentication(binding, answer);
    if (!outcome.ok) {
      this.deps.observer?.failed(origin, 'authentication', outcome.reason, { ...outcome.about, clientId: origin.clientId });
      return { ok: false, reason: outcome.reason, message: outcome.message, refusal: outcome.refusal };
    }
    const { user, passkey, synced } = outcome.value;
    this.deps.observer?.used(origin, user.id, passkey.id, origin.clientId, synced);
    return outcome;
  }

  private async verifyAuthentication(
    binding: string,
    answer: string | undefined,
  ): Promise<PasskeyResult<PasskeyAuthentication> & { about?: { sub?: string; credentialId?: string } }> {
    const challenge = await this.takeChallenge(binding, 'authentication', null);
    if (!challenge.ok) return challenge;
    const response = parseCredential<AuthenticationResponseJSON>(answer);
    if (response === undefined) return refused('malformed');
    const passkey = await this.deps.passkeys.find(response.id);
    if (passkey === undefined) return { ...refused('unknown_credential'), about: { credentialId: response.id } };
    const about = { sub: passkey.userId, credentialId: passkey.id };
    // §7.2 step 6: a discoverable credential's answer names its owner; it must be the passkey's.
    if (response.response.userHandle !== Buffer.from(userHandleOf(passkey.userId)).toString('base64url')) return { ...refused('verification_failed'), about };
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge.value,
        expectedOrigin: this.deps.relyingParty.origin,
        expectedRPID: this.deps.relyingParty.id,
        // Zero: the counter rule is applied below, as a typed outcome (see the header).
        credential: { id: passkey.id, publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')), counter: 0, transports: [...passkey.transports] },
        requireUserVerification: true,
      });
    } catch {
      return { ...refused('verification_failed'), about };
    }
    if (!verified.verified) return { ...refused('verification_failed'), about };
    const info = verified.authenticationInfo;
    if ((info.newCounter > 0 || passkey.counter > 0) && info.newCounter <= passkey.counter) return { ...refused('cloned'), about };
    const user = await this.deps.users.find(passkey.userId);
    if (user === undefined || user.disabledAt !== null) return { ...refused('disabled'), about };
    const at = this.deps.clock.nowSeconds();
    const recorded = await this.deps.passkeys.recordUse(passkey.id, { previousCounter: passkey.counter, counter: info.newCounter, backedUp: info.credentialBackedUp, at });
    // Another assertion moved the counter (or the passkey was removed) since it was read: with a
    // counter, two answers carrying one value mean a clone; without one, the passkey is gone.
    if (!recorded) return { ...refused(passkey.counter > 0 || info.newCounter > 0 ? 'cloned' : 'unknown_credential'), about };
    const used: PasskeyRecord = { ...passkey, counter: info.newCounter, backedUp: info.credentialBackedUp, lastUsedAt: at };
    return { ok: true, value: { user, passkey: used, synced: passkey.backupEligible, userVerified: info.userVerified } };
  }

  /** The person's passkeys, oldest first. */
  list(userId: string): Promise<PasskeyRecord[]> {
    return this.deps.passkeys.listForUser(userId);
  }

  async rename(userId: string, id: string, name: string, origin: RequestOrigin): Promise<boolean> {
    const renamed = await this.deps.passkeys.rename(userId, id, name);
    if (renamed) this.deps.observer?.renamed(origin, userId, id);
    return renamed;
  }

  async remove(userId: string, id: string, origin: RequestOrigin): Promise<boolean> {
    const removed = await this.deps.passkeys.remove(userId, id);
    if (removed) this.deps.observer?.removed(origin, userId, id);
    return removed;
  }
}

/**
 * The RFC 8176 methods of a passkey sign-in, for the session and the `amr` claim:
 * - `hwk` (proof of possession of a hardware-secured key) for a device-bound passkey, `swk`
 *   (a software-secured key) for a synced one: backup eligible (BE) means the private key is
 *   copied between devices by its provider, so it is not bound to one piece of hardware;
 * - `user` (a user presence test) when the authenticator verified the person: user verification
 *   includes presence, while which verification it was (a PIN, a fingerprint, a face) is not
 *   reported, so `pin`, `fpt` and `face` are never claimed.
 * Never `pwd`. The class a passkey reaches, `phr`, is oauth/authentication-context.ts's decision.
 */
export function passkeyAuthMethods(signedIn: Pick<PasskeyAuthentication, 'synced' | 'userVerified'>): AuthMethod[] {
  return [signedIn.synced ? 'swk' : 'hwk', ...(signedIn.userVerified ? (['user'] as const) : [])];
}
