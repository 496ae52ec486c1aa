/** The default branch of an exhaustive switch over a union: a forgotten variant fails to compile here. */
export function assertNever(value: never, what: string): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}
