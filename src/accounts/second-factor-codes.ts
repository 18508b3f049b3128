/**
 * The sign-in's Code step (login/authorizer.ts `submitCode`): a TOTP code or a recovery code of
 * the person whose first factor is verified, under the login throttle (accounts/throttle.ts: the
 * person's code counter and the address, counted before the check, so parallel guesses cannot
 * slip through). Each outcome is told to a `SecondFactorObserver` (audit line and metric). The
 * texts are what the page shows; none says whether a code was a TOTP or a recovery code.
 */
import type { SecondFactorObserver } from '../audit/second-factors.js';
import type { CodeAttempt, CodeOutcome, SecondFactorCodes } from './factors.js';
import type { RecoveryCodes } from './recovery-codes.js';
import type { LoginThrottle } from './throttle.js';
import type { TotpFactors } from './totp-factors.js';
import { englishText, type Refusal } from '../i18n/refusals.js';

export const WRONG_CODE_MESSAGE = englishText({ key: 'wrongCode' });
export const USED_CODE_MESSAGE = englishText({ key: 'usedCode' });

function refused(status: number, refusal: Refusal, retryAfterSeconds?: number): CodeOutcome {
  return { kind: 'refused', status, message: englishText(refusal), refusal, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
}

export interface SecondFactorCodesDeps {
  readonly totp: Pick<TotpFactors, 'check'>;
  readonly recovery: Pick<RecoveryCodes, 'use' | 'remaining'>;
  readonly throttle: Pick<LoginThrottle, 'admitCode' | 'codeSucceeded'>;
  readonly observer?: SecondFactorObserver | undefined;
}

export function secondFactorCodes(deps: SecondFactorCodesDeps): SecondFactorCodes {
  return {
    async check(attempt: CodeAttempt, typed: string | undefined): Promise<CodeOutcome> {
      const code = (typed ?? '').trim();
      if (code === '' || code.length > 32) return refused(400, { key: 'missingCode' });
      const event = { sub: attempt.userId, clientId: attempt.clientId, requestId: attempt.requestId, address: attempt.address };
      const admission = await deps.throttle.admitCode(attempt.userId, attempt.address);
      if (!admission.admitted) {
        const wait = admission.retryAfterSeconds;
        deps.observer?.codeThrottled(event, wait);
        return refused(429, { key: 'codeThrottled', waitSeconds: wait }, wait);
      }
      const totp = await deps.totp.check(attempt.userId, code.replace(/\s/g, ''));
      if (totp.kind === 'accepted') {
        await deps.throttle.codeSucceeded(attempt.userId, attempt.address);
        deps.observer?.codeAccepted(event, 'totp');
        return { kind: 'accepted', via: 'totp' };
      }
      if (totp.kind === 'replayed') {
        deps.observer?.codeRefused(event, 'replayed_code');
        return refused(401, { key: 'usedCode' });
      }
      if (await deps.recovery.use(attempt.userId, code)) {
        await deps.throttle.codeSucceeded(attempt.userId, attempt.address);
        deps.observer?.codeAccepted(event, 'recovery', await deps.recovery.remaining(attempt.userId));
        return { kind: 'accepted', via: 'recovery' };
      }
      deps.observer?.codeRefused(event, 'wrong_code');
      return refused(401, { key: 'wrongCode' });
    },
  };
}
