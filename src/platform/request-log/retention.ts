/**
 * PAYRAIL_REQUEST_LOG_RETENTION: how long the request log keeps a request. A number of seconds, or a
 * number with a unit (`90s`, `30m`, `24h`, `7d`); `0` or `off` records nothing. Defaults: 24 h in
 * sandbox mode (a developer's day), 7 d in live mode (long enough to look back over an incident; the
 * rows hold no request data, about 200 bytes each). Parsed once at start by loadConfig
 * (platform/config/config.ts, which turns a RetentionError into its ConfigError).
 */
export const DEFAULT_RETENTION_MS = { sandbox: 24 * 3_600_000, live: 7 * 86_400_000 } as const;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export class RetentionError extends Error {
  override name = 'RetentionError';
}

export function parseRetention(value: string | undefined, mode: 'sandbox' | 'live'): number {
  if (value === undefined || value.trim() === '') return DEFAULT_RETENTION_MS[mode];
  const text = value.trim().toLowerCase();
  if (text === 'off') return 0;
  const m = /^(\d{1,9})([smhd]?)$/.exec(text);
  if (!m) throw new RetentionError(`PAYRAIL_REQUEST_LOG_RETENTION must be seconds or a number with s, m, h or d (e.g. 24h), or off; got "${value}"`);
  return Number(m[1]) * UNITS[m[2] || 's']!;
}
