/**
 * What every bench measures the same way: a free port, CPU ticks from /proc (one process, the
 * PostgreSQL processes working for one database, the whole machine), and a throwaway PostgreSQL
 * database. Counters the processes keep themselves, so figures hold on a busy machine.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import pg from 'pg';

/** Milliseconds per clock tick (CLK_TCK). */
export const TICK_MS = 1000 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100);

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** utime + stime of one process, in ticks; throws when it has ended. */
export function processTicks(pid: number | undefined): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** processTicks, or `fallback` for a process that has ended. */
export function processTicksOr(pid: number | undefined, fallback: number): number {
  try {
    return processTicks(pid);
  } catch {
    return fallback;
  }
}

/**
 * CPU ticks by pid of the PostgreSQL processes working for this run: the backends connected to its
 * database, and the shared background processes (WAL writer, checkpointer, …). Backends of other
 * databases (other programs on the same server) are left out.
 */
export function postgresTicks(database: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (!database) return out;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).startsWith('postgres')) continue;
      const title = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const clientBackend = /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]|::1\(/.test(title);
      if (clientBackend && !title.includes(` ${database} `)) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** Ticks used between two snapshots by processes alive at the end (one that ended meanwhile is lost). */
export function ticksSince(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [pid, t] of after) total += t - (before.get(pid) ?? 0);
  return total;
}

/** Busy ticks of the whole machine (user, nice, system, irq, softirq, steal). */
export function machineBusyTicks(): number {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
  return user + nice + system + irq + softirq + steal;
}

/** Runs `fn` on a new database of the PostgreSQL server at `base`, dropped afterwards. */
export async function withPostgresDatabase<T>(base: string, prefix: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `${prefix}_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  }
}
