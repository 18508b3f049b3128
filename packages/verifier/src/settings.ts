/**
 * createVerifier's options with every default applied, once, at creation. Each part of the
 * verifier (keys, status lists, the feed, the DPoP check) takes the few settings it needs as a
 * `Pick<VerifierSettings, …>`, so no part reads raw options or invents a default of its own.
 */
import type { RevocationMode, VerifierLogger, VerifierOptions } from './verifier-types.js';

export interface VerifierSettings {
  readonly issuer: string;
  readonly audience: string | string[];
  readonly toleranceSeconds: number;
  readonly maxStalenessMs: number;
  readonly mode: RevocationMode;
  /** The feed's client credentials; set exactly when `mode` is `feed`. */
  readonly feedCredentials: { readonly clientId: string; readonly clientSecret: string } | undefined;
  readonly jwksCooldownMs: number;
  readonly startupTimeoutMs: number;
  readonly dpopProofMaxAgeSeconds: number;
  readonly fetch: typeof fetch;
  readonly log: VerifierLogger;
  readonly nowMs: () => number;
  /**
   * jose's `currentDate` option, spread into every jwtVerify: the injected clock's time, or nothing
   * at all with the default clock (jose then reads the time itself, and no Date is made per call).
   */
  readonly joseClock: () => { readonly currentDate?: Date };
}

const consoleLogger: VerifierLogger = { warn: (details, message) => console.warn(`[@inkan/verifier] ${message}`, details) };
const JOSE_OWN_CLOCK = Object.freeze({});

export function settingsFrom(options: VerifierOptions): VerifierSettings {
  const mode = options.revocation ?? (options.clientId !== undefined ? 'feed' : 'status-list');
  if (mode === 'feed' && (options.clientId === undefined || options.clientSecret === undefined)) {
    throw new TypeError('the revocation feed needs clientId and clientSecret');
  }
  const now = options.now;
  return {
    issuer: options.issuer,
    audience: typeof options.audience === 'string' ? options.audience : [...options.audience],
    toleranceSeconds: options.clockToleranceSeconds ?? 5,
    maxStalenessMs: (options.maxStalenessSeconds ?? 60) * 1000,
    mode,
    feedCredentials: mode === 'feed' ? { clientId: options.clientId!, clientSecret: options.clientSecret! } : undefined,
    jwksCooldownMs: (options.jwksCooldownSeconds ?? 10) * 1000,
    startupTimeoutMs: options.startupTimeoutMs ?? 5000,
    dpopProofMaxAgeSeconds: options.dpopProofMaxAgeSeconds ?? 60,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    log: options.logger ?? consoleLogger,
    nowMs: now ?? Date.now,
    joseClock: now === undefined ? () => JOSE_OWN_CLOCK : () => ({ currentDate: new Date(now()) }),
  };
}
