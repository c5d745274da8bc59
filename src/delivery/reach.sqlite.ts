import { sql } from "kysely";
import type { ReachEngine } from "./reach.engine.ts";

/** `delivery_outcomes` on SQLite: values as one JSON parameter, unpacked by `json_each`. */
export const sqliteReachEngine: ReachEngine = {
  async insertPending(executor, rows, now) {
    const json = JSON.stringify(rows.map((r) => [r.activityId, r.inbox, r.host, r.postId]));
    await sql`
      INSERT INTO delivery_outcomes (activity_id, inbox, host, post_id, state, updated_at)
      SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, 'pending', ${now}
      FROM json_each(${json}) WHERE true
      ON CONFLICT (activity_id, inbox) DO NOTHING`.execute(executor);
  },
  async settle(executor, activityId, inboxes, state, at) {
    await sql`
      UPDATE delivery_outcomes SET state = ${state}, updated_at = ${at}
      WHERE activity_id = ${activityId} AND state = 'pending'
        AND inbox IN (SELECT value FROM json_each(${JSON.stringify(inboxes)}))`.execute(executor);
  },
};
