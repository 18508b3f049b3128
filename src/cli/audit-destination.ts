/**
 * Where the CLI's audit lines go. Its stdout holds exactly one JSON document (the contract) and
 * its stderr only an error, so the audit trail of operator commands is appended, one JSON line per
 * event, to the file CLI_AUDIT_LOG names (default ./data/cli-audit.log; created with its folder,
 * mode 0600), or written to standard error when CLI_AUDIT_LOG=stderr. Lines have the server's
 * audit format (audit/audit-log.ts) plus `os_user`, the account that ran the command. Writes are
 * synchronous: the line is on disk before the command prints its result. A file that cannot be
 * opened stops the command before it changes anything: no unaudited operator changes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { type AuditLog, pinoAuditLog } from '../audit/audit-log.js';
import { createLogger } from '../log.js';
import { CliError } from './command.js';

function osUser(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return undefined;
  }
}

export function cliAuditLog(target: string): AuditLog {
  let destination;
  try {
    if (target === 'stderr') {
      destination = pino.destination({ dest: 2, sync: true });
    } else {
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
      fs.closeSync(fs.openSync(target, 'a', 0o600));
      destination = pino.destination({ dest: target, append: true, sync: true });
    }
  } catch (error) {
    throw new CliError(`cannot open the audit log CLI_AUDIT_LOG=${target}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const user = osUser();
  return pinoAuditLog(createLogger('info', destination), user === undefined ? {} : { os_user: user });
}
