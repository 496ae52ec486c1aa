/** The API's major versions (§10). Paths are /api/v1/… and /api/v2/…. */
export const API_VERSIONS = ['v1', 'v2'] as const;
export type ApiVersion = (typeof API_VERSIONS)[number];
