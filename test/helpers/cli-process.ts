import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './worker-process.js';

/**
 * One `payrail <command>` as a child process, run from source through tsx (no build needed), with
 * its output collected. kill() is by this child's pid only.
 */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** Resolves with the first match of `re` in the output so far or to come; rejects after `ms` or on exit. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  kill(): Promise<void>;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    listeners.forEach((l) => l());
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => {
    gone = true;
    listeners.forEach((l) => l());
  });
  return {
    child,
    exited,
    output: () => out,
    waitFor(re, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(re);
          if (m) return finish(() => resolve(m));
          if (gone) return finish(() => reject(new Error(`payrail ${args[0]} exited before printing ${re}:\n${out}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`payrail ${args[0]} did not print ${re} within ${ms} ms:\n${out}`))), ms);
        const finish = (f: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          f();
        };
        listeners.add(check);
        check();
      });
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}
