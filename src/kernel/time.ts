/** Renders a timestamp the way the spec shows them: UTC with six fractional digits. */
export function formatTimestamp(date: Date): string {
  const iso = date.toISOString(); // 2024-05-27T02:03:00.123Z
  return `${iso.slice(0, 23)}000Z`;
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90`, `90s`, `15m`, `4h`, `2d` into milliseconds (a bare number is seconds). */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration like 90s, 15m, 4h or 2d`);
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1000));
}
