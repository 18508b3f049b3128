/**
 * RFC 6238 TOTP with the parameters every authenticator app reads from an `otpauth://` URI:
 * HMAC-SHA-1, 6 digits, 30-second steps (RFC 6238 §4, §5.2), a 160-bit random secret (RFC 4226
 * §4 recommends 160 bits), and one step of skew either way (§5.2: "at most one time step").
 * The arithmetic and the URI are the `otpauth` library's; this module fixes the parameters and
 * returns the time step a code matched, which the caller records so each code is accepted once.
 */
import { Secret, TOTP } from 'otpauth';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
const ALGORITHM = 'SHA1';
const SECRET_BYTES = 20;
const SKEW_STEPS = 1;

/** A new random secret, as the bytes to seal. */
export function newTotpSecret(): Buffer {
  return Buffer.from(new Secret({ size: SECRET_BYTES }).bytes);
}

/** The secret as apps take it (RFC 4648 base32, no padding). */
export function totpSecretText(secret: Buffer): string {
  return new Secret({ buffer: new Uint8Array(secret).buffer }).base32;
}

function totp(secret: Buffer, issuer = '', label = 'Inkan'): TOTP {
  return new TOTP({
    issuer,
    label,
    secret: new Secret({ buffer: new Uint8Array(secret).buffer }),
    algorithm: ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
}

/** The Key URI Format `otpauth://totp/<issuer>:<account>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`. */
export function totpUri(secret: Buffer, issuer: string, account: string): string {
  return totp(secret, issuer, account).toString();
}

/**
 * The time step the code belongs to when it is right at `nowSeconds` within the skew, else
 * undefined. Anything but exactly six digits is wrong without a computation.
 */
export function matchTotp(secret: Buffer, code: string, nowSeconds: number): number | undefined {
  if (!/^[0-9]{6}$/.test(code)) return undefined;
  const timestamp = nowSeconds * 1000;
  const delta = totp(secret).validate({ token: code, timestamp, window: SKEW_STEPS });
  if (delta === null) return undefined;
  return TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp }) + delta;
}

/** The code of `nowSeconds` (tests and examples compute what an app shows). */
export function totpCode(secret: Buffer, nowSeconds: number): string {
  return totp(secret).generate({ timestamp: nowSeconds * 1000 });
}
