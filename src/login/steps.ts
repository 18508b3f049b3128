/**
 * What each step of the authorization-code flow (authorizer.ts) answers the browser: a redirect,
 * an error page, or a page to show (login/consent), and the cookies it reads. The endpoints
 * (http/endpoints/authorize.ts, login.ts, consent.ts) render these; nothing here knows HTTP.
 */
import type { OAuthError } from '../oauth/errors.js';
import type { ClientRecord } from '../storage/clients.js';
import type { PendingAuthorization } from '../storage/authorizations.js';
import { englishText, type Refusal } from '../i18n/refusals.js';

/** What the browser holds: the session cookie's secret and the browser-binding cookie's value. */
export interface BrowserCookies {
  readonly sessionSecret: string | undefined;
  readonly browserSecret: string;
}

export type Step =
  /** Send the browser to `location` (the client's redirect_uri or the next interaction page). */
  | { readonly kind: 'redirect'; readonly location: string; readonly newSessionSecret?: string }
  /** Show an error page; never a redirect. */
  | { readonly kind: 'error-page'; readonly status: number; readonly error: OAuthError };

/** What a login or consent page shows. */
export interface InteractionView {
  readonly id: string;
  /** Undefined for Inkan's own sign-ins (the account page: `request.returnTo`). */
  readonly client: ClientRecord | undefined;
  readonly request: PendingAuthorization;
  readonly csrfToken: string;
  readonly userEmail: string | null;
  /** `password`: the email and password form; `second-factor`: the Code form. */
  readonly stage: 'password' | 'second-factor';
  /** `acr_values` asks for `phr`: only a passkey sign-in will do. */
  readonly passkeyRequired: boolean;
}

export type LoginOutcome =
  | Step
  | {
      readonly kind: 'form';
      readonly status: number;
      readonly view: InteractionView;
      /** An error to show; undefined when the form is simply the next step (the Code page). */
      readonly message: string | undefined;
      /** The same as a catalogue key, for the page to say in its language. */
      readonly refusal?: Refusal;
      readonly retryAfterSeconds?: number;
      readonly email: string;
    };

/** A pending request this browser cannot continue (expired, another browser's, completed): an error page. */
export class InteractionError extends Error {
  override readonly name = 'InteractionError';
  constructor(readonly refusal: Refusal) {
    super(englishText(refusal));
  }
}
