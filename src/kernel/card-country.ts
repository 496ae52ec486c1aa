/**
 * The issuing country of a card, as `country_iso3` on masked cards and in token/info (§6.7). A real
 * connector reads it from the processor's BIN database; the sandbox uses this table of BIN prefixes
 * (longest prefix wins; docs/test-cards.md). Cards outside it are reported as issued in the USA, the
 * country of the international test cards (4242…, 5555…).
 */
const PREFIXES: readonly (readonly [string, string])[] = [
  ['2200', 'RUS'],
  ['2201', 'RUS'],
  ['2202', 'RUS'],
  ['2203', 'RUS'],
  ['2204', 'RUS'],
  ['62', 'CHN'],
  ['35', 'JPN'],
];

export function countryOfCard(binOrNumber: string): string {
  let best: readonly [string, string] | undefined;
  for (const entry of PREFIXES) if (binOrNumber.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  return best?.[1] ?? 'USA';
}
