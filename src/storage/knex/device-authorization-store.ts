/**
 * RFC 8628 device authorization requests (storage/device-authorizations.ts) in the
 * `device_authorizations` table (migration 0021). Every change after the insert is one
 * conditional UPDATE whose row count says who won.
 */
import type { Knex } from 'knex';
import type { DeviceAuthorizationRecord, DeviceAuthorizationStatus, DeviceAuthorizationStore } from '../device-authorizations.js';
import { methodsFromColumn, methodsToColumn } from './methods-column.js';

interface DeviceRow {
  id: string;
  device_code_hash: string;
  user_code_hash: string;
  client_id: string;
  scopes: string;
  resources: string;
  created_at: number | string;
  expires_at: number | string;
  interval_seconds: number | string;
  last_polled_at: number | string | null;
  status: string;
  user_id: string | null;
  session_id: string | null;
  auth_time: number | string | null;
  auth_methods: string | null;
  acr: string | null;
  decided_at: number | string | null;
  consumed_at: number | string | null;
  grant_id: string | null;
}

const TABLE = 'device_authorizations';
const optionalNumber = (value: number | string | null): number | null => (value === null ? null : Number(value));

function fromRow(row: DeviceRow): DeviceAuthorizationRecord {
  const approved = row.status === 'approved' && row.user_id !== null && row.session_id !== null && row.auth_time !== null;
  return {
    id: row.id,
    deviceCodeHash: row.device_code_hash,
    userCodeHash: row.user_code_hash,
    clientId: row.client_id,
    scopes: JSON.parse(row.scopes) as string[],
    resources: JSON.parse(row.resources) as string[],
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    intervalSeconds: Number(row.interval_seconds),
    lastPolledAt: optionalNumber(row.last_polled_at),
    status: row.status as DeviceAuthorizationStatus,
    approval: approved
      ? { userId: row.user_id!, sessionId: row.session_id!, authTime: Number(row.auth_time), authMethods: methodsFromColumn(row.auth_methods), acr: row.acr ?? '' }
      : null,
    decidedAt: optionalNumber(row.decided_at),
    consumedAt: optionalNumber(row.consumed_at),
    grantId: row.grant_id,
  };
}

export function knexDeviceAuthorizationStore(db: Knex): DeviceAuthorizationStore {
  const first = async (where: Partial<DeviceRow>) => {
    const row = await db<DeviceRow>(TABLE).where(where).first();
    return row === undefined ? undefined : fromRow(row);
  };
  return {
    async insert(record) {
      await db<DeviceRow>(TABLE).insert({
        id: record.id,
        device_code_hash: record.deviceCodeHash,
        user_code_hash: record.userCodeHash,
        client_id: record.clientId,
        scopes: JSON.stringify(record.scopes),
        resources: JSON.stringify(record.resources),
        created_at: record.createdAt,
        expires_at: record.expiresAt,
        interval_seconds: record.intervalSeconds,
        last_polled_at: record.lastPolledAt,
        status: record.status,
        user_id: record.approval?.userId ?? null,
        session_id: record.approval?.sessionId ?? null,
        auth_time: record.approval?.authTime ?? null,
        auth_methods: record.approval === null ? null : methodsToColumn(record.approval.authMethods),
        acr: record.approval?.acr ?? null,
        decided_at: record.decidedAt,
        consumed_at: record.consumedAt,
        grant_id: record.grantId,
      });
    },
    find: (id) => first({ id }),
    findByDeviceCode: (deviceCodeHash) => first({ device_code_hash: deviceCodeHash }),
    findByUserCode: (userCodeHash) => first({ user_code_hash: userCodeHash }),
    async recordPoll(id, previousPollAt, at, intervalSeconds) {
      const query = db<DeviceRow>(TABLE).where({ id });
      if (previousPollAt === null) query.whereNull('last_polled_at');
      else query.andWhere('last_polled_at', previousPollAt);
      return (await query.update({ last_polled_at: at, interval_seconds: intervalSeconds })) === 1;
    },
    async decide(id, decision, at) {
      const changes: Partial<DeviceRow> =
        decision.status === 'approved'
          ? {
              status: 'approved',
              user_id: decision.approval.userId,
              session_id: decision.approval.sessionId,
              auth_time: decision.approval.authTime,
              auth_methods: methodsToColumn(decision.approval.authMethods),
              acr: decision.approval.acr,
              decided_at: at,
            }
          : { status: 'denied', decided_at: at };
      return (await db<DeviceRow>(TABLE).where({ id, status: 'pending' }).andWhere('expires_at', '>', at).update(changes)) === 1;
    },
    async consume(id, at, grantId) {
      return (await db<DeviceRow>(TABLE).where({ id, status: 'approved' }).whereNull('consumed_at').update({ consumed_at: at, grant_id: grantId })) === 1;
    },
    async purgeExpired(before, limit) {
      return db<DeviceRow>(TABLE)
        .whereIn('id', db<DeviceRow>(TABLE).select('id').where('expires_at', '<', before).limit(limit))
        .delete();
    },
  };
}
