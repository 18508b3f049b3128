/**
 * The public keys of a federated client's foreign issuer (a Kubernetes cluster, GitHub Actions, any
 * OpenID provider): from the JWK Set registered with `--federated-jwks-uri`, or else from the
 * `jwks_uri` of the issuer's discovery document, `<issuer>/.well-known/openid-configuration`
 * (OpenID Connect Discovery 1.0 §4, the issuer's trailing slash removed first), whose `issuer` must
 * be the registered one exactly (§4.3: otherwise a document could speak for another issuer) and
 * whose `jwks_uri` must be https (http only on a loopback host, as for every URL Inkan calls).
 *
 * Both documents are fetched and cached by clients/remote-documents.ts, the fetcher the jwks_uri of
 * private_key_jwt clients uses: timeout, size limit, no redirects, max-age, failures remembered,
 * and a kid the cached set lacks (the issuer rotated its key) refetching the JWK Set at most once
 * per cooldown. The discovery document is not refetched for an unknown kid: an issuer that moves
 * its jwks_uri is followed when the cached document's max-age runs out.
 */
import type { JWK } from 'jose';
import type { FederatedCredential } from '../storage/clients.js';
import { remoteJwkSets } from '../clients/client-keys.js';
import { RemoteDocumentError, remoteDocuments, type RemoteDocumentsDeps } from '../clients/remote-documents.js';
import { webUriProblem } from '../oauth/redirect-uri.js';

export const DISCOVERY_PATH = '/.well-known/openid-configuration';

export interface IssuerKeySource {
  /** The issuer's keys; `refresh` after no key matched a token's header. Throws RemoteDocumentError. */
  keys(federation: FederatedCredential, options?: { readonly refresh?: boolean }): Promise<readonly JWK[]>;
}

interface Discovered {
  readonly issuer: string;
  readonly jwksUri: string;
}

function discoveredOf(value: unknown): Discovered {
  const document = value as { issuer?: unknown; jwks_uri?: unknown } | null;
  if (typeof document !== 'object' || document === null || typeof document.issuer !== 'string') {
    throw new RemoteDocumentError('the discovery document has no issuer');
  }
  if (typeof document.jwks_uri !== 'string') throw new RemoteDocumentError('the discovery document has no jwks_uri');
  const problem = webUriProblem(document.jwks_uri);
  if (problem !== undefined) throw new RemoteDocumentError(`the discovery document's jwks_uri ${problem}`);
  return { issuer: document.issuer, jwksUri: document.jwks_uri };
}

/** OpenID Connect Discovery 1.0 §4: the issuer, any trailing slash removed, then the well-known path. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}${DISCOVERY_PATH}`;
}

export function issuerKeySource(deps: RemoteDocumentsDeps): IssuerKeySource & { fetchCount(): number } {
  const discovery = remoteDocuments(deps, { what: 'the discovery document', purpose: 'openid_configuration', accept: 'application/json', parse: discoveredOf });
  const sets = remoteJwkSets(deps, "the issuer's JWK Set");

  async function jwksUriOf(federation: FederatedCredential): Promise<string> {
    if (federation.jwksUri !== null) return federation.jwksUri;
    const discovered = await discovery.get(discoveryUrl(federation.issuer));
    if (discovered.issuer !== federation.issuer) {
      throw new RemoteDocumentError('the discovery document names another issuer than the registered one');
    }
    return discovered.jwksUri;
  }

  return {
    async keys(federation, options = {}) {
      return sets.get(await jwksUriOf(federation), { refresh: options.refresh === true });
    },
    fetchCount: () => discovery.fetchCount() + sets.fetchCount(),
  };
}
