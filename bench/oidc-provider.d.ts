// oidc-provider ships no types; these are the parts the benchmark's peer uses (it is a Koa app).
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { Middleware } from 'koa';

  interface Grant {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }

  export default class Provider {
    constructor(issuer: string, configuration: unknown);
    listen(port: number, host: string, callback: () => void): unknown;
    use(middleware: Middleware): this;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{ uid: string; params: Record<string, unknown> }>;
    /** Stores the interaction's result; returns the URL that resumes the authorization. */
    interactionResult(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>): Promise<string>;
    readonly Grant: new (properties: { accountId: string; clientId: string }) => Grant;
  }
}
