/**
 * Passkeys as one kind of a person's factors (accounts/factors.ts): what the account page lists,
 * what tells the sign-in that a person holds a passkey (step-up to `phr`), and what an operator's
 * `users mfa reset` removes along with the other factors.
 */
import type { PasskeyStore } from '../storage/passkeys.js';

export function passkeyFactorSource(passkeys: Pick<PasskeyStore, 'listForUser' | 'removeAllForUser'>) {
  return {
    kind: 'passkey' as const,
    async list(userId: string) {
      return (await passkeys.listForUser(userId)).map((passkey) => ({
        id: passkey.id,
        kind: 'passkey' as const,
        label: passkey.name,
        createdAt: passkey.createdAt,
        lastUsedAt: passkey.lastUsedAt,
      }));
    },
    removeAll(userId: string): Promise<number> {
      return passkeys.removeAllForUser(userId);
    },
  };
}
