/**
 * The storage contract: what every implementation of the interfaces in src/storage/stores.ts must
 * do, whatever the engine. `runStorageContract` runs every section against one implementation;
 * sqlite.test.ts and postgres.test.ts call it, so the second engine is never an afterthought.
 *
 * Each store has its own section function taking a getter for fresh `Stores` (a new, migrated,
 * empty database for every test). A new store adds its own `xxxStoreContract(stores)` here and one
 * line to `runStorageContract`.
 */
import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClientRecord } from '../../src/storage/clients.js';
import type { KeyChanges, SigningKeyRecord } from '../../src/storage/keys.js';
import type { Stores } from '../../src/storage/stores.js';
import { refreshTokenStoreContract, revocationStoreContract } from './refresh-contract.js';
import { peopleStoreContract } from './people-contract.js';

export type StoresFactory = () => Promise<Stores>;
/** The `Stores` of the running test: fresh, migrated and empty. */
export type CurrentStores = () => Stores;

/** A fresh `Stores` for every test of the enclosing describe, closed after it. */
export function freshStores(makeStores: StoresFactory): CurrentStores {
  let current: Stores | undefined;
  beforeEach(async () => {
    current = await makeStores();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return () => {
    if (current === undefined) throw new Error('stores used outside a test');
    return current;
  };
}

export function runStorageContract(name: string, makeStores: StoresFactory): void {
  describe(`storage contract: ${name}`, () => {
    const stores = freshStores(makeStores);
    describe('ClientStore', () => clientStoreContract(stores));
    describe('KeyStore', () => keyStoreContract(stores));
    describe('RefreshTokenStore', () => refreshTokenStoreContract(stores));
    describe('RevocationStore', () => revocationStoreContract(stores));
    describe('People stores: code replay and housekeeping', () => peopleStoreContract(stores));
  });
}

// ---------------------------------------------------------------------------------------------
// ClientStore

export function clientRecord(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId: crypto.randomUUID(),
    name: 'contract client',
    secretHash: crypto.createHash('sha256').update('a secret').digest('hex'),
    authMethod: 'client_secret_basic',
    grantTypes: ['client_credentials'],
    redirectUris: [],
    postLogoutRedirectUris: [],
    scopes: [],
    resources: [],
    alg: 'RS256',
    jwks: null,
    createdAt: 1_700_000_000,
    ...overrides,
  };
}

export function clientStoreContract(stores: CurrentStores): void {
  it('finds an inserted client with every field as it was written', async () => {
    const client = clientRecord({
      name: 'Ünïcode “name”',
      authMethod: 'private_key_jwt',
      secretHash: null,
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: ['https://app.example.com/cb', 'http://127.0.0.1:8080/cb?x=1'],
      postLogoutRedirectUris: ['https://app.example.com/bye'],
      scopes: ['openid', 'profile', 'offline_access'],
      resources: ['https://api.example.com', 'urn:example:resource'],
      alg: 'EdDSA',
      jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k1' }] },
      createdAt: 2_000_000_000,
    });
    await stores().clients.insert(client);
    // toMatchObject: fields added by later issues (with their own defaults) may come back too.
    expect(await stores().clients.find(client.clientId)).toMatchObject(client);
  });

  it('round-trips empty lists and a secret hash', async () => {
    const client = clientRecord();
    await stores().clients.insert(client);
    const found = await stores().clients.find(client.clientId);
    expect(found).toMatchObject(client);
    expect(found?.redirectUris).toEqual([]);
    expect(found?.jwks).toBeNull();
    expect(typeof found?.createdAt).toBe('number');
  });

  it('answers a miss with undefined', async () => {
    expect(await stores().clients.find('no-such-client')).toBeUndefined();
  });

  it('refuses a second client with the same client_id', async () => {
    const client = clientRecord();
    await stores().clients.insert(client);
    await expect(stores().clients.insert({ ...client, name: 'again' })).rejects.toThrow();
    expect((await stores().clients.find(client.clientId))?.name).toBe(client.name);
  });

  it('lists every client, oldest first', async () => {
    expect(await stores().clients.list()).toEqual([]);
    const later = clientRecord({ createdAt: 1_700_000_100 });
    const earlier = clientRecord({ createdAt: 1_700_000_000, scopes: ['a', 'b'] });
    await stores().clients.insert(later);
    await stores().clients.insert(earlier);
    const listed = await stores().clients.list();
    expect(listed.map((client) => client.clientId)).toEqual([earlier.clientId, later.clientId]);
    expect(listed).toMatchObject([earlier, later]);
  });

  it('deletes a client and reports whether one existed', async () => {
    const kept = clientRecord();
    const gone = clientRecord();
    await stores().clients.insert(kept);
    await stores().clients.insert(gone);
    expect(await stores().clients.delete(gone.clientId)).toBe(true);
    expect(await stores().clients.find(gone.clientId)).toBeUndefined();
    expect(await stores().clients.delete(gone.clientId)).toBe(false);
    expect(await stores().clients.delete('no-such-client')).toBe(false);
    expect((await stores().clients.list()).map((client) => client.clientId)).toEqual([kept.clientId]);
  });
}

// ---------------------------------------------------------------------------------------------
// KeyStore

/** A key record with made-up (but well-formed) material: the store never looks inside. */
export function keyRecord(kid: string, overrides: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  return {
    kid,
    alg: 'EdDSA',
    status: 'active',
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: crypto.randomBytes(32).toString('base64url'), kid, alg: 'EdDSA', use: 'sig' },
    sealedPrivateKey: `v1.${crypto.randomBytes(12).toString('base64url')}.${crypto.randomBytes(48).toString('base64url')}.tag`,
    createdAt: 1_700_000_000,
    activatedAt: 1_700_000_000,
    retiredAt: null,
    removeAfter: null,
    revokedAt: null,
    ...overrides,
  };
}

const change = (upsert: SigningKeyRecord[], remove: string[] = []): KeyChanges => ({ upsert, remove });
const kidsOf = (keys: readonly SigningKeyRecord[]) => keys.map((key) => key.kid).sort();

export function keyStoreContract(stores: CurrentStores): void {
  it('starts empty at version 0', async () => {
    expect(await stores().keys.version()).toBe(0);
    expect(await stores().keys.snapshot()).toEqual({ version: 0, keys: [] });
  });

  it('applies changes at the expected version and bumps it', async () => {
    const keys = stores().keys;
    const a = keyRecord('kid-a', { alg: 'RS256', publicJwk: { kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'kid-a', alg: 'RS256', use: 'sig' } });
    const b = keyRecord('kid-b', { status: 'next', activatedAt: null, createdAt: 1_700_000_050 });
    expect(await keys.apply(0, change([a, b]))).toBe(true);
    expect(await keys.version()).toBe(1);
    const first = await keys.snapshot();
    expect(first.version).toBe(1);
    // Every field survives the round trip, nulls and numbers included.
    expect(first.keys.find((key) => key.kid === 'kid-a')).toEqual(a);
    expect(first.keys.find((key) => key.kid === 'kid-b')).toEqual(b);

    // Upsert updates an existing row in place and removes what is named.
    const retired: SigningKeyRecord = { ...a, status: 'retiring', retiredAt: 1_700_000_100, removeAfter: 1_700_001_000 };
    const c = keyRecord('kid-c', { createdAt: 1_700_000_100 });
    expect(await keys.apply(1, change([retired, c], ['kid-b']))).toBe(true);
    const second = await keys.snapshot();
    expect(second.version).toBe(2);
    expect(kidsOf(second.keys)).toEqual(['kid-a', 'kid-c']);
    expect(second.keys.find((key) => key.kid === 'kid-a')).toEqual(retired);
    expect(second.keys.find((key) => key.kid === 'kid-c')).toEqual(c);
  });

  it('bumps the version even for a change that only removes', async () => {
    const keys = stores().keys;
    expect(await keys.apply(0, change([keyRecord('kid-a')]))).toBe(true);
    expect(await keys.apply(1, change([], ['kid-a']))).toBe(true);
    expect(await keys.snapshot()).toEqual({ version: 2, keys: [] });
  });

  it('refuses a stale expected version and writes nothing', async () => {
    const keys = stores().keys;
    const a = keyRecord('kid-a');
    expect(await keys.apply(0, change([a]))).toBe(true);
    const before = await keys.snapshot();

    expect(await keys.apply(0, change([keyRecord('kid-stale'), { ...a, status: 'revoked', revokedAt: 1 }], ['kid-a']))).toBe(false);
    expect(await keys.apply(7, change([keyRecord('kid-future')]))).toBe(false);
    expect(await keys.snapshot()).toEqual(before);
    expect(await keys.version()).toBe(1);
  });

  it('lets exactly one of two concurrent applies at the same version win', async () => {
    const keys = stores().keys;
    const results = await Promise.all([keys.apply(0, change([keyRecord('kid-left')])), keys.apply(0, change([keyRecord('kid-right')]))]);
    expect(results.filter((won) => won)).toHaveLength(1);
    const winner = results[0] ? 'kid-left' : 'kid-right';
    expect(await keys.snapshot()).toMatchObject({ version: 1, keys: [expect.objectContaining({ kid: winner })] });
    expect((await keys.snapshot()).keys).toHaveLength(1);
  });

  it('gives snapshots whose keys always belong to their version', async () => {
    const keys = stores().keys;
    // Version v holds exactly the keys kid-1 … kid-v; snapshots taken while applies commit must
    // never mix one version's number with another version's keys.
    const expectedKids = (version: number) => Array.from({ length: version }, (_, i) => `kid-${i + 1}`).sort();
    // Each round commits one apply while snapshots are in flight on other connections.
    for (let version = 0; version < 8; version += 1) {
      const next = keyRecord(`kid-${version + 1}`, { createdAt: 1_700_000_000 + version });
      const [won, ...taken] = await Promise.all([
        keys.apply(version, change([next])),
        ...Array.from({ length: 6 }, () => keys.snapshot()),
      ]);
      expect(won).toBe(true);
      for (const snapshot of taken) expect(kidsOf(snapshot.keys)).toEqual(expectedKids(snapshot.version));
    }
    const last = await keys.snapshot();
    expect(last.version).toBe(8);
    expect(kidsOf(last.keys)).toEqual(expectedKids(8));
  });
}
