/**
 * Benchmark scenarios that need more than the foundation (refresh, code exchange, introspection,
 * the verifier SDK, revocation propagation, a login storm). Each gets the running Inkan and adds
 * rows; run.ts runs them in order after the foundation's scenarios.
 */
import type { LoadRequest, LoadResult } from './load.js';
import type { Row } from './run.js';

export interface ExtraScenarioContext {
  readonly issuer: string;
  readonly baseUrl: string;
  readonly env: Record<string, string>;
  readonly dir: string;
  readonly clients: Record<'EdDSA' | 'RS256', { client_id: string; client_secret: string }>;
  readonly seconds: number;
  measure(request: LoadRequest): Promise<LoadResult>;
  cli(args: string[]): any;
}

export type Scenario = (context: ExtraScenarioContext) => Promise<Row[]>;

export const scenariosAfterFoundation: Scenario[] = [];
