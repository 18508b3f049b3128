/**
 * Why a sign-in step was refused, as a key of the catalogues' `refusals` section rather than a
 * sentence: the domain (login/, accounts/, passkeys/) returns a `Refusal`, keeps its English text
 * (`englishText`, for logs, JSON answers and the tests) from the same catalogue, and the page shows
 * `refusalText` in the request's language.
 */
import { en } from './en.js';
import { format, type Messages } from './messages.js';

export type RefusalKey = keyof Messages['refusals'];

export interface Refusal {
  readonly key: RefusalKey;
  /** For the throttles: how long to wait, the message's `{when}`. */
  readonly waitSeconds?: number;
}

function waitText(t: Messages, seconds: number): string {
  if (seconds < 60) return seconds === 1 ? t.wait.second : format(t.wait.seconds, { count: seconds });
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? t.wait.minute : format(t.wait.minutes, { count: minutes });
}

export function refusalText(t: Messages, refusal: Refusal): string {
  return format(t.refusals[refusal.key], { when: refusal.waitSeconds === undefined ? '' : waitText(t, refusal.waitSeconds) });
}

/** The English text of a refusal: what the domain's `message` fields carry. */
export function englishText(refusal: Refusal): string {
  return refusalText(en, refusal);
}
