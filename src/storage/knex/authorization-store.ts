/**
 * The authorization-code flow's own tables: remembered consents, pending authorization requests
 * and authorization codes (by SHA-256, consumed by a conditional update). Revoked access tokens
 * are revocation records (revocation-store.ts), whoever revokes them.
 */
import type { Knex } from 'knex';
import type {
  AuthorizationCodeRecord,
  AuthorizationCodeStore,
  AuthorizationRequestRecord,
  AuthorizationRequestStore,
  ConsentStore,
  PendingAuthorization,
} from '../authorizations.js';
import { methodsFromColumn, methodsToColumn } from './methods-column.js';

const optionalNumber = (value: number | null): number | null => (value === null ? null : Number(value));

export function knexConsentStore(db: Knex): ConsentStore {
  return {
    async find(userId, clientId) {
      const row = await db('consents').where({ user_id: userId, client_id: clientId }).first<{ scopes: string } | undefined>('scopes');
      return row === undefined ? undefined : (JSON.parse(row.scopes) as string[]);
    },
    async grant(userId, clientId, scopes, at) {
      await db.transaction(async (trx) => {
        const row = await trx('consents').where({ user_id: userId, client_id: clientId }).first<{ scopes: string } | undefined>('scopes');
        const merged = [...new Set([...(row === undefined ? [] : (JSON.parse(row.scopes) as string[])), ...scopes])].sort();
        await trx('consents')
          .insert({ user_id: userId, client_id: clientId, scopes: JSON.stringify(merged), granted_at: at })
          .onConflict(['user_id', 'client_id'])
          .merge(['scopes', 'granted_at']);
      });
    },
  };
}

interface RequestRow {
  id: string;
  browser_hash: string;
  csrf_hash: string | null;
  request: string;
  user_id: string | null;
  session_id: string | null;
  auth_time: number | null;
  consented: boolean | number;
  created_at: number;
  expires_at: number;
  address_key: string | null;
  partial_user_id?: string | null;
  partial_methods?: string | null;
}

export function knexAuthorizationRequestStore(db: Knex): AuthorizationRequestStore {
  return {
    async insert(record) {
      await db<RequestRow>('authorization_requests').insert({
        id: record.id,
        browser_hash: record.browserHash,
        csrf_hash: record.csrfHash,
        request: JSON.stringify(record.request),
        user_id: record.userId,
        session_id: record.sessionId,
        auth_time: record.authTime,
        consented: record.consented,
        created_at: record.createdAt,
        expires_at: record.expiresAt,
        address_key: record.addressKey,
        partial_user_id: record.partialUserId ?? null,
        partial_methods: record.partialMethods == null ? null : methodsToColumn(record.partialMethods),
      });
    },
    async find(id) {
      const row = await db<RequestRow>('authorization_requests').where({ id }).first();
      if (row === undefined) return undefined;
      const record: AuthorizationRequestRecord = {
        id: row.id,
        browserHash: row.browser_hash,
        csrfHash: row.csrf_hash,
        request: JSON.parse(row.request) as PendingAuthorization,
        userId: row.user_id,
        sessionId: row.session_id,
        authTime: optionalNumber(row.auth_time),
        consented: Boolean(row.consented),
        createdAt: Number(row.created_at),
        expiresAt: Number(row.expires_at),
        addressKey: row.address_key,
        partialUserId: row.partial_user_id ?? null,
        partialMethods: row.partial_methods == null ? null : methodsFromColumn(row.partial_methods),
      };
      return record;
    },
    async update(id, changes) {
      const row: Partial<RequestRow> = {};
      if (changes.csrfHash !== undefined) row.csrf_hash = changes.csrfHash;
      if (changes.userId !== undefined) row.user_id = changes.userId;
      if (changes.sessionId !== undefined) row.session_id = changes.sessionId;
      if (changes.authTime !== undefined) row.auth_time = changes.authTime;
      if (changes.consented !== undefined) row.consented = changes.consented;
      if (changes.partialUserId !== undefined) row.partial_user_id = changes.partialUserId;
      if (changes.partialMethods !== undefined) row.partial_methods = changes.partialMethods === null ? null : methodsToColumn(changes.partialMethods);
      if (Object.keys(row).length > 0) await db<RequestRow>('authorization_requests').where({ id }).update(row);
    },
    async delete(id) {
      return (await db('authorization_requests').where({ id }).delete()) > 0;
    },
    async purgeExpired(now, limit) {
      return db<RequestRow>('authorization_requests')
        .whereIn('id', db<RequestRow>('authorization_requests').select('id').where('expires_at', '<=', now).limit(limit))
        .delete();
    },
    async countLive(addressKey, now) {
      const row = await db<RequestRow>('authorization_requests').where({ address_key: addressKey }).andWhere('expires_at', '>', now).count<{ count: number | string }[]>({ count: '*' }).first();
      return Number(row?.count ?? 0);
    },
  };
}

interface CodeRow {
  code_hash: string;
  client_id: string;
  user_id: string;
  session_id: string;
  redirect_uri: string;
  scopes: string;
  nonce: string | null;
  code_challenge: string | null;
  auth_time: number;
  auth_methods?: string;
  acr?: string | null;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  grant_id: string | null;
  replayed_at: number | null;
}

function codeFromRow(row: CodeRow): AuthorizationCodeRecord {
  return {
    codeHash: row.code_hash,
    clientId: row.client_id,
    userId: row.user_id,
    sessionId: row.session_id,
    redirectUri: row.redirect_uri,
    scopes: JSON.parse(row.scopes) as string[],
    nonce: row.nonce,
    codeChallenge: row.code_challenge,
    authTime: Number(row.auth_time),
    authMethods: methodsFromColumn(row.auth_methods),
    acr: row.acr ?? null,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    consumedAt: optionalNumber(row.consumed_at),
    grantId: row.grant_id,
    replayedAt: optionalNumber(row.replayed_at),
  };
}

export function knexAuthorizationCodeStore(db: Knex): AuthorizationCodeStore {
  return {
    async insert(code) {
      await db<CodeRow>('authorization_codes').insert({
        code_hash: code.codeHash,
        client_id: code.clientId,
        user_id: code.userId,
        session_id: code.sessionId,
        redirect_uri: code.redirectUri,
        scopes: JSON.stringify(code.scopes),
        nonce: code.nonce,
        code_challenge: code.codeChallenge,
        auth_time: code.authTime,
        auth_methods: methodsToColumn(code.authMethods ?? ['pwd']),
        acr: code.acr ?? null,
        created_at: code.createdAt,
        expires_at: code.expiresAt,
        consumed_at: code.consumedAt,
        grant_id: code.grantId,
        replayed_at: code.replayedAt,
      });
    },
    async find(codeHash) {
      const row = await db<CodeRow>('authorization_codes').where({ code_hash: codeHash }).first();
      return row === undefined ? undefined : codeFromRow(row);
    },
    async consume(codeHash, at, grantId) {
      const updated = await db<CodeRow>('authorization_codes').where({ code_hash: codeHash }).whereNull('consumed_at').update({ consumed_at: at, grant_id: grantId });
      return updated === 1;
    },
    async markReplayed(codeHash, at) {
      await db<CodeRow>('authorization_codes').where({ code_hash: codeHash }).whereNull('replayed_at').update({ replayed_at: at });
      return this.find(codeHash);
    },
    async purgeExpired(before, limit) {
      return db<CodeRow>('authorization_codes')
        .whereIn('code_hash', db<CodeRow>('authorization_codes').select('code_hash').where('expires_at', '<', before).limit(limit))
        .delete();
    },
  };
}
