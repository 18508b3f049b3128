/**
 * Who Inkan is to an authenticator (WebAuthn Level 3 §5.1.1 "RP ID", §13.4.9 "Validating the
 * origin"): the RP ID is the issuer's host and the only origin accepted is the issuer's origin.
 *
 * An RP ID must be a registrable domain or `localhost` (§5.1.1 refers to the HTML "valid domain";
 * browsers refuse an IP address), so an issuer whose host is an IP address cannot offer passkeys:
 * `passkeyRelyingParty` then says why, and the server logs it at start (and no page shows a
 * passkey button). The RP ID has no port: credentials registered at `https://id.example` work on
 * any port of that host, which is the specification's rule, not a choice of Inkan's.
 */
import net from 'node:net';

export interface RelyingParty {
  /** The issuer's host name, lower-cased (WebAuthn §5.1.1). */
  readonly id: string;
  /** The issuer's origin, the one `clientDataJSON.origin` must equal (§7.1 step 9, §7.2 step 13). */
  readonly origin: string;
  /** Shown by some authenticators beside the account. */
  readonly name: string;
}

export type PasskeyAvailability =
  | { readonly available: true; readonly relyingParty: RelyingParty }
  | { readonly available: false; readonly reason: string };

/** `name`: the organisation's name (config.ts BRAND_NAME), which authenticators may show beside the account. */
export function passkeyRelyingParty(issuer: string, name = 'Inkan'): PasskeyAvailability {
  const url = new URL(issuer);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) !== 0) {
    return { available: false, reason: `the issuer's host ${host} is an IP address, and a WebAuthn RP ID must be a domain name (use a name such as localhost)` };
  }
  return { available: true, relyingParty: { id: host.toLowerCase(), origin: url.origin, name } };
}
