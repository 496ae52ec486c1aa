import { sql } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.js';
import type { ProjectKeyRow, ProjectRow } from '../../platform/db/schema.js';
import type { FeeSchedule } from '../ledger/fees.js';

export interface ProjectSettings {
  readonly webhookUrl: string | null;
  readonly autoConfirm: boolean;
  readonly allowPartialRefunds: boolean;
  readonly apiVersion: 'v1' | 'v2';
  /** Webhook retry schedule: at most this many attempts, within this many seconds of the first. */
  readonly webhookMaxAttempts: number;
  readonly webhookMaxAgeSeconds: number;
  /** How long a hold waits for capture before it is released. */
  readonly holdPeriodSeconds: number;
  /** Fees per operation type (percent plus fixed); empty means none. */
  readonly fees: FeeSchedule;
  /** Show `card_id` on masked cards (Smart Glocal enables it on request, §6.7). */
  readonly cardIdEnabled: boolean;
  /** The aliases of the partner's contractors that revenue_split_info may name (§5.20). */
  readonly contractors: readonly string[];
  /**
   * The optional replay guard (docs/security.md): when set, requests carry X-PARTNER-TIMESTAMP, the
   * signature covers `timestamp.body`, and a request is accepted once within this many seconds.
   */
  readonly signatureMaxAgeSeconds: number | null;
  /**
   * `manual`: every card payment stops at ready_to_capture (a hold) and waits for session/capture,
   * for clients that cannot send payrail's `payment_options.hold`; `auto`: captured at once unless
   * the payment asked for a hold.
   */
  readonly captureMode: 'auto' | 'manual';
  /**
   * The project's rate limit on the signed partner API (src/edge/http/rate-limit.ts): on average
   * this many requests per second, up to `burst` at once; null: no limit (the default).
   */
  readonly rateLimit: RateLimit | null;
}

export interface RateLimit {
  readonly requestsPerSecond: number;
  readonly burst: number;
}

export interface Project extends ProjectSettings {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ProjectKey {
  readonly id: string;
  readonly projectId: string;
  readonly publicKeyPem: string;
  readonly fingerprint: string;
  readonly createdAt: Date;
}

export function toProject(row: ProjectRow): Project {
  return {
    id: String(row.id),
    name: row.name,
    webhookUrl: row.webhook_url,
    autoConfirm: row.auto_confirm,
    allowPartialRefunds: row.allow_partial_refunds,
    apiVersion: row.api_version,
    webhookMaxAttempts: row.webhook_max_attempts,
    webhookMaxAgeSeconds: row.webhook_max_age_seconds,
    holdPeriodSeconds: row.hold_period_seconds,
    fees: (row.fees ?? {}) as FeeSchedule,
    cardIdEnabled: row.card_id_enabled,
    contractors: (row.contractors as string[] | null) ?? [],
    signatureMaxAgeSeconds: row.signature_max_age_seconds,
    captureMode: row.capture_mode,
    rateLimit: row.rate_limit_rps === null || row.rate_limit_burst === null ? null : { requestsPerSecond: row.rate_limit_rps, burst: row.rate_limit_burst },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toProjectKey(row: ProjectKeyRow): ProjectKey {
  return {
    id: row.id,
    projectId: String(row.project_id),
    publicKeyPem: row.public_key_pem,
    fingerprint: row.fingerprint,
    createdAt: row.created_at,
  };
}

export async function findProjectById(db: Queryable, id: string): Promise<Project | undefined> {
  const row = await db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toProject(row);
}

export async function findProjectByName(db: Queryable, name: string): Promise<Project | undefined> {
  const row = await db.selectFrom('projects').selectAll().where('name', '=', name).executeTakeFirst();
  return row && toProject(row);
}

/** Locks the project row: admin changes to one project are serialised. */
export async function lockProjectByName(tx: Tx, name: string): Promise<Project | undefined> {
  const row = await tx.selectFrom('projects').selectAll().where('name', '=', name).forUpdate().executeTakeFirst();
  return row && toProject(row);
}

/** A project's settings as its columns: the one mapping both insert and update use. */
function settingsColumns(settings: ProjectSettings) {
  return {
    webhook_url: settings.webhookUrl,
    auto_confirm: settings.autoConfirm,
    allow_partial_refunds: settings.allowPartialRefunds,
    api_version: settings.apiVersion,
    webhook_max_attempts: settings.webhookMaxAttempts,
    webhook_max_age_seconds: settings.webhookMaxAgeSeconds,
    hold_period_seconds: settings.holdPeriodSeconds,
    fees: JSON.stringify(settings.fees),
    card_id_enabled: settings.cardIdEnabled,
    contractors: JSON.stringify(settings.contractors),
    signature_max_age_seconds: settings.signatureMaxAgeSeconds,
    capture_mode: settings.captureMode,
    rate_limit_rps: settings.rateLimit?.requestsPerSecond ?? null,
    rate_limit_burst: settings.rateLimit?.burst ?? null,
  };
}

export async function insertProject(tx: Tx, name: string, settings: ProjectSettings, now: Date): Promise<Project | undefined> {
  const row = await tx
    .insertInto('projects')
    .values({
      name,
      ...settingsColumns(settings),
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('name').doNothing())
    .returningAll()
    .executeTakeFirst();
  return row && toProject(row);
}

export async function updateProjectSettings(tx: Tx, id: string, settings: ProjectSettings, now: Date): Promise<Project> {
  const row = await tx
    .updateTable('projects')
    .set({
      ...settingsColumns(settings),
      updated_at: now,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toProject(row);
}

export async function listActiveKeys(db: Queryable, projectId: string): Promise<ProjectKey[]> {
  const rows = await db
    .selectFrom('project_keys')
    .selectAll()
    .where('project_id', '=', projectId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .execute();
  return rows.map(toProjectKey);
}

export async function insertKey(tx: Tx, key: Omit<ProjectKey, 'createdAt'>, now: Date): Promise<ProjectKey | undefined> {
  const row = await tx
    .insertInto('project_keys')
    .values({ id: key.id, project_id: key.projectId, public_key_pem: key.publicKeyPem, fingerprint: key.fingerprint, created_at: now })
    .onConflict((oc) => oc.columns(['project_id', 'fingerprint']).where('revoked_at', 'is', null).doNothing())
    .returningAll()
    .executeTakeFirst();
  return row && toProjectKey(row);
}

export async function revokeKey(tx: Tx, projectId: string, keyId: string, now: Date): Promise<boolean> {
  const res = await tx
    .updateTable('project_keys')
    .set({ revoked_at: now })
    .where('project_id', '=', projectId)
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

/** Every instance polls this number to notice project and key changes made by any other instance. */
export async function bumpProjectsVersion(tx: Tx): Promise<void> {
  await tx.updateTable('project_changes').set({ version: sql`version + 1` }).execute();
}

export async function readProjectsVersion(db: Queryable): Promise<string> {
  const row = await db.selectFrom('project_changes').select('version').executeTakeFirstOrThrow();
  return String(row.version);
}
