import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { Kysely } from "kysely";
import type { DB } from "../db/schema.ts";
import { newId } from "../lib/id.ts";
import { describeEachEngine } from "../testing/databases.ts";
import { HomeVisitRepository, VISIT_GAP_MS } from "./home-visit.repository.ts";

/** The home's "since your last visit" marker (migration 0022), per person and account. */
describeEachEngine("HomeVisitRepository", (get) => {
  let db: Kysely<DB>;
  let repo: HomeVisitRepository;
  const t0 = new Date("2026-06-01T08:00:00.000Z");
  const at = (ms: number) => new Date(t0.getTime() + ms);
  const membership = async () => {
    const now = t0.toISOString();
    const userId = newId();
    const accountId = newId();
    const actorId = newId();
    await db.insertInto("users").values({ id: userId, email: `${userId}@example.org`, username: null, display_name: "P", password_hash: "x", time_zone: null, created_at: now, updated_at: now }).execute();
    await db.insertInto("actors").values({ id: actorId, uri: `https://example.org/users/${accountId}`, is_local: 1, type: "Organization", username: accountId, domain: "example.org", created_at: now, updated_at: now }).execute();
    await db.insertInto("accounts").values({ id: accountId, actor_id: actorId, username: accountId, rsa_public_pem: "", rsa_private_pem: "", ed25519_public_pem: "", ed25519_private_pem: "", created_at: now, updated_at: now }).execute();
    const id = newId();
    await db.insertInto("memberships").values({ id, user_id: userId, account_id: accountId, role: "owner", created_at: now, updated_at: now }).execute();
    return id;
  };

  before(() => {
    db = get().database.db;
    repo = new HomeVisitRepository(db);
  });

  test("first visit: no marker; within a visit the marker stays; after a break it moves to the previous visit", async () => {
    const m = await membership();
    assert.equal(await repo.visit(m, t0), null);
    // Reloads and returns within the gap: still the first visit, still no marker.
    assert.equal(await repo.visit(m, at(10 * 60_000)), null);
    assert.equal(await repo.visit(m, at(35 * 60_000)), null);
    // A break longer than the gap after the last request: the new visit shows what came after it.
    const second = at(35 * 60_000 + VISIT_GAP_MS + 1);
    assert.equal(await repo.visit(m, second), at(35 * 60_000).toISOString());
    assert.equal(await repo.visit(m, at(35 * 60_000 + VISIT_GAP_MS + 60_000)), at(35 * 60_000).toISOString());
  });

  test("each membership has its own marker; an unknown membership has none", async () => {
    const one = await membership();
    const two = await membership();
    await repo.visit(one, t0);
    await repo.visit(one, at(2 * VISIT_GAP_MS));
    assert.equal(await repo.visit(two, at(2 * VISIT_GAP_MS)), null);
    assert.equal(await repo.visit(one, at(2 * VISIT_GAP_MS + 1000)), t0.toISOString());
    assert.equal(await repo.visit(newId(), t0), null);
  });
});
