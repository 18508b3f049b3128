/**
 * The issuer's metadata as the verifier needs it (OpenID Connect Discovery 1.0): where its keys
 * are, and for the revocation feed, its token endpoint and `revocation_feed_endpoint`. Read once
 * at start-up; a document that names another issuer is refused (§4.3), so a verifier configured
 * for one issuer never trusts the keys of another.
 */

export interface IssuerMetadata {
  readonly jwks_uri: string;
  readonly token_endpoint?: string;
  readonly revocation_feed_endpoint?: string;
}

export async function fetchIssuerMetadata(issuer: string, fetch: typeof globalThis.fetch): Promise<IssuerMetadata> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`discovery answered ${response.status}`);
  const document = (await response.json()) as Record<string, unknown>;
  if (document.issuer !== issuer) throw new Error(`discovery names the issuer ${JSON.stringify(document.issuer)}`);
  if (typeof document.jwks_uri !== 'string') throw new Error('discovery has no jwks_uri');
  return document as unknown as IssuerMetadata;
}

/** The two endpoints the revocation feed needs; throws when discovery does not list both. */
export function feedEndpoints(metadata: IssuerMetadata): { readonly feed: string; readonly token: string } {
  const feed = metadata.revocation_feed_endpoint;
  const token = metadata.token_endpoint;
  if (typeof feed !== 'string' || typeof token !== 'string') throw new Error('discovery lists no revocation_feed_endpoint or token_endpoint');
  return { feed, token };
}
