import { randomInt } from 'node:crypto';

/**
 * Smart Glocal ids are a prefix and a number (`ps_269223600`). Ours are the creation time in
 * milliseconds followed by six random digits: numeric like the originals, roughly sortable by
 * creation, and not guessable from a neighbour. The database's primary keys catch the (1 in a
 * million per millisecond) collision.
 */
export type IdPrefix = 'ps' | 'pm' | 'po' | 'rf' | 'key' | 'wh' | 'card' | 'tu';

export type IdGenerator = (prefix: IdPrefix) => string;

export const newId: IdGenerator = (prefix) =>
  `${prefix}_${Date.now()}${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;
