/**
 * What is recorded of every access token a grant issues: one `token.issued` audit line and the
 * `inkan_tokens_issued_total` metric, from facts about the token, never the token. The grants
 * (grants/) tell an `IssuanceObserver`; `issuanceRecorder` is the one the server wires in
 * (deps.ts). Both the facts and the metric this needs are declared here, so that audit/ depends on
 * neither grants/ nor metrics/ (grants/ depends on this instead).
 */
import type { AuditLog } from './audit-log.js';

export interface IssuedTokenFacts {
  readonly grantType: string;
  /** The client the token went to, and the alg its tokens are signed with. */
  readonly client: { readonly clientId: string; readonly alg: string };
  readonly sub: string;
  readonly jti: string;
  /** Where the token request came from (X-Request-Id, client address). */
  readonly requestId: string | undefined;
  readonly clientAddress: string | undefined;
  /**
   * A token exchange (RFC 8693): who acts (`act.sub`), and the client and jti of the subject token,
   * so the line names both parties and the token the delegation came from.
   */
  readonly delegation?: { readonly actor: string; readonly subjectClientId: string; readonly subjectJti: string } | undefined;
}

/** Told of every access token issued. */
export interface IssuanceObserver {
  tokenIssued(facts: IssuedTokenFacts): void;
}

/** What this needs of the metrics (metrics/metrics.ts `Metrics` has it). */
export interface IssuanceCounter {
  tokenIssued(grantType: string, alg: string, clientId: string): void;
}

export function issuanceRecorder(deps: { readonly audit: AuditLog; readonly metrics: IssuanceCounter }): IssuanceObserver {
  return {
    tokenIssued({ grantType, client, sub, jti, requestId, clientAddress, delegation }) {
      deps.metrics.tokenIssued(grantType, client.alg, client.clientId);
      deps.audit.record(
        {
          event: 'token.issued',
          grant_type: grantType,
          client_id: client.clientId,
          sub,
          alg: client.alg,
          jti,
          ...(delegation === undefined
            ? {}
            : { act_sub: delegation.actor, subject_client_id: delegation.subjectClientId, subject_jti: delegation.subjectJti }),
        },
        { type: 'client', id: client.clientId, requestId, address: clientAddress },
      );
    },
  };
}
