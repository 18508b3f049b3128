/**
 * Where the login domain hands over to the refresh-token domain (issue 5). People code ends
 * sessions and revokes access-token ids itself; refresh-token families live elsewhere, so each
 * event that must end them calls one of these optional hooks. `deps.ts` (openCore) wires the
 * implementation; without one, nothing is called.
 */
export interface PeopleRevocationHooks {
  /** A session ended (RP-initiated logout): end the refresh families started in it. */
  endRefreshFamiliesOfSession?(sessionId: string): Promise<void>;
  /** `users disable`: end every refresh family of the user. */
  endRefreshFamiliesOfUser?(userId: string): Promise<void>;
  /**
   * An authorization code was presented a second time: end the refresh family (if any) that the
   * first exchange started, i.e. the one for this client in this session.
   */
  endRefreshFamiliesOfReplayedCode?(code: { readonly clientId: string; readonly userId: string; readonly sessionId: string }): Promise<void>;
}
