/** passkeys/relying-party.ts: the RP ID is the issuer's host, the origin the issuer's; an IP address cannot be an RP ID. */
import { describe, expect, it } from 'vitest';
import { passkeyRelyingParty } from '../../src/passkeys/relying-party.js';

describe('passkeyRelyingParty', () => {
  it("is the issuer's host (no port, lower case) and origin (with port, without path)", () => {
    expect(passkeyRelyingParty('http://localhost:4000')).toEqual({ available: true, relyingParty: { id: 'localhost', origin: 'http://localhost:4000', name: 'Inkan' } });
    // The operator's brand (BRAND_NAME), when deps.ts passes it.
    expect(passkeyRelyingParty('http://localhost:4000', 'Acme')).toMatchObject({ relyingParty: { name: 'Acme' } });
    expect(passkeyRelyingParty('https://ID.Example.COM/idp')).toEqual({
      available: true,
      relyingParty: { id: 'id.example.com', origin: 'https://id.example.com', name: 'Inkan' },
    });
  });

  it('is unavailable, saying why, on an IPv4 or IPv6 address', () => {
    expect(passkeyRelyingParty('http://127.0.0.1:3000')).toEqual({
      available: false,
      reason: "the issuer's host 127.0.0.1 is an IP address, and a WebAuthn RP ID must be a domain name (use a name such as localhost)",
    });
    expect(passkeyRelyingParty('https://[::1]:8443')).toMatchObject({ available: false, reason: expect.stringContaining("host ::1 is an IP address") });
  });
});
