/** The operability variables: METRICS_TOKEN, SHUTDOWN_GRACE_SECONDS, ADMIN_API, CLI_AUDIT_LOG. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const CWD = '/srv/inkan';

describe('operability settings', () => {
  it('default to no metrics token, 10 s of grace, no admin API and ./data/cli-audit.log', () => {
    expect(loadConfig({}, CWD).operations).toEqual({
      metricsToken: undefined,
      shutdownGraceSeconds: 10,
      adminApi: false,
      cliAuditLog: path.join(CWD, 'data/cli-audit.log'),
    });
  });

  it('read each variable', () => {
    const operations = loadConfig({ METRICS_TOKEN: 'a-long-enough-token', SHUTDOWN_GRACE_SECONDS: '0', ADMIN_API: 'on', CLI_AUDIT_LOG: 'stderr' }, CWD).operations;
    expect(operations).toEqual({ metricsToken: 'a-long-enough-token', shutdownGraceSeconds: 0, adminApi: true, cliAuditLog: 'stderr' });
    expect(loadConfig({ CLI_AUDIT_LOG: '/var/log/inkan-cli.log' }, CWD).operations.cliAuditLog).toBe('/var/log/inkan-cli.log');
  });

  it.each([
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN must be at least 16 printable characters without spaces'],
    [{ METRICS_TOKEN: 'has a space in it, long' }, 'METRICS_TOKEN must be at least 16 printable characters without spaces'],
    [{ SHUTDOWN_GRACE_SECONDS: '-1' }, 'SHUTDOWN_GRACE_SECONDS must be an integer from 0 to 3600 (seconds), got "-1"'],
    [{ SHUTDOWN_GRACE_SECONDS: '99999' }, 'SHUTDOWN_GRACE_SECONDS must be an integer from 0 to 3600 (seconds), got "99999"'],
    [{ ADMIN_API: 'yes' }, 'ADMIN_API must be on or off, got "yes"'],
  ])('refuses %j with one line', (env, message) => {
    expect(() => loadConfig(env, CWD)).toThrow(ConfigError);
    expect(() => loadConfig(env, CWD)).toThrow(message);
  });

  it('never puts the metrics token in an error message', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'tiny-secret' }, CWD)).toThrow(/^(?!.*tiny-secret)/);
  });
});
