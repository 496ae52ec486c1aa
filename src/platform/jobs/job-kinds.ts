import type { Job } from './job.repo.js';

/**
 * The closed registry of job kinds. Every module that queues jobs declares its kinds and their
 * payloads by augmenting this interface (TypeScript declaration merging), e.g.
 *
 *   declare module '../../platform/jobs/job-kinds.js' {
 *     interface JobPayloads { 'payment.authorize': { paymentId: string } }
 *   }
 *
 * so `enqueueJob` takes only a declared kind with its own payload, each handler receives its payload
 * typed, and the composition root must give a handler for every declared kind (`JobHandlers`): a
 * kind without a handler, or a handler for an undeclared kind, does not compile.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface JobPayloads {}

export type JobKind = keyof JobPayloads & string;

export interface TypedJob<K extends JobKind> extends Omit<Job, 'kind' | 'payload'> {
  readonly kind: K;
  readonly payload: JobPayloads[K];
}

export type JobHandlerOf<K extends JobKind> = (job: TypedJob<K>) => Promise<void>;

/** A handler for each kind of `K`. */
export type JobHandlers<K extends JobKind = JobKind> = { readonly [P in K]: JobHandlerOf<P> };

/** The runner's untyped view of a typed registry: kind → handler (payloads come from the database). */
export function handlerEntries(handlers: { readonly [kind: string]: (job: never) => Promise<void> }): [string, (job: Job) => Promise<void>][] {
  return Object.entries(handlers).map(([kind, handler]) => [kind, handler as unknown as (job: Job) => Promise<void>]);
}
