/**
 * Where the login domain hands over to the refresh-token domain (issue 5). People code ends
 * sessions itself; refresh-token families live elsewhere, so each event that must end them calls
 * one of these optional hooks. (Access tokens are revoked through the revocation service.) `deps.ts` (openCore) wires the
 * implementation; without one, nothing is called.
 */
export interface PeopleRevocationHooks {
  /** A session ended (RP-initiated logout): end the refresh families started in it. */
  endRefreshFamiliesOfSession?(sessionId: string): Promise<void>;
  /** `users disable`: end every refresh family of the user. */
  endRefreshFamiliesOfUser?(userId: string): Promise<void>;
  /**
   * An authorization code was presented a second time: end the refresh family its exchange
   * started (its id is recorded on the code; the family may not exist yet, which is not an error).
   */
  endRefreshFamilyOfReplayedCode?(familyId: string): Promise<void>;
}
