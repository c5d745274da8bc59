import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import type { AcceptedFollowsListener } from "../social/accepted-follows.ts";
import type { LedgerChangeListener } from "../social/ledger-changes.ts";
import { localPostAuthors } from "../post/post.queries.ts";
import { hourOfWeekOf, localDayOf } from "./insights.zone.ts";

/** The rollup column of each counted ledger kind (mentions and votes are not counted). */
export const COLUMN_OF: Readonly<Record<string, KindColumn | undefined>> = {
  like: "likes",
  boost: "boosts",
  reply: "replies",
  quote: "quotes",
  react: "reactions",
};
export const KIND_COLUMNS = ["likes", "boosts", "replies", "quotes", "reactions"] as const;
export type KindColumn = (typeof KIND_COLUMNS)[number];

/**
 * Keeps the rollups in step with the interaction ledger: registered on social's `LedgerChanges`,
 * it runs in the transaction that inserts an entry (+1) or marks it undone (−1), so the rollups
 * commit with the ledger or not at all, and a repeated activity (which the ledger does not insert)
 * is never counted. An undo takes the entry back from the day and hour it was counted in, so a
 * day's figures are the interactions of that day that still stand. One read (the post's author and
 * zone, the interacting actor's server) and four UPSERTs (`n = n + excluded.n`), on both engines.
 */
export const ledgerRollupListener: LedgerChangeListener = async (trx, interaction, sign) => {
  const column = Object.hasOwn(COLUMN_OF, interaction.kind) ? COLUMN_OF[interaction.kind] : undefined;
  if (column === undefined) return;
  const author = await localPostAuthors(trx)
    .innerJoin("accounts", "accounts.actor_id", "posts.actor_id")
    .select((eb) => ["accounts.time_zone", eb.selectFrom("actors").select("actors.domain").where("actors.id", "=", interaction.actorId).as("host")])
    .where("posts.id", "=", interaction.postId)
    .executeTakeFirst();
  // Only the posts of local accounts have insights.
  if (author === undefined) return;
  const ms = Date.parse(interaction.createdAt);
  const day = localDayOf(ms, author.time_zone);
  await trx
    .insertInto("insights_days")
    .values({ actor_id: author.actor_id, day, [column]: sign })
    .onConflict((oc) => oc.columns(["actor_id", "day"]).doUpdateSet((eb) => ({ [column]: eb(`insights_days.${column}`, "+", eb.ref(`excluded.${column}`)) })))
    .execute();
  await trx
    .insertInto("insights_hosts")
    .values({ actor_id: author.actor_id, day, host: author.host ?? "", interactions: sign })
    .onConflict((oc) => oc.columns(["actor_id", "host", "day"]).doUpdateSet((eb) => ({ interactions: eb("insights_hosts.interactions", "+", eb.ref("excluded.interactions")) })))
    .execute();
  await trx
    .insertInto("insights_heat")
    .values({ actor_id: author.actor_id, hour_of_week: hourOfWeekOf(ms, author.time_zone), interactions: sign })
    .onConflict((oc) => oc.columns(["actor_id", "hour_of_week"]).doUpdateSet((eb) => ({ interactions: eb("insights_heat.interactions", "+", eb.ref("excluded.interactions")) })))
    .execute();
  await trx
    .insertInto("insights_posts")
    .values({ post_id: interaction.postId, actor_id: author.actor_id, published_at: author.published_at, [column]: sign, interactions: sign })
    .onConflict((oc) =>
      oc.column("post_id").doUpdateSet((eb) => ({
        [column]: eb(`insights_posts.${column}`, "+", eb.ref(`excluded.${column}`)),
        interactions: eb("insights_posts.interactions", "+", eb.ref("excluded.interactions")),
        // Folded distinct counts (insights-fold.job.ts) no longer hold: the ledger answers until the next fold.
        accounts: null,
        servers: null,
        folded_at: null,
      })),
    )
    .execute();
};

/**
 * Followers gained and lost per local account and day, and followers per server, registered on social's `AcceptedFollows`
 * (the one path of every accepted-follow change), in the change's transaction, on the day it happened.
 */
export const followRollupListener: AcceptedFollowsListener = async (trx, follows, sign, at) => {
  const locals = new Map(
    (await trx.selectFrom("accounts").select(["actor_id", "time_zone"]).where("actor_id", "in", [...new Set(follows.map((f) => f.followee_id))]).execute()).map((a) => [a.actor_id, a.time_zone]),
  );
  const counted = follows.filter((f) => locals.has(f.followee_id));
  if (counted.length === 0) return;
  const hosts = new Map((await trx.selectFrom("actors").select(["id", "domain"]).where("id", "in", [...new Set(counted.map((f) => f.follower_id))]).execute()).map((a) => [a.id, a.domain]));
  const byFollowee = new Map<string, number>();
  const byHost = new Map<string, { actorId: string; host: string; n: number }>();
  for (const f of counted) {
    byFollowee.set(f.followee_id, (byFollowee.get(f.followee_id) ?? 0) + 1);
    const host = hosts.get(f.follower_id) ?? "";
    const key = `${f.followee_id} ${host}`;
    byHost.set(key, { actorId: f.followee_id, host, n: (byHost.get(key)?.n ?? 0) + 1 });
  }
  const ms = Date.parse(at);
  const column = sign > 0 ? "followers_gained" : "followers_lost";
  for (const [actorId, n] of byFollowee) await upsertDay(trx, actorId, localDayOf(ms, locals.get(actorId)!), column, n);
  for (const { actorId, host, n } of byHost.values()) {
    await trx
      .insertInto("insights_followers")
      .values({ actor_id: actorId, host, followers: sign * n })
      .onConflict((oc) => oc.columns(["actor_id", "host"]).doUpdateSet((eb) => ({ followers: eb("insights_followers.followers", "+", eb.ref("excluded.followers")) })))
      .execute();
  }
};

async function upsertDay(trx: Kysely<DB>, actorId: string, day: number, column: "followers_gained" | "followers_lost", n: number): Promise<void> {
  await trx
    .insertInto("insights_days")
    .values({ actor_id: actorId, day, [column]: n })
    .onConflict((oc) => oc.columns(["actor_id", "day"]).doUpdateSet((eb) => ({ [column]: eb(`insights_days.${column}`, "+", eb.ref(`excluded.${column}`)) })))
    .execute();
}
