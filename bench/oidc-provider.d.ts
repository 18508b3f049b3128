// oidc-provider ships no types; the benchmark's peer uses only its constructor and listen().
declare module 'oidc-provider' {
  export default class Provider {
    constructor(issuer: string, configuration: unknown);
    listen(port: number, host: string, callback: () => void): unknown;
  }
}
