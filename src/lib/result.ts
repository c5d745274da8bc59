/**
 * Expected failures are values, not exceptions: services return `Result`, edges (HTTP, CLI) map the
 * error codes exhaustively. Unexpected failures throw and reach the single error handler.
 */
export type Result<T, E extends string = string> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E; readonly message: string };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err<E extends string>(error: E, message: string): { readonly ok: false; readonly error: E; readonly message: string } {
  return { ok: false, error, message };
}

/** For exhaustive switches over error codes: the compiler flags a missing case. */
export function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
