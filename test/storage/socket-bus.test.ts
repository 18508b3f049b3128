/**
 * The change sockets beside a SQLite file (src/storage/knex/socket-bus.ts), at their edges: what
 * a process that died leaves behind, a directory too deep for a socket address, a peer that sends
 * garbage, and a close that must not lose the CLI's last notification. (What they carry between
 * processes is in the storage contract, changes-contract.ts, and in test/flows/scale/sqlite-processes.test.ts.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { socketBus, socketDirectory } from '../../src/storage/knex/socket-bus.js';
import { eventually } from '../helpers/eventually.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'inkan-bus-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let counter = 0;
const databaseFile = () => path.join(root, `db-${(counter += 1)}.sqlite`);

/** A listener that delivers into an array, ready once its socket accepts connections. */
async function listening(file: string) {
  const received: [string, string | undefined][] = [];
  const bus = socketBus(file);
  await new Promise<void>((resolve) => bus.listen((channel, payload) => received.push([channel, payload]), resolve));
  return { bus, received };
}

it('carries a line from a publisher to every other listener, not back to itself, and removes its socket on close', async () => {
  const file = databaseFile();
  const a = await listening(file);
  const b = await listening(file);
  const publisher = socketBus(file);
  publisher.send('revocations', '17');
  a.bus.send('keys', undefined);
  await eventually(() => a.received.length === 1 && b.received.length === 2, 2000);
  expect(a.received).toEqual([['revocations', '17']]);
  expect(b.received).toEqual(expect.arrayContaining([['revocations', '17'], ['keys', undefined]]));
  expect(fs.statSync(socketDirectory(file)).mode & 0o777).toBe(0o700);
  expect(fs.readdirSync(socketDirectory(file))).toHaveLength(2);
  await Promise.all([a.bus.close(), b.bus.close(), publisher.close()]);
  expect(fs.readdirSync(socketDirectory(file))).toEqual([]);
});

it('removes the socket a killed process left behind, and keeps a live one', async () => {
  const file = databaseFile();
  const live = await listening(file);
  const directory = socketDirectory(file);
  // A process that listens and is then killed before it can remove its socket.
  const child = spawn(process.execPath, ['-e', `
    const net = require('node:net');
    const where = require('node:path').join(${JSON.stringify(directory)}, process.pid + '-dead.sock');
    net.createServer().listen(where, () => process.stdout.write(where));
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stale = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString())));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  expect(fs.existsSync(stale)).toBe(true);

  const publisher = socketBus(file);
  publisher.send('keys', '2');
  await publisher.close(); // waits for the sends in flight, as the CLI's exit does
  expect(fs.existsSync(stale)).toBe(false);
  expect(live.received).toEqual([['keys', '2']]);
  await live.bus.close();
});

it('says once that it cannot listen when the socket path is too long for a socket address, and sending never throws', async () => {
  const deep = path.join(root, 'd'.repeat(60), 'e'.repeat(60));
  const warnings: object[] = [];
  const bus = socketBus(path.join(deep, 'inkan.sqlite'), { warn: (details) => warnings.push(details) });
  let ready = false;
  bus.listen(() => {}, () => (ready = true));
  bus.listen(() => {}, () => (ready = true));
  bus.send('keys', '1');
  await bus.close();
  expect(ready).toBe(false);
  expect(bus.listening).toBe(false);
  expect(warnings).toEqual([expect.objectContaining({ event: 'changes.socket_unavailable', reason: 'the socket path would be longer than 103 bytes' })]);
});

it('hangs up on a peer that sends a line longer than any notification, delivering nothing of it', async () => {
  const file = databaseFile();
  const { bus, received } = await listening(file);
  const [name] = fs.readdirSync(socketDirectory(file));
  const socket = net.connect(path.join(socketDirectory(file), name!));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.on('error', () => {});
  socket.write(`keys ${'x'.repeat(2000)}`);
  await closed;
  expect(received).toEqual([]);
  await bus.close();
});

it('delivers one process’s lines to a peer in the order it sent them', async () => {
  const file = databaseFile();
  const { bus, received } = await listening(file);
  const publisher = socketBus(file);
  for (let version = 1; version <= 20; version += 1) publisher.send('keys', String(version));
  await publisher.close();
  await eventually(() => received.length === 20, 2000);
  expect(received.map(([, payload]) => Number(payload))).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
  await bus.close();
});
