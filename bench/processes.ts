/**
 * What the `workers` part of `npm run bench` reads about running processes, from Linux's /proc:
 * the workers of a cluster primary (its children), the CPU time a process or its reaped children
 * used, a process's resident memory, and which worker holds a given TCP connection.
 *
 * The last one is how the bench tells "same worker" from "other worker" without trusting any log:
 * node:cluster hands each accepted connection to one worker, whose file descriptors then include
 * that connection's socket; /proc/net/tcp{,6} maps the socket's inode to its two ports. A client
 * that knows its own port (socket.localPort) thus learns which worker process serves it.
 */
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';

const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces): [0] is field 3, `state`. */
function statFields(pid: number | 'self'): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The processes whose parent is `pid` (a cluster primary's workers), in pid order. */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(statFields(Number(entry))[1]) === pid) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children.sort((a, b) => a - b);
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds used by this process's children that have ended and been waited for (e.g. a `wrk` run). */
export function reapedChildrenCpuSeconds(): number {
  const fields = statFields('self');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory, VmRSS, in MB. */
export function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

/** The inode of the server's end of the loopback connection from `clientPort` to `serverPort`. */
function serverSocketInode(serverPort: number, clientPort: number): string | undefined {
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = fs.readFileSync(table, 'utf8').split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const port = (address: string) => parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
      if (port(fields[1]!) === serverPort && port(fields[2]!) === clientPort) return fields[9];
    }
  }
  return undefined;
}

function holds(pid: number, inode: string): boolean {
  const target = `socket:[${inode}]`;
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return true;
      } catch {
        // the descriptor closed while we looked
      }
    }
  } catch {
    // the process ended
  }
  return false;
}

/**
 * Which of `workers` holds the server's end of the connection from local port `clientPort`. The
 * primary accepts a connection and passes it on, so for a moment the primary (or nobody) holds
 * it: asked again every 2 ms, for at most 2 s.
 */
export async function workerHolding(workers: readonly number[], serverPort: number, clientPort: number): Promise<number> {
  const until = performance.now() + 2000;
  while (performance.now() < until) {
    const inode = serverSocketInode(serverPort, clientPort);
    if (inode !== undefined) {
      const holders = workers.filter((pid) => holds(pid, inode));
      if (holders.length === 1) return holders[0]!;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`no worker holds the connection from port ${clientPort}`);
}

/** CPU seconds the whole machine has spent busy (every core, every process) so far, from /proc/stat. */
export function machineBusyCpuSeconds(): number {
  const [, ...ticks] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const busy = ticks.slice(0, 8).reduce((sum, value, i) => (i === 3 || i === 4 ? sum : sum + value), 0);
  return busy / CLOCK_TICKS_PER_SECOND;
}
