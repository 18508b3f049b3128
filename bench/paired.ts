/**
 * A paired measurement: Inkan and the peer, both running and pinned to the server core, measured in
 * alternating rounds, so that each ratio compares figures taken seconds apart. This machine's speed
 * drifts up to 2× from one minute to the next; measuring one side minutes after the other made the
 * ratios as noisy as the machine.
 *
 * The scheme: each side warms up once (Inkan, then the peer), then `rounds` rounds in the order
 * A B, B A, A B, B A, … Only one side is under load at any moment. With an even number of rounds
 * both sides' rounds sit, on average, at the same moment, so a drift that is linear over the
 * measurement weighs both equally (plain A B A B … would favour whichever side comes second).
 *
 * A side's figure is the median of its rounds' rates (with four rounds, the mean of the middle
 * two): under a linear drift the ABBA order gives both sides the same median too, and a round hit
 * by something else on the machine (a build, another benchmark) does not move it the way it moves
 * a mean. p50 and p99 are the medians of the rounds' percentiles, errors the sum. Every round's
 * rate stays in the row (`rounds`, and the note), and the ratio table prints the range of the
 * per-round ratios, so a noisy comparison shows as one.
 *
 * Where the contender knows the server's process, each round also measures the server's CPU time
 * per answer (its median goes in the row): on a shared machine another process's bursts take time
 * from whichever side is measured at that moment and move the rates, while the CPU an answer
 * costs moves much less, so the ratio of the two sides' CPU per answer is the steadier figure.
 */
import type { LoadResult } from './load.js';
import type { Row } from './run.js';

export interface Contender {
  /** The row's name, e.g. `inkan_client_credentials_EdDSA`. */
  readonly row: string;
  /** What the measurement is, for the row's note. */
  readonly note?: string;
  measure(seconds: number): Promise<LoadResult>;
  /** Readies the next measurement (fresh single-use tokens), outside its timing and its CPU count. */
  beforeRound?(): Promise<void>;
}

async function measureOnce(contender: Contender, seconds: number): Promise<LoadResult> {
  await contender.beforeRound?.();
  return contender.measure(seconds);
}

export interface PairTiming {
  readonly warmSeconds: number;
  readonly rounds: number;
  readonly roundSeconds: number;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function pairedRow(side: Contender, results: readonly LoadResult[]): Row {
  const rates = results.map((result) => result.requestsPerSecond);
  const cpu = results.map((result) => result.cpuMicrosPerRequest).filter((micros): micros is number => micros !== undefined && Number.isFinite(micros));
  const cpuMicrosPerAnswer = cpu.length === results.length ? median(cpu) : undefined;
  const roundsNote = `rounds ${rates.map((rate) => rate.toFixed(0)).join(' / ')}${cpuMicrosPerAnswer === undefined ? '' : `; server CPU ${cpuMicrosPerAnswer.toFixed(1)} µs/answer`}`;
  return {
    name: side.row,
    value: median(rates),
    unit: 'req/s',
    p50Ms: median(results.map((result) => result.p50Ms)),
    p99Ms: median(results.map((result) => result.p99Ms)),
    errors: results.reduce((sum, result) => sum + result.errors, 0),
    rounds: rates,
    ...(cpuMicrosPerAnswer === undefined ? {} : { cpuMicrosPerAnswer }),
    note: side.note === undefined ? roundsNote : `${side.note}; ${roundsNote}`,
  };
}

export async function measurePaired(inkan: Contender, peer: Contender, timing: PairTiming): Promise<[Row, Row]> {
  process.stderr.write(`  ${inkan.row} / ${peer.row}: warm-up, then ${timing.rounds} × ${timing.roundSeconds} s alternating\n`);
  await measureOnce(inkan, timing.warmSeconds);
  await measureOnce(peer, timing.warmSeconds);
  const inkanResults: LoadResult[] = [];
  const peerResults: LoadResult[] = [];
  for (let round = 0; round < timing.rounds; round += 1) {
    const inkanFirst = round % 2 === 0;
    if (inkanFirst) inkanResults.push(await measureOnce(inkan, timing.roundSeconds));
    peerResults.push(await measureOnce(peer, timing.roundSeconds));
    if (!inkanFirst) inkanResults.push(await measureOnce(inkan, timing.roundSeconds));
  }
  return [pairedRow(inkan, inkanResults), pairedRow(peer, peerResults)];
}
