/** A json column's value: absent (undefined or null) is SQL NULL, anything else its JSON text. */
export const jsonColumn = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));
