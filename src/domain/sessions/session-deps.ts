import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Keyring } from '../../platform/keys/keyring.js';
import type { OperationKinds } from './operation-kind.js';
import type { SessionEvents } from './session-events.js';

/** What every domain call on a session needs: passed explicitly, built once by src/runtime.ts. */
export interface SessionDeps {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly keyring: Keyring;
  /** The kinds of operation a session can hold (the operation-kind port). */
  readonly operations: OperationKinds;
  /** Where session changes become webhooks (the outbox port). */
  readonly events: SessionEvents;
}
