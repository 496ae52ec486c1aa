import type { Db } from '../../platform/db/database.js';
import type { Clock } from '../../kernel/clock.js';
import { ApiError, invalidRequest } from '../../kernel/errors.js';
import type { IdGenerator } from '../../kernel/ids.js';
import { checkWebhookUrl, WebhookUrlError } from '../../platform/webhooks/address-policy.js';
import { parsePublicKey } from './public-key.js';
import {
  bumpProjectsVersion,
  insertKey,
  insertProject,
  listActiveKeys,
  lockProjectByName,
  findProjectByName,
  revokeKey,
  updateProjectSettings,
  type Project,
  type ProjectKey,
  type ProjectSettings,
} from './project.repo.js';

export interface ProjectDeps {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** PAYRAIL_WEBHOOK_ALLOW_PRIVATE: whether webhook URLs may point at private addresses. */
  readonly webhookAllowPrivate: boolean;
}

export interface ProjectView {
  readonly project: Project;
  readonly keys: readonly ProjectKey[];
}

export const DEFAULT_SETTINGS: ProjectSettings = {
  webhookUrl: null,
  autoConfirm: false,
  allowPartialRefunds: false,
  apiVersion: 'v1',
  webhookMaxAttempts: 12,
  webhookMaxAgeSeconds: 1800,
  holdPeriodSeconds: 5 * 86_400,
  fees: {},
  cardIdEnabled: false,
  contractors: [],
  signatureMaxAgeSeconds: null,
  captureMode: 'auto',
  // Off by default: an unlimited project pays nothing per request (docs/operations.md, "Rate limits").
  rateLimit: null,
};

const notFound = (name: string) => new ApiError('not_found', `project "${name}" does not exist`);

async function validateWebhookUrl(deps: ProjectDeps, url: string | null | undefined): Promise<void> {
  if (url === null || url === undefined) return;
  try {
    await checkWebhookUrl(url, deps.webhookAllowPrivate);
  } catch (err) {
    if (err instanceof WebhookUrlError) throw invalidRequest(`settings.${err.message}`);
    throw err;
  }
}

export async function createProject(
  db: Db,
  deps: ProjectDeps,
  input: { name: string; publicKeyPem: string; settings: Partial<ProjectSettings> },
): Promise<ProjectView> {
  const parsed = parsePublicKey(input.publicKeyPem);
  const settings = { ...DEFAULT_SETTINGS, ...input.settings };
  await validateWebhookUrl(deps, settings.webhookUrl);
  const now = deps.clock.now();
  return db.transaction().execute(async (tx) => {
    const project = await insertProject(tx, input.name, settings, now);
    if (!project) throw invalidRequest(`name: project "${input.name}" already exists`);
    const key = await insertKey(tx, { id: deps.ids('key'), projectId: project.id, publicKeyPem: parsed.pem, fingerprint: parsed.fingerprint }, now);
    await bumpProjectsVersion(tx);
    return { project, keys: key ? [key] : [] };
  });
}

export async function showProject(db: Db, name: string): Promise<ProjectView> {
  const project = await findProjectByName(db, name);
  if (!project) throw notFound(name);
  return { project, keys: await listActiveKeys(db, project.id) };
}

export async function updateProject(db: Db, deps: ProjectDeps, name: string, patch: Partial<ProjectSettings>): Promise<ProjectView> {
  await validateWebhookUrl(deps, patch.webhookUrl);
  return db.transaction().execute(async (tx) => {
    const current = await lockProjectByName(tx, name);
    if (!current) throw notFound(name);
    const project = await updateProjectSettings(tx, current.id, { ...current, ...patch }, deps.clock.now());
    await bumpProjectsVersion(tx);
    return { project, keys: await listActiveKeys(tx, project.id) };
  });
}

export async function addProjectKey(db: Db, deps: ProjectDeps, name: string, publicKeyPem: string): Promise<ProjectKey> {
  const parsed = parsePublicKey(publicKeyPem);
  return db.transaction().execute(async (tx) => {
    const project = await lockProjectByName(tx, name);
    if (!project) throw notFound(name);
    const key = await insertKey(tx, { id: deps.ids('key'), projectId: project.id, publicKeyPem: parsed.pem, fingerprint: parsed.fingerprint }, deps.clock.now());
    if (!key) throw invalidRequest(`public_key: this key (fingerprint ${parsed.fingerprint}) is already active for project "${name}"`);
    await bumpProjectsVersion(tx);
    return key;
  });
}

/** Deleting the last active key is refused: it would lock the partner out with no way back in. */
export async function deleteProjectKey(db: Db, deps: ProjectDeps, name: string, keyId: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    const project = await lockProjectByName(tx, name);
    if (!project) throw notFound(name);
    const active = await listActiveKeys(tx, project.id);
    if (!active.some((k) => k.id === keyId)) throw new ApiError('not_found', `key "${keyId}" is not an active key of project "${name}"`);
    if (active.length === 1) throw invalidRequest(`key "${keyId}" is the only active key of project "${name}"; add its replacement first`);
    await revokeKey(tx, project.id, keyId, deps.clock.now());
    await bumpProjectsVersion(tx);
  });
}
