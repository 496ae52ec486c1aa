import type { KeyObject } from 'node:crypto';
import type { Db } from '../../platform/db/database.js';
import type { Clock } from '../../kernel/clock.js';
import { parsePublicKey } from './public-key.js';
import { findProjectByName, listActiveKeys, readProjectsVersion, type Project } from './project.repo.js';

export interface AuthEntry {
  readonly project: Project;
  readonly keys: ReadonlyArray<{ readonly id: string; readonly key: KeyObject }>;
}

/**
 * The cache behind request authentication: a project and its public keys, parsed once into
 * KeyObjects. Any change made on any instance bumps `project_changes.version`; each instance checks
 * that number at most once per `recheckMs` (on the request path, one cheap query a second) and drops
 * its cache when it moved, so an added or deleted key takes effect everywhere within about a second.
 * Unknown names are cached too, so a flood of bad X-PARTNER-PROJECT values does not reach the database.
 */
export class ProjectDirectory {
  readonly #db: Db;
  readonly #recheckMs: number;
  readonly #entries = new Map<string, Promise<AuthEntry | null>>();
  #version: string | undefined;
  #checkedAt = 0;
  #checking: Promise<void> | undefined;

  constructor(db: Db, opts: { recheckMs?: number; clock?: Clock } = {}) {
    this.#db = db;
    this.#recheckMs = opts.recheckMs ?? 1000;
  }

  async get(name: string): Promise<AuthEntry | null> {
    await this.#ensureFresh();
    let entry = this.#entries.get(name);
    if (!entry) {
      entry = this.#load(name);
      this.#entries.set(name, entry);
      entry.catch(() => this.#entries.delete(name));
    }
    return entry;
  }

  /** Called after a change made through this instance, so it never serves its own stale data. */
  invalidate(): void {
    this.#entries.clear();
    this.#checkedAt = 0;
  }

  async #ensureFresh(): Promise<void> {
    if (Date.now() - this.#checkedAt < this.#recheckMs) return;
    this.#checking ??= (async () => {
      try {
        const version = await readProjectsVersion(this.#db);
        if (version !== this.#version) {
          this.#entries.clear();
          this.#version = version;
        }
        this.#checkedAt = Date.now();
      } finally {
        this.#checking = undefined;
      }
    })();
    await this.#checking;
  }

  async #load(name: string): Promise<AuthEntry | null> {
    const project = await findProjectByName(this.#db, name);
    if (!project) return null;
    const keys = await listActiveKeys(this.#db, project.id);
    return { project, keys: keys.map((k) => ({ id: k.id, key: parsePublicKey(k.publicKeyPem).key })) };
  }
}
