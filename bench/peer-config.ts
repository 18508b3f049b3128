/** The peer's benchmark clients and resource servers, shared by peer.ts and run.ts. */
export const PEER_CLIENT = { client_id: 'bench-client', client_secret: 'bench-secret-that-is-long-enough-000000000000' };
export const PEER_RESOURCES = { EdDSA: 'https://rs-eddsa.example', RS256: 'https://rs-rs256.example', ES256: 'https://rs-es256.example' } as const;
/** The refresh scenario's web client (code + refresh_token, EdDSA ID tokens), like Inkan's bench-web. */
export const PEER_WEB_CLIENT = {
  client_id: 'bench-web',
  client_secret: 'bench-web-secret-that-is-long-enough-0000000000',
  redirect_uri: 'http://127.0.0.1:9/callback',
} as const;
/** The one person the peer's interaction route signs in. */
export const PEER_ACCOUNT_ID = 'bench-person';
