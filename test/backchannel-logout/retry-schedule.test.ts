/**
 * The back-off of failed back-channel logout deliveries (src/backchannel-logout/retry-schedule.ts)
 * and its settings: the default schedule retries first within 30 s (the operator contract), then
 * waits longer each time and gives up after a bounded number of attempts and age; the settings
 * refuse bad values with one line naming the variable.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_LOGOUT_RETRY_SECONDS, loadConfig } from '../../src/config.js';
import { afterFailure, tooOld } from '../../src/backchannel-logout/retry-schedule.js';

const T = 1_700_000_000;
const defaults = loadConfig({}, '/srv/inkan').backchannelLogout;

describe('the default schedule', () => {
  it('retries the first failure within 30 seconds', () => {
    const first = afterFailure({ attempts: 1, createdAt: T }, T, defaults);
    expect(first.kind).toBe('retry');
    expect(first.kind === 'retry' && first.inSeconds).toBeLessThanOrEqual(30);
    expect(defaults.retrySeconds).toEqual(DEFAULT_LOGOUT_RETRY_SECONDS);
  });

  it('waits longer after each failure, and gives up after the last retry, within the maximum age', () => {
    let now = T;
    const waits: number[] = [];
    for (let attempts = 1; ; attempts += 1) {
      const decision = afterFailure({ attempts, createdAt: T }, now, defaults);
      if (decision.kind === 'give_up') break;
      waits.push(decision.inSeconds);
      now += decision.inSeconds;
    }
    expect(waits).toEqual([...DEFAULT_LOGOUT_RETRY_SECONDS]);
    for (let index = 1; index < waits.length; index += 1) expect(waits[index]).toBeGreaterThan(waits[index - 1]!);
    expect(waits.length + 1).toBe(9);
    expect(now - T).toBeLessThan(defaults.maxAgeSeconds);
  });

  it('gives up when the next attempt would come after the maximum age, and calls a delivery past it too old', () => {
    const config = { retrySeconds: [5, 600], maxAgeSeconds: 300 };
    expect(afterFailure({ attempts: 1, createdAt: T }, T, config)).toEqual({ kind: 'retry', inSeconds: 5 });
    expect(afterFailure({ attempts: 2, createdAt: T }, T + 5, config)).toEqual({ kind: 'give_up' });
    expect(tooOld({ createdAt: T }, T + 300, config)).toBe(false);
    expect(tooOld({ createdAt: T }, T + 301, config)).toBe(true);
  });
});

describe('settings', () => {
  it('has defaults: 5 s timeout, 8 in flight, 10000 waiting per client, one day', () => {
    expect(defaults).toEqual({ retrySeconds: DEFAULT_LOGOUT_RETRY_SECONDS, maxAgeSeconds: 86_400, timeoutSeconds: 5, concurrency: 8, maxPendingPerClient: 10_000 });
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        BACKCHANNEL_LOGOUT_RETRY_SCHEDULE: '1,2,3',
        BACKCHANNEL_LOGOUT_MAX_AGE: '600',
        BACKCHANNEL_LOGOUT_TIMEOUT: '2',
        BACKCHANNEL_LOGOUT_CONCURRENCY: '3',
        BACKCHANNEL_LOGOUT_MAX_PENDING_PER_CLIENT: '50',
      },
      '/srv/inkan',
    ).backchannelLogout;
    expect(config).toEqual({ retrySeconds: [1, 2, 3], maxAgeSeconds: 600, timeoutSeconds: 2, concurrency: 3, maxPendingPerClient: 50 });
  });

  it.each([
    ['BACKCHANNEL_LOGOUT_RETRY_SCHEDULE', '5,,30', 'BACKCHANNEL_LOGOUT_RETRY_SCHEDULE must be 1 to 20 comma-separated positive integers of seconds, got "5,,30"'],
    ['BACKCHANNEL_LOGOUT_RETRY_SCHEDULE', '0,5', 'BACKCHANNEL_LOGOUT_RETRY_SCHEDULE must be 1 to 20 comma-separated positive integers of seconds, got "0,5"'],
    ['BACKCHANNEL_LOGOUT_RETRY_SCHEDULE', '5s', 'BACKCHANNEL_LOGOUT_RETRY_SCHEDULE must be 1 to 20 comma-separated positive integers of seconds, got "5s"'],
    ['BACKCHANNEL_LOGOUT_TIMEOUT', '0', 'BACKCHANNEL_LOGOUT_TIMEOUT must be an integer from 1 to 60 (seconds), got "0"'],
    ['BACKCHANNEL_LOGOUT_CONCURRENCY', '1000', 'BACKCHANNEL_LOGOUT_CONCURRENCY must be an integer from 1 to 256 (requests), got "1000"'],
    ['BACKCHANNEL_LOGOUT_MAX_PENDING_PER_CLIENT', '0', 'BACKCHANNEL_LOGOUT_MAX_PENDING_PER_CLIENT must be an integer from 1 to 10000000 (deliveries), got "0"'],
    ['BACKCHANNEL_LOGOUT_MAX_AGE', '-1', 'BACKCHANNEL_LOGOUT_MAX_AGE must be a positive integer of seconds, got "-1"'],
  ])('refuses %s=%s', (name, value, message) => {
    expect(() => loadConfig({ [name]: value }, '/srv/inkan')).toThrow(new ConfigError(message));
  });
});
