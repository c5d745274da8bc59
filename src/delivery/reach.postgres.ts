import { sql } from "kysely";
import type { ReachEngine } from "./reach.engine.ts";

/** `delivery_outcomes` on PostgreSQL: values as text arrays, unpacked by `unnest` / `ANY`. */
export const postgresReachEngine: ReachEngine = {
  async insertPending(executor, rows, now) {
    await sql`
      INSERT INTO delivery_outcomes (activity_id, inbox, host, post_id, state, updated_at)
      SELECT t.activity_id, t.inbox, t.host, t.post_id, 'pending', ${now}
      FROM unnest(${rows.map((r) => r.activityId)}::text[], ${rows.map((r) => r.inbox)}::text[],
                  ${rows.map((r) => r.host)}::text[], ${rows.map((r) => r.postId)}::text[])
           AS t(activity_id, inbox, host, post_id)
      ON CONFLICT (activity_id, inbox) DO NOTHING`.execute(executor);
  },
  async settle(executor, activityId, inboxes, state, at) {
    await sql`
      UPDATE delivery_outcomes SET state = ${state}, updated_at = ${at}
      WHERE activity_id = ${activityId} AND state = 'pending' AND inbox = ANY(${inboxes}::text[])`.execute(executor);
  },
};
