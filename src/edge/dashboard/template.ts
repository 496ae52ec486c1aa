import { escapeHtml } from '../pages/html.js';

/**
 * The dashboard's template engine: a tagged template that escapes every interpolated value unless
 * it is already markup made by `html` itself. Data can only become markup by passing through here,
 * so a hostile metadata value (`<script>`, `"><img onerror=…>`) is always text.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Fragment = Html | string | number | bigint | boolean | null | undefined | readonly Fragment[];

function render(value: Fragment): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(value);
}

export function html(strings: TemplateStringsArray, ...values: readonly Fragment[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** A path under /dashboard with each segment percent-encoded (and the result escaped where used). */
export function dashPath(...segments: readonly string[]): string {
  return ['/dashboard', ...segments.map(encodeURIComponent)].join('/');
}

/** A query string from the set values (empty and undefined ones left out). */
export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
