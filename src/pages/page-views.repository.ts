import type { Kysely } from "kysely";
import { toCount } from "../db/rows.ts";
import type { DB } from "../db/schema.ts";

/** The public pages that are counted. */
export type PageKind = "profile" | "post" | "feed";

/** Views to add to one counter. */
export interface PageViewIncrement {
  readonly accountId: string;
  /** Start of the quarter hour, ISO-8601 UTC. */
  readonly bucket: string;
  readonly kind: PageKind;
  readonly crawler: boolean;
  readonly views: number;
}

/** Summed views of one quarter hour. */
export interface BucketViews {
  readonly bucket: string;
  readonly views: number;
  readonly crawlerViews: number;
}

/** Counters per INSERT (5 values each). */
const CHUNK = 1000;

/**
 * `page_views`, owned by the pages module (migration 0018): plain counters per account, page kind,
 * quarter hour (UTC) and crawler 0/1. Nothing about a visitor is stored, by construction: there is
 * no column that could hold it.
 */
export class PageViewRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /** Adds the increments in one transaction (upserts: rows for a counter are created on first view). */
  async add(increments: readonly PageViewIncrement[]): Promise<void> {
    if (increments.length === 0) return;
    await this.#db.transaction().execute(async (trx) => {
      for (let i = 0; i < increments.length; i += CHUNK) {
        await trx
          .insertInto("page_views")
          .values(increments.slice(i, i + CHUNK).map((v) => ({ account_id: v.accountId, bucket: v.bucket, kind: v.kind, crawler: v.crawler ? 1 : 0, views: v.views })))
          .onConflict((oc) =>
            oc.columns(["account_id", "bucket", "kind", "crawler"]).doUpdateSet((eb) => ({ views: eb("page_views.views", "+", eb.ref("excluded.views")) })),
          )
          .execute();
      }
    });
  }

  /** Views per quarter hour of `accountId` in [from, to) (ISO-8601 UTC), all kinds summed, oldest first. */
  async byBucket(accountId: string, from: string, to: string): Promise<BucketViews[]> {
    const rows = await this.#db
      .selectFrom("page_views")
      .select((eb) => [
        "bucket",
        eb.fn.sum<number | string>(eb.case().when("crawler", "=", 0).then(eb.ref("views")).else(0).end()).as("views"),
        eb.fn.sum<number | string>(eb.case().when("crawler", "=", 1).then(eb.ref("views")).else(0).end()).as("crawler_views"),
      ])
      .where("account_id", "=", accountId)
      .where("bucket", ">=", from)
      .where("bucket", "<", to)
      .groupBy("bucket")
      .orderBy("bucket")
      .execute();
    return rows.map((r) => ({ bucket: r.bucket, views: toCount(r.views), crawlerViews: toCount(r.crawler_views) }));
  }
}
