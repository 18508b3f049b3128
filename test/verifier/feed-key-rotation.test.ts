/**
 * A revocation event signed with a key the verifier has not seen (Inkan rotated its keys) must
 * never be skipped: the verifier refetches the JWKS at once, and while the key cannot be had it
 * reconnects and resumes from before that event instead of moving its cursor past it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { createVerifier, VerifierError } from '@inkan/verifier';
import { scriptedIssuer, type ScriptedIssuer } from './scripted-issuer.js';
import { securityEventClaims } from '@inkan/verifier/protocol';
import type { RevocationRecord } from '@inkan/verifier/protocol';

let api: ScriptedIssuer;
let issuer: string;
const lastEventIds: Array<string | undefined> = [];
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
const keys: Record<'k1' | 'k2', { jwk: JWK; privateKey: PrivateKey }> = {} as never;
let publishK2 = false;

const now = () => Math.floor(Date.now() / 1000);
const record = (id: number, jti: string): RevocationRecord => ({ id, target: { kind: 'jti', jti }, createdAt: now(), expiresAt: now() + 600 });
const sign = (claims: Record<string, unknown>, typ: string, kid: 'k1' | 'k2') =>
  new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid, typ }).sign(keys[kid].privateKey);
const event = async (id: number, jti: string, kid: 'k1' | 'k2') =>
  `id: ${id}\nevent: revocation\ndata: ${await sign(securityEventClaims(record(id, jti), issuer), 'secevent+jwt', kid)}\n\n`;

beforeAll(async () => {
  for (const kid of ['k1', 'k2'] as const) {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    keys[kid] = { jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }, privateKey };
  }
  api = await scriptedIssuer({
    jwks: () => (publishK2 ? [keys.k1.jwk, keys.k2.jwk] : [keys.k1.jwk]),
    feed: async (req, res) => {
      const cursor = req.headers['last-event-id'] as string | undefined;
      lastEventIds.push(cursor);
      if (cursor === undefined) {
        res.write('retry: 100\n\nevent: reset\ndata: {}\n\n');
        res.write(await event(1, 'revoked-1', 'k1'));
        res.write('event: ready\ndata: {"last_event_id":1}\n\n');
        // Signed with a key the JWKS does not publish yet, then a later event with the old key.
        res.write(await event(2, 'revoked-2', 'k2'));
        res.write(await event(3, 'revoked-3', 'k1'));
        return;
      }
      // Resumed: by now the JWKS has k2 (as after Inkan's rotation); everything after the cursor again.
      publishK2 = true;
      if (Number(cursor) < 2) res.write(await event(2, 'revoked-2', 'k2'));
      if (Number(cursor) < 3) res.write(await event(3, 'revoked-3', 'k1'));
      res.write(`event: ready\ndata: {"last_event_id":3}\n\n`);
    },
  });
  issuer = api.issuer;
});
afterAll(async () => {
  await api.close();
});

it('resumes from before an event whose key is not published yet, and applies it once it is', async () => {
  const verifier = createVerifier({
    issuer,
    audience: 'https://api.example.com',
    clientId: 'rs',
    clientSecret: 'secret',
    jwksCooldownSeconds: 3600, // tokens' unknown kids may not refetch; the feed's still must
    logger: { warn: () => {} },
  });
  try {
    await verifier.ready();
    const started = Date.now();
    while (verifier.stats().lastEventId < 3 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(verifier.stats().lastEventId).toBe(3);
    expect(verifier.stats().revocationRecords).toBe(3);
    // The first connection never moved past event 1: it resumed with Last-Event-ID 1, not 3.
    expect(lastEventIds.slice(0, 2)).toEqual([undefined, '1']);
    for (const jti of ['revoked-1', 'revoked-2', 'revoked-3']) {
      const token = await sign({ iss: issuer, sub: 'u', aud: 'https://api.example.com', iat: now(), exp: now() + 60, jti, client_id: 'app' }, 'at+jwt', 'k1');
      const error = await verifier.verify(token).catch((caught: unknown) => caught);
      expect((error as VerifierError).code).toBe('ERR_TOKEN_REVOKED');
    }
  } finally {
    await verifier.close();
  }
});
