/**
 * What each scope means to a person, for the consent page, in the page's language (the
 * `scopes` section of the message catalogues, i18n/).
 */
import { format, type Messages } from '../i18n/messages.js';

const DESCRIBED = ['openid', 'profile', 'email', 'offline_access'] as const;
type DescribedScope = (typeof DESCRIBED)[number];

export function describeScope(scope: string, t: Messages): string {
  return (DESCRIBED as readonly string[]).includes(scope) ? t.scopes[scope as DescribedScope] : format(t.scopes.other, { scope });
}
