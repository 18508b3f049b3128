/**
 * How a person authenticated, in the two vocabularies of OpenID Connect: `amr` (RFC 8176
 * Authentication Method Reference values) and `acr` (OIDC Core §2, an Authentication Context Class
 * Reference). Sessions, codes and refresh families store the methods; this module is the one
 * place that turns them into claims and decides whether a login satisfies what a client asked for.
 *
 * Methods a sign-in records (RFC 8176 §2): `pwd` (password), `otp` (a TOTP or a recovery code,
 * both one-time values), `hwk` / `swk` (a passkey: proof of possession of a hardware- or
 * software-secured key), `user` (user presence), `pin` / `fpt` / `face` (user verification).
 * `mfa` is never recorded: it is derived, when the methods span more than one kind of factor
 * (something known: pwd, pin; something held: otp, hwk, swk; something one is: fpt, face).
 *
 * The classes, weakest first (each satisfies every one before it):
 *  - `urn:inkan:acr:pwd`: one factor (a password);
 *  - `urn:inkan:acr:mfa`: a password and a second factor, or a passkey;
 *  - `phr` (OpenID EAP ACR Values, phishing-resistant): a passkey.
 * `acr_values` (OIDC Core §3.1.2.1) is a voluntary request in order of preference: the `acr` of
 * the ID token is the first requested class the login satisfies, or, when none is (or nothing
 * was asked), the strongest class the login satisfies. Unknown values are ignored.
 */

export const ACR_PASSWORD = 'urn:inkan:acr:pwd';
export const ACR_MFA = 'urn:inkan:acr:mfa';
export const ACR_PHISHING_RESISTANT = 'phr';

/** `acr_values_supported` in discovery, weakest first. */
export const ACR_VALUES = [ACR_PASSWORD, ACR_MFA, ACR_PHISHING_RESISTANT] as const;
export type Acr = (typeof ACR_VALUES)[number];

/** The RFC 8176 values a sign-in records. */
export const AUTH_METHODS = ['pwd', 'otp', 'hwk', 'swk', 'user', 'pin', 'fpt', 'face'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

const KNOWN: ReadonlySet<string> = new Set(['pwd', 'pin']);
const HELD: ReadonlySet<string> = new Set(['otp', 'hwk', 'swk']);
const INHERENT: ReadonlySet<string> = new Set(['fpt', 'face']);
const PASSKEY: ReadonlySet<string> = new Set(['hwk', 'swk']);

export function isAuthMethod(value: string): value is AuthMethod {
  return (AUTH_METHODS as readonly string[]).includes(value);
}

/** Deduplicated, in AUTH_METHODS order: what the stores keep (space-separated). */
export function normalizeMethods(methods: Iterable<string>): AuthMethod[] {
  const given = new Set(methods);
  return AUTH_METHODS.filter((method) => given.has(method));
}

/** The stored form: `pwd otp`. */
export function formatMethods(methods: readonly AuthMethod[]): string {
  return normalizeMethods(methods).join(' ');
}

/** The stored form read back; unknown words are dropped. */
export function parseMethods(stored: string | null | undefined): AuthMethod[] {
  return normalizeMethods((stored ?? '').split(' ').filter(isAuthMethod));
}

function factorKinds(methods: readonly AuthMethod[]): number {
  const kinds = [KNOWN, HELD, INHERENT].filter((kind) => methods.some((method) => kind.has(method)));
  return kinds.length;
}

/** RFC 8176 `amr`: the methods, plus `mfa` when they span more than one kind of factor. */
export function amrClaim(methods: readonly AuthMethod[]): string[] {
  const normalized = normalizeMethods(methods);
  return factorKinds(normalized) > 1 ? [...normalized, 'mfa'] : normalized;
}

/** The strongest class the methods satisfy. */
export function strongestAcr(methods: readonly AuthMethod[]): Acr {
  if (methods.some((method) => PASSKEY.has(method))) return ACR_PHISHING_RESISTANT;
  if (factorKinds(methods) > 1) return ACR_MFA;
  return ACR_PASSWORD;
}

function rank(acr: Acr): number {
  return ACR_VALUES.indexOf(acr);
}

export function isAcr(value: string): value is Acr {
  return (ACR_VALUES as readonly string[]).includes(value);
}

/** `acr_values` as a list of the classes Inkan knows, in the client's order of preference. */
export function parseAcrValues(raw: string | undefined): Acr[] {
  return (raw ?? '').split(' ').filter(isAcr);
}

/** Whether a login with these methods satisfies the class. */
export function satisfies(methods: readonly AuthMethod[], acr: Acr): boolean {
  return rank(strongestAcr(methods)) >= rank(acr);
}

/**
 * The weakest requested class: the login must reach it for the request to be satisfied (any one
 * of the requested values will do, OIDC Core §3.1.2.1). Undefined when nothing known was asked.
 */
export function requiredAcr(requested: readonly Acr[]): Acr | undefined {
  if (requested.length === 0) return undefined;
  return requested.reduce((weakest, acr) => (rank(acr) < rank(weakest) ? acr : weakest));
}

/** The `acr` claim: the first requested class the methods satisfy, else the strongest they do. */
export function acrClaim(methods: readonly AuthMethod[], requested: readonly Acr[]): Acr {
  return requested.find((acr) => satisfies(methods, acr)) ?? strongestAcr(methods);
}
