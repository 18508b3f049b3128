import type { SigningKeyRecord } from '../../storage/stores.js';
import { SIGNING_ALGS, type SigningAlg } from '../../storage/stores.js';
import { KeyLifecycleError } from '../../keys/lifecycle.js';
import { CliError, type Command, onePositional, optionalOption } from '../command.js';

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

export const keysList: Command = {
  options: [],
  async run(core) {
    return (await core.keyManager.list()).keys.map(describeKey);
  },
};

export const keysRotate: Command = {
  options: ['alg'],
  async run(core, input) {
    const alg = optionalOption(input, 'alg');
    if (alg !== undefined && !(SIGNING_ALGS as readonly string[]).includes(alg)) {
      throw new CliError(`--alg must be one of ${SIGNING_ALGS.join(', ')}`);
    }
    const active = await core.keyManager.rotate(alg === undefined ? SIGNING_ALGS : [alg as SigningAlg]);
    return { active: active.map((key) => ({ kid: key.kid, alg: key.alg })) };
  },
};

export const keysRevoke: Command = {
  options: [],
  async run(core, input) {
    const kid = onePositional(input, 'kid');
    try {
      await core.keyManager.revoke(kid);
    } catch (error) {
      if (error instanceof KeyLifecycleError) throw new CliError(error.message);
      throw error;
    }
    return { revoked: kid };
  },
};
