import type { DeliveryReach, PageViewCounts, ServerSoftware } from "./insights.ports.ts";

/**
 * The three ports for a build whose delivery, pages and federation modules do not record reach,
 * page views and server software (their implementations come with issue #14's reach work): nothing
 * is recorded, so a report shows 0 for them and `null` software, which is the truth for such a
 * build. The composition root replaces each with the owning module's implementation.
 */
export const noDeliveryRecords: DeliveryReach = { reachOf: () => Promise.resolve(new Map()) };
export const noPageViewCounts: PageViewCounts = { viewsByDay: () => Promise.resolve(new Map()) };
export const noServerSoftware: ServerSoftware = { softwareOf: () => Promise.resolve(new Map()), refresh: () => Promise.resolve() };
