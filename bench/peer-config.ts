/** The peer's benchmark client and resource servers, shared by peer.ts and run.ts. */
export const PEER_CLIENT = { client_id: 'bench-client', client_secret: 'bench-secret-that-is-long-enough-000000000000' };
export const PEER_RESOURCES = { EdDSA: 'https://rs-eddsa.example', RS256: 'https://rs-rs256.example' } as const;
