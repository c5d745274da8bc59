/**
 * `npm run bench -- sent-search [--posts 100000] [--db sqlite|postgres] [--runs 30]`: how long the
 * app's list of sent posts takes at an account with history (issue #12 item 12), with and without a
 * text search, and the page's counts from the interaction ledger.
 *
 * Data (built fresh, in bulk): one local account with `--posts` published posts (plain text, one in
 * ten mentions "bicycle", one in 10,000 "tandem"), as many remote posts by 100 other actors, and
 * three ledger entries per local post. The database is analysed as the worker role does.
 *
 * The search is a case-insensitive LIKE over the account's own range of `posts_actor_id`
 * (actor_id, id), newest first, stopping at the page's LIMIT: its cost is the number of the account's
 * posts read until a page is full — small for common words, the whole history for a word that is
 * never used (the worst case, measured as "no match"). Medians and p95 of `--runs` runs each.
 */
import { parseArgs } from "node:util";
import { CompiledQuery } from "kysely";
import { newId } from "../src/lib/id.ts";
import { PostRepository } from "../src/post/post.repository.ts";
import { InteractionRepository } from "../src/social/interaction.repository.ts";
import { createTestDatabase, type Engine } from "../src/testing/databases.ts";

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: { posts: { type: "string", default: "100000" }, db: { type: "string", default: "sqlite" }, runs: { type: "string", default: "30" } }, strict: true });
  const count = Number(values.posts);
  const runs = Number(values.runs);
  const engine = values.db as Engine;
  const test = await createTestDatabase(engine);
  const db = test.database.db;
  try {
    const now = "2026-01-01T00:00:00.000Z";
    const actor = (id: string, isLocal: boolean, username: string, domain: string) => ({ id, uri: `https://${domain}/users/${username}`, is_local: isLocal ? 1 : 0, type: "Person", username, domain, created_at: now, updated_at: now });
    const acme = newId();
    await db.insertInto("actors").values(actor(acme, true, "acme", "social.example")).execute();
    const others = Array.from({ length: 100 }, (_, i) => actor(newId(), false, `r${i}`, `r${i % 20}.example`));
    await db.insertInto("actors").values(others).execute();
    const base = Date.parse(now);
    const started = Date.now();
    for (let offset = 0; offset < count; offset += 1000) {
      const local = [];
      const remote = [];
      const ledger = [];
      for (let i = offset; i < Math.min(count, offset + 1000); i++) {
        const at = new Date(base + i * 60_000).toISOString();
        const text = i % 10_000 === 7 ? `Our tandem number ${i}` : i % 10 === 3 ? `A Bicycle for everyone, number ${i}` : `Post number ${i} about the week`;
        const id = newId(base + i * 60_000);
        local.push({ id, uri: `https://social.example/users/acme/posts/${id}`, actor_id: acme, is_local: 1, type: "Note", state: "published", visibility: "public", source_text: text, content_html: `<p>${text}</p>`, published_at: at, created_at: at, updated_at: at });
        const rid = newId(base + i * 60_000);
        remote.push({ id: rid, uri: `https://r.example/${rid}`, actor_id: others[i % 100]!.id, is_local: 0, type: "Note", state: "published", visibility: "public", source_text: null, content_html: `<p>bicycle tandem ${i}</p>`, published_at: at, created_at: at, updated_at: at });
        for (let k = 0; k < 3; k++) ledger.push({ id: newId(), kind: k === 2 ? "boost" : "like", post_id: id, actor_id: others[(i + k) % 100]!.id, activity_uri: `https://r.example/a/${id}/${k}`, created_at: at });
      }
      await db.insertInto("posts").values(local).execute();
      await db.insertInto("posts").values(remote).execute();
      await db.insertInto("interactions").values(ledger).execute();
    }
    await db.executeQuery(CompiledQuery.raw("ANALYZE"));
    process.stdout.write(`${engine}: ${count} posts of the account, ${count} remote posts, ${3 * count} ledger entries, built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

    const posts = new PostRepository(db);
    const ledger = new InteractionRepository(db);
    const cases: [string, () => Promise<unknown>][] = [
      ["page 1, no search", () => posts.listSent(acme, { limit: 20 })],
      ["page 2, no search", async () => posts.listSent(acme, { limit: 20, before: (await posts.listSent(acme, { limit: 20 })).next })],
      ["search \"BICYCLE\" (1 in 10)", () => posts.listSent(acme, { text: "BICYCLE", limit: 20 })],
      ["search \"tandem\" (1 in 10,000)", () => posts.listSent(acme, { text: "tandem", limit: 20 })],
      ["search, no match (whole history)", () => posts.listSent(acme, { text: "unicycle", limit: 20 })],
      ["counts of a page (one query)", async () => ledger.activeCountsOf((await posts.listSent(acme, { limit: 20 })).items.map((p) => p.id))],
    ];
    process.stdout.write(`${"case".padEnd(36)} ${"p50 ms".padStart(9)} ${"p95 ms".padStart(9)}\n`);
    for (const [name, run] of cases) {
      await run();
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await run();
        times.push(performance.now() - t);
      }
      times.sort((x, y) => x - y);
      process.stdout.write(`${name.padEnd(36)} ${percentile(times, 0.5).toFixed(2).padStart(9)} ${percentile(times, 0.95).toFixed(2).padStart(9)}\n`);
    }
  } finally {
    await test.close();
  }
}
