import { randomInt } from 'node:crypto';

/**
 * Smart Glocal ids are a prefix and a number (`ps_269223600`). Ours are the creation time in
 * milliseconds followed by nine random digits: numeric like the originals, roughly sortable by
 * creation, and not guessable from a neighbour. (Six digits collided a few times in 250,000 ids
 * made at 3,000 a second; nine make that a thousand times rarer, and the primary keys refuse a
 * duplicate rather than overwrite.)
 */
export type IdPrefix = 'ps' | 'pm' | 'po' | 'rf' | 'key' | 'wh' | 'card' | 'tu' | 'sub';

export type IdGenerator = (prefix: IdPrefix) => string;

export const newId: IdGenerator = (prefix) =>
  `${prefix}_${Date.now()}${String(randomInt(0, 1_000_000_000)).padStart(9, '0')}`;
