import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { parseJson } from "../db/rows.ts";
import { newId } from "../lib/id.ts";

/** A Flag received from another server, kept for the operator to review. */
export interface Report {
  readonly id: string;
  readonly uri: string;
  readonly reporterId: string;
  readonly targetActorId: string | null;
  readonly objectUris: readonly string[];
  readonly content: string | null;
  readonly createdAt: string;
  readonly resolvedAt: string | null;
}

export class ReportRepository {
  readonly #db: Kysely<DB>;

  constructor(db: Kysely<DB>) {
    this.#db = db;
  }

  /** Stores the report unless one with this activity id exists; `created` tells which happened. */
  async insert(input: { uri: string; reporterId: string; targetActorId: string | null; objectUris: readonly string[]; content: string | null }, now: string): Promise<{ report: Report; created: boolean }> {
    const row = await this.#db
      .insertInto("reports")
      .values({
        id: newId(),
        uri: input.uri,
        reporter_id: input.reporterId,
        target_actor_id: input.targetActorId,
        object_uris_json: JSON.stringify(input.objectUris),
        content: input.content,
        created_at: now,
        resolved_at: null,
      })
      .onConflict((oc) => oc.column("uri").doNothing())
      .returningAll()
      .executeTakeFirst();
    const stored = row ?? (await this.#db.selectFrom("reports").selectAll().where("uri", "=", input.uri).executeTakeFirstOrThrow());
    return {
      created: row !== undefined,
      report: {
        id: stored.id,
        uri: stored.uri,
        reporterId: stored.reporter_id,
        targetActorId: stored.target_actor_id,
        objectUris: parseJson(stored.object_uris_json, []),
        content: stored.content,
        createdAt: stored.created_at,
        resolvedAt: stored.resolved_at,
      },
    };
  }

  async findByUri(uri: string): Promise<Report | null> {
    const row = await this.#db.selectFrom("reports").selectAll().where("uri", "=", uri).executeTakeFirst();
    if (!row) return null;
    return {
      id: row.id,
      uri: row.uri,
      reporterId: row.reporter_id,
      targetActorId: row.target_actor_id,
      objectUris: parseJson(row.object_uris_json, []),
      content: row.content,
      createdAt: row.created_at,
      resolvedAt: row.resolved_at,
    };
  }
}
