/** The one definition of "the same email": trimmed and lower-cased (uniqueness, lookups, throttling). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
