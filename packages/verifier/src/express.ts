/**
 * `@inkan/verifier/express`: Express middleware for resource servers (Express 4 and 5), a thin
 * layer over createRequestAuthenticator (request-authentication.ts): Bearer (RFC 6750) or DPoP
 * (RFC 9449 §7, the proof checked against this request's method and the configured `origin` + its
 * path, never the Host header, nor `req.protocol`/`req.host`, which `trust proxy` takes from
 * X-Forwarded-* headers). The claims land in `res.locals.accessToken`; a refusal is answered with
 * its status, WWW-Authenticate challenge and JSON body. Only Express's types are imported, so the
 * SDK has no runtime dependency on Express (an optional peer dependency), and the main entry none.
 */
import type { RequestHandler } from 'express';
import { createRequestAuthenticator, type AuthenticationOptions } from './request-authentication.js';
import type { AccessTokenClaims, Verifier } from './verifier-types.js';

/** What the middleware puts in `res.locals`: `Response<unknown, VerifiedLocals>` types it. */
export interface VerifiedLocals {
  accessToken: AccessTokenClaims;
}

/** Throws a TypeError at once for an `origin` that is not a scheme, host and optional port. */
export function verifierMiddleware(verifier: Pick<Verifier, 'verify'>, options: AuthenticationOptions = {}): RequestHandler {
  const authenticate = createRequestAuthenticator(verifier, options);
  return (req, res, next) => {
    // originalUrl: the path the client addressed, before a mounted router strips its prefix from req.url.
    authenticate({ method: req.method, path: req.originalUrl, headers: req.headers }).then((result) => {
      if (!result.ok) {
        res.status(result.status).set(result.headers);
        if (result.body === undefined) res.end();
        else res.json(result.body);
        return;
      }
      res.locals.accessToken = result.claims;
      next();
    }, next); // Express 4 does not catch a rejected promise: an unexpected failure goes to its error handlers.
  };
}
