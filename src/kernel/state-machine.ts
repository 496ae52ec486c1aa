/**
 * The one helper through which any status changes: a closed union of states and a table of legal
 * moves. An illegal move is a programming error or a race the caller lost; callers that accept
 * partner input check `canTransition` first and answer with a precise API error.
 */
export type TransitionTable<S extends string> = { readonly [K in S]: readonly S[] };

export function canTransition<S extends string>(table: TransitionTable<S>, from: S, to: S): boolean {
  return table[from].includes(to);
}

export function transition<S extends string>(table: TransitionTable<S>, from: S, to: S, what: string): S {
  if (!canTransition(table, from, to)) throw new Error(`illegal ${what} transition ${from} → ${to}`);
  return to;
}
