/** Small helpers for the row-mapping layer: 0/1 integers, JSON text, counts from either engine. */

export const toBool = (value: number | boolean | null | undefined): boolean => value === 1 || value === true;

export const fromBool = (value: boolean): number => (value ? 1 : 0);

export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined || text === "") return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** PostgreSQL returns count(*) as a string (bigint); SQLite as a number. */
export const toCount = (value: string | number | bigint | null | undefined): number => Number(value ?? 0);
