/**
 * `npm start`: loadConfig, then one of three roles. WORKERS=1 serves in this process (serve.ts).
 * WORKERS > 1 makes this process the primary of a cluster (cluster/primary.ts), which forks the
 * workers: node:cluster runs this same file in each, and there it serves as a worker
 * (cluster/worker.ts). A configuration problem is printed as one line and the process exits 2.
 *
 * Each role imports only its own code: the primary never loads the server, so it stays small.
 */
import cluster from 'node:cluster';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`inkan: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config.logLevel);
  if (cluster.isWorker) (await import('./cluster/worker.js')).runWorker(config, log);
  else if (config.workers > 1) (await import('./cluster/primary.js')).runPrimary(config, log);
  else await (await import('./cluster/serve.js')).serve(config, log);
}

void main();
