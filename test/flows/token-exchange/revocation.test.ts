/**
 * An exchanged token (RFC 8693) belongs to its subject's login: ending the person's session
 * (RP-initiated logout), the person (`users disable`, `tokens revoke --email`) or the grant (the
 * refresh token revoked with RFC 7009) revokes it, and a token exchanged from it in turn. Each is
 * seen from outside as a resource server sees it: introspection answers inactive, the revocation
 * feed pushes a record that covers the token (the SDK's own rule), and the token's status-list bit
 * flips. Another person's exchanged token stays valid; the revoked subject token cannot be
 * exchanged again. A service's client-credentials token exchanged by another client dies with the
 * service's registration (`clients delete`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { decodeStatusList, isCoveredBy, recordFromSecurityEvent, statusAt, type RevocableClaims } from '@inkan/verifier/protocol';
import { SseParser, type FeedEvent } from '../../../packages/verifier/src/feed-client.js';
import { startInkan, type TestServer } from '../../helpers/inkan.js';
import { clientCredentialsToken, registerClient, type RegisteredClient } from '../../helpers/clients.js';
import { eventually } from '../../helpers/eventually.js';
import { introspect, revoke } from '../../helpers/refresh.js';
import { exchange, INVENTORY, ORDERS, registerParties, signInPerson, subjectParams, type Parties, type SignedIn } from './support.js';

let server: TestServer;
let parties: Parties;
let feed: Feed;

interface Feed {
  readonly events: FeedEvent[];
  close(): void;
}

/** The revocation push feed, read as a resource server reads it. */
async function openFeed(): Promise<Feed> {
  const reader = await registerClient(server, ['--name', 'feed-reader', '--scope', 'revocations:read']);
  const bearer = await clientCredentialsToken(server.issuer, reader, { scope: 'revocations:read' });
  const controller = new AbortController();
  const response = await fetch(`${server.issuer}/revocations/feed`, { headers: { authorization: `Bearer ${bearer}` }, signal: controller.signal });
  expect(response.status).toBe(200);
  const events: FeedEvent[] = [];
  const parser = new SseParser();
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) events.push(...parser.push(decoder.decode(chunk, { stream: true })));
    } catch {
      // closed at the end of the file
    }
  })();
  await eventually(() => events.some((event) => event.type === 'ready'), 10_000);
  return { events, close: () => controller.abort() };
}

beforeAll(async () => {
  server = await startInkan();
  parties = await registerParties(server);
  feed = await openFeed();
});
afterAll(async () => {
  feed.close();
  await server.stop();
});

/** The person's token exchanged by the gateway for the orders API, and that one by the orders API for the inventory API. */
async function delegatedTokens(subject: string): Promise<{ orders: string; inventory: string }> {
  const first = await exchange(server, parties.gateway, subjectParams(subject, { resource: ORDERS, scope: 'orders:read' }));
  expect(first.status).toBe(200);
  const second = await exchange(server, parties.ordersApi, subjectParams(first.body.access_token as string, { resource: INVENTORY }));
  expect(second.status).toBe(200);
  return { orders: first.body.access_token as string, inventory: second.body.access_token as string };
}

/** Introspection by the orders API, the resource server both tokens are for (it is registered with both resources). */
const active = async (token: string) => (await introspect(server, parties.ordersApi, token)).body.active as boolean;

/** Whether the feed has pushed a record that covers the token, by the verifier SDK's own rule. */
async function feedCovers(token: string): Promise<boolean> {
  const claims = decodeJwt(token) as unknown as RevocableClaims;
  for (const event of feed.events.filter((e) => e.type === 'revocation')) {
    const { payload } = await jwtVerify(event.data, createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), { issuer: server.issuer });
    if (isCoveredBy(recordFromSecurityEvent(payload, server.issuer).target, claims)) return true;
  }
  return false;
}

/** The token's bit in the status list its `status` claim names (0 valid, 1 invalid). */
async function statusBit(token: string): Promise<number> {
  const { idx, uri } = (decodeJwt(token).status as { status_list: { idx: number; uri: string } }).status_list;
  const { payload } = await jwtVerify(await (await fetch(uri)).text(), createRemoteJWKSet(new URL(`${server.issuer}/jwks`)), {
    typ: 'statuslist+jwt',
    issuer: server.issuer,
    subject: uri,
  });
  const list = payload.status_list as { bits: 1; lst: string };
  return statusAt(decodeStatusList(list.lst), list.bits, idx);
}

/** Every way a resource server can learn it: introspection, the feed, the status list. */
async function expectRevokedEverywhere(token: string): Promise<void> {
  expect(await active(token)).toBe(false);
  await eventually(() => feedCovers(token), 10_000);
  await eventually(async () => (await statusBit(token)) === 1, 10_000);
}

async function expectValid(token: string): Promise<void> {
  expect(await active(token)).toBe(true);
  expect(await feedCovers(token)).toBe(false);
  expect(await statusBit(token)).toBe(0);
}

describe('revocation follows the subject of an exchanged token', () => {
  let bystander: SignedIn;
  let bystanderTokens: { orders: string; inventory: string };

  beforeAll(async () => {
    bystander = await signInPerson(server, parties);
    bystanderTokens = await delegatedTokens(bystander.tokens.access_token);
  });

  it('logging out of the session (RP-initiated logout) revokes the tokens exchanged from its access token', async () => {
    const ada = await signInPerson(server, parties);
    const tokens = await delegatedTokens(ada.tokens.access_token);
    await expectValid(tokens.orders);
    await expectValid(tokens.inventory);
    const logout = oidc.buildEndSessionUrl(parties.webConfig, { id_token_hint: ada.tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/bye' });
    const hop = await ada.browser.request(logout.href);
    expect(hop.location).toContain('http://127.0.0.1:9/bye');
    await expectRevokedEverywhere(tokens.orders);
    await expectRevokedEverywhere(tokens.inventory);
    const again = await exchange(server, parties.gateway, subjectParams(ada.tokens.access_token, { resource: ORDERS }));
    expect(again.body).toEqual({ error: 'invalid_grant', error_description: 'the subject token was revoked' });
    await expectValid(bystanderTokens.orders);
    await expectValid(bystanderTokens.inventory);
  });

  it.each([
    ['users disable', (email: string) => ['users', 'disable', '--email', email]],
    ['tokens revoke --email', (email: string) => ['tokens', 'revoke', '--email', email]],
  ])('%s (the CLI, another process) revokes the person\'s exchanged tokens', async (_name, command) => {
    const ada = await signInPerson(server, parties);
    const tokens = await delegatedTokens(ada.tokens.access_token);
    await expectValid(tokens.orders);
    const result = await server.cli(command(ada.person.email));
    expect(result.code, result.stderr).toBe(0);
    await expectRevokedEverywhere(tokens.orders);
    await expectRevokedEverywhere(tokens.inventory);
    await expectValid(bystanderTokens.orders);
  });

  it('revoking the refresh token (RFC 7009) ends the grant, and the tokens exchanged from its access tokens', async () => {
    const ada = await signInPerson(server, parties);
    const tokens = await delegatedTokens(ada.tokens.access_token);
    expect((await revoke(server, parties.web, ada.tokens.refresh_token!)).status).toBe(200);
    await expectRevokedEverywhere(tokens.orders);
    await expectRevokedEverywhere(tokens.inventory);
    await expectValid(bystanderTokens.inventory);
  });

  it('deleting a service client revokes what other clients exchanged its client-credentials tokens for', async () => {
    const service: RegisteredClient = await registerClient(server, ['--name', 'nightly-batch', '--scope', 'orders:read']);
    const serviceToken = await clientCredentialsToken(server.issuer, service);
    const exchanged = await exchange(server, parties.gateway, subjectParams(serviceToken, { resource: ORDERS }));
    expect(exchanged.status).toBe(200);
    const token = exchanged.body.access_token as string;
    await expectValid(token);
    const deleted = await server.cli(['clients', 'delete', service.client_id]);
    expect(deleted.code, deleted.stderr).toBe(0);
    await expectRevokedEverywhere(token);
    await expectValid(bystanderTokens.orders);
  });
});
