import { Temporal } from "@js-temporal/polyfill";

/**
 * Node 24 has no global Temporal at run time although Fedify's types name the global one; the
 * polyfill's Instant is what Fedify accepts at run time, so it is cast to the global type here, once.
 */
export function toInstant(iso: string): globalThis.Temporal.Instant {
  return Temporal.Instant.from(iso) as unknown as globalThis.Temporal.Instant;
}

export function fromInstant(instant: { toString(): string } | null | undefined): string | null {
  return instant ? new Date(instant.toString()).toISOString() : null;
}
