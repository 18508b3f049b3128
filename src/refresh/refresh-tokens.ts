/**
 * The contract between the authorization-code grant (which starts a refresh-token family at login)
 * and the refresh-token domain (rotation, reuse detection, revocation). Implemented in this folder.
 */
import type { ClientRecord } from '../storage/clients.js';

export interface NewRefreshFamily {
  /** Chosen by the caller when it must record the id before the family exists (the code grant); random otherwise. */
  readonly familyId?: string;
  readonly client: ClientRecord;
  readonly userId: string;
  /** The login session (`sid`): logging out of it ends the family. */
  readonly sessionId: string;
  readonly scopes: readonly string[];
  readonly authTime: number;
  /** RFC 8176 methods and `acr` of the login: every refresh carries them again. */
  readonly authMethods?: readonly string[];
  readonly acr?: string;
  /** The DPoP key thumbprint the family is bound to (public clients using DPoP, RFC 9449 §5). */
  readonly dpopJkt?: string;
}

export interface RefreshTokenIssuer {
  /** Starts a family and returns its first (opaque) refresh token. */
  startFamily(family: NewRefreshFamily): Promise<string>;
}
