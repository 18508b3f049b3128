/**
 * Storage contract section for the client store (src/storage/clients.ts): every field round-trips,
 * client ids are unique, listing is oldest first, deletion says whether there was a client.
 */
import crypto from 'node:crypto';
import { expect, it } from 'vitest';
import type { ClientRecord } from '../../src/storage/clients.js';
import type { CurrentStores } from './contract.js';

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
      backchannelLogoutUri: 'https://app.example.com/backchannel-logout?tenant=1',
      backchannelLogoutSessionRequired: true,
      logoUri: 'https://cdn.example.com/logo.svg?v=2',
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
    // A client registered without a logo (and every client written before migration 0023) has none.
    expect(found?.logoUri ?? null).toBeNull();
    expect(typeof found?.createdAt).toBe('number');
  });

  it('round-trips a federated client: its issuer, subject, JWKS URI, audience and claims, and no secret or key', async () => {
    const full = clientRecord({
      authMethod: 'federated',
      secretHash: null,
      federation: {
        issuer: 'https://token.actions.githubusercontent.com',
        subject: 'repo:example/app:ref:refs/heads/main',
        jwksUri: 'https://token.actions.githubusercontent.com/.well-known/jwks',
        audience: 'https://inkan.example.com/github',
        claims: { repository_owner: 'example', job_workflow_ref: 'example/app/.github/workflows/deploy.yml@refs/heads/main' },
      },
    });
    const bare = clientRecord({
      createdAt: 1_700_000_001,
      authMethod: 'federated',
      secretHash: null,
      federation: { issuer: 'https://kubernetes.default.svc', subject: 'system:serviceaccount:jobs:reporter', jwksUri: null, audience: null, claims: {} },
    });
    await stores().clients.insert(full);
    await stores().clients.insert(bare);
    expect(await stores().clients.find(full.clientId)).toMatchObject(full);
    expect(await stores().clients.find(bare.clientId)).toMatchObject(bare);
    expect((await stores().clients.list()).map((client) => client.federation)).toEqual([full.federation, bare.federation]);
  });

  it('gives every other client no federation', async () => {
    const client = clientRecord();
    await stores().clients.insert(client);
    expect((await stores().clients.find(client.clientId))?.federation).toBeNull();
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
