/**
 * Refresh-token families and tokens in `refresh_families` / `refresh_tokens` (migration
 * 0003_refresh). `rotate` is the one place where concurrent refreshes meet: see its comments.
 */
import type { Knex } from 'knex';
import type {
  FamilySelector,
  FoundRefreshToken,
  RefreshFamilyRecord,
  RefreshTokenRecord,
  RefreshTokenStore,
  RotationOutcome,
} from '../refresh.js';
import { methodsFromColumn, methodsToColumn } from './methods-column.js';

export interface FamilyRow {
  id: string;
  client_id: string;
  user_id: string;
  session_id: string;
  scopes: string;
  auth_time: number;
  auth_methods?: string;
  acr?: string | null;
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  dpop_jkt?: string | null;
}

export interface TokenRow {
  token_hash: string;
  family_id: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  successor_hash: string | null;
}

const optionalNumber = (value: number | null): number | null => (value === null ? null : Number(value));

export function familyFromRow(row: FamilyRow): RefreshFamilyRecord {
  return {
    id: row.id,
    clientId: row.client_id,
    userId: row.user_id,
    sessionId: row.session_id,
    scopes: JSON.parse(row.scopes) as string[],
    authTime: Number(row.auth_time),
    authMethods: methodsFromColumn(row.auth_methods),
    acr: row.acr ?? null,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    revokedAt: optionalNumber(row.revoked_at),
    ...(row.dpop_jkt == null ? {} : { dpopJkt: row.dpop_jkt }),
  };
}

export function tokenFromRow(row: TokenRow): RefreshTokenRecord {
  return {
    tokenHash: row.token_hash,
    familyId: row.family_id,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    consumedAt: optionalNumber(row.consumed_at),
    successorHash: row.successor_hash,
  };
}

export function tokenToRow(token: RefreshTokenRecord): TokenRow {
  return {
    token_hash: token.tokenHash,
    family_id: token.familyId,
    created_at: token.createdAt,
    expires_at: token.expiresAt,
    consumed_at: token.consumedAt,
    successor_hash: token.successorHash,
  };
}

function selectorColumns(selector: FamilySelector): Partial<Pick<FamilyRow, 'session_id' | 'user_id' | 'client_id'>> {
  const columns = {
    ...(selector.sessionId === undefined ? {} : { session_id: selector.sessionId }),
    ...(selector.userId === undefined ? {} : { user_id: selector.userId }),
    ...(selector.clientId === undefined ? {} : { client_id: selector.clientId }),
  };
  // An empty selector would match every family: refuse it rather than log everyone out.
  if (Object.keys(columns).length === 0) throw new Error('revokeFamilies needs at least one of sessionId, userId, clientId');
  return columns;
}

/** A statement's result: a promise through knex, the value itself on SQLite's prepared statements. */
type Step<T> = T | Promise<T>;

/** The statements of one rotation, all inside one transaction (knex here, sqlite-refresh-store.ts). */
export interface RotationStatements {
  /** Touches the family's row if it is alive at `now`; returns the rows changed (0 or 1). */
  touchLiveFamily(): Step<number>;
  /** Consumes the token if unused and unexpired, naming its successor; returns the rows changed. */
  consumeToken(): Step<number>;
  insertSuccessor(): Step<void>;
  readToken(): Step<Pick<TokenRow, 'consumed_at' | 'successor_hash'> | undefined>;
}

/** `RefreshTokenStore.rotate`'s decision, the same on every engine. */
export async function rotation(statements: RotationStatements): Promise<RotationOutcome> {
  // First a write, so that the transaction holds the lock from its first statement: the family's
  // row lock on PostgreSQL (every rotation of this family waits here for the one before it to
  // commit, and so does a concurrent revocation of the family), the write lock on SQLite. Its row
  // count says whether the family is still alive.
  if ((await statements.touchLiveFamily()) !== 1) return { kind: 'family_ended' };
  // The conditional update whose row count decides the winner.
  if ((await statements.consumeToken()) === 1) {
    await statements.insertSuccessor();
    return { kind: 'rotated' };
  }
  const row = await statements.readToken();
  if (row !== undefined && row.consumed_at !== null) {
    return { kind: 'consumed', consumedAt: Number(row.consumed_at), successorHash: row.successor_hash };
  }
  return { kind: 'expired' };
}

export function knexRefreshTokenStore(db: Knex): RefreshTokenStore {
  return {
    async startFamily(family, first) {
      await db.transaction(async (trx) => {
        await trx<FamilyRow>('refresh_families').insert({
          id: family.id,
          client_id: family.clientId,
          user_id: family.userId,
          session_id: family.sessionId,
          scopes: JSON.stringify(family.scopes),
          auth_time: family.authTime,
          auth_methods: methodsToColumn(family.authMethods ?? ['pwd']),
          acr: family.acr ?? null,
          created_at: family.createdAt,
          expires_at: family.expiresAt,
          last_used_at: null,
          revoked_at: family.revokedAt,
          dpop_jkt: family.dpopJkt ?? null,
        });
        await trx<TokenRow>('refresh_tokens').insert(tokenToRow(first));
      });
    },

    async find(tokenHash) {
      const token = await db<TokenRow>('refresh_tokens').where({ token_hash: tokenHash }).first();
      if (token === undefined) return undefined;
      const family = await db<FamilyRow>('refresh_families').where({ id: token.family_id }).first();
      if (family === undefined) return undefined;
      const found: FoundRefreshToken = { token: tokenFromRow(token), family: familyFromRow(family) };
      return found;
    },

    rotate(tokenHash, familyId, successor, now) {
      return db.transaction((trx) =>
        rotation(
          {
            touchLiveFamily: () => trx<FamilyRow>('refresh_families').where({ id: familyId }).whereNull('revoked_at').where('expires_at', '>', now).update({ last_used_at: now }),
            consumeToken: () =>
              trx<TokenRow>('refresh_tokens')
                .where({ token_hash: tokenHash, family_id: familyId })
                .whereNull('consumed_at')
                .where('expires_at', '>', now)
                .update({ consumed_at: now, successor_hash: successor.tokenHash }),
            insertSuccessor: async () => void (await trx<TokenRow>('refresh_tokens').insert(tokenToRow(successor))),
            readToken: () => trx<TokenRow>('refresh_tokens').where({ token_hash: tokenHash }).first(),
          },
        ),
      );
    },

    async revokeFamily(familyId, at) {
      return (await db<FamilyRow>('refresh_families').where({ id: familyId }).whereNull('revoked_at').update({ revoked_at: at })) > 0;
    },

    async revokeFamilies(selector, at) {
      return db<FamilyRow>('refresh_families').where(selectorColumns(selector)).whereNull('revoked_at').update({ revoked_at: at });
    },

    async purge(now, limit) {
      let removed = 0;
      // Tokens past their idle expiry: a replay of one is answered as unknown (invalid_grant).
      removed += await db<TokenRow>('refresh_tokens')
        .whereIn('token_hash', db<TokenRow>('refresh_tokens').select('token_hash').where('expires_at', '<=', now).limit(limit))
        .delete();
      if (removed < limit) {
        // Tokens of families that were revoked or reached their absolute expiry.
        const deadFamilies = db<FamilyRow>('refresh_families')
          .select('id')
          .where((q) => q.whereNotNull('revoked_at').orWhere('expires_at', '<=', now));
        removed += await db<TokenRow>('refresh_tokens')
          .whereIn(
            'token_hash',
            db<TokenRow>('refresh_tokens').select('token_hash').whereIn('family_id', deadFamilies).limit(limit - removed),
          )
          .delete();
      }
      if (removed < limit) {
        // Families that are over and hold no token any more.
        const emptyDeadFamilies = db<FamilyRow>('refresh_families as f')
          .select('f.id')
          .where((q) => q.whereNotNull('f.revoked_at').orWhere('f.expires_at', '<=', now))
          .whereNotExists(db('refresh_tokens as t').select(db.raw('1')).whereRaw('t.family_id = f.id'))
          .limit(limit - removed);
        removed += await db<FamilyRow>('refresh_families').whereIn('id', emptyDeadFamilies).delete();
      }
      return removed;
    },
  };
}
