/**
 * `npm run bench -- poll-votes [--votes 2000] [--db sqlite|postgres]`: what counting one vote on a
 * local poll costs, and how that grows with the votes already counted. Each vote is recomputed from
 * the ledger in its transaction (src/post/poll.ts `tally`), so its cost rises with the poll's size;
 * this measures by how much. One Herold context on a fresh database; `--votes` remote actors each
 * vote once (Mastodon's Create(Note) shape) through the posts inbox handler, in-process.
 *
 * Printed: median time per vote over the first and the last 10 % of the votes, and the poll's counts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createAppContext } from "../src/app/context.ts";
import { loadConfig } from "../src/config/config.ts";
import { createTestDatabase } from "../src/testing/databases.ts";
import { remoteActorData } from "../src/testing/fixtures.ts";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: { votes: { type: "string", default: "2000" }, db: { type: "string", default: "sqlite" } }, strict: true });
  const votes = Number(values.votes);
  if (!Number.isInteger(votes) || votes < 100) throw new Error("--votes must be an integer ≥ 100");
  const engine = values.db === "postgres" ? "postgres" : "sqlite";
  const test = await createTestDatabase(engine);
  const dataDir = mkdtempSync(join(tmpdir(), "herold-bench-polls-"));
  try {
    const config = loadConfig({ HEROLD_ORIGIN: "https://herold.test", HEROLD_DATABASE_URL: test.url, HEROLD_DATA_DIR: dataDir, HEROLD_LOG_LEVEL: "error" });
    const ctx = await createAppContext(config, { migrate: true });
    const created = await ctx.services.accounts.create({ username: "acme", type: "organization", name: "ACME" });
    if (!created.ok) throw new Error(created.message);
    const published = await ctx.posts.service.publish({ username: "acme", text: "Which day?", poll: { options: ["Mon", "Tue", "Wed", "Thu"], multiple: false, durationSeconds: 7 * 86400 } });
    if (!published.ok) throw new Error(published.message);
    const post = published.value;
    const times: number[] = [];
    for (let i = 0; i < votes; i++) {
      const actor = await ctx.repos.actors.upsertRemote(remoteActorData(`voter${i}.example`, "v"), new Date().toISOString());
      const id = `${actor.uri}#votes/1`;
      const json = { id: `${id}/activity`, type: "Create", actor: actor.uri, object: { id, type: "Note", name: ["Mon", "Tue", "Wed", "Thu"][i % 4], attributedTo: actor.uri, inReplyTo: post.uri, to: created.value.uri } };
      const started = performance.now();
      const outcome = await ctx.posts.inbox.create({ id: json.id, type: "Create", actor, json, recipient: created.value, receivedAt: new Date().toISOString() });
      times.push(performance.now() - started);
      if (outcome.kind !== "processed") throw new Error(`vote ${i}: ${JSON.stringify(outcome)}`);
    }
    const tenth = Math.max(1, Math.floor(votes / 10));
    const poll = (await ctx.repos.posts.findById(post.id))?.poll;
    console.log(`poll-votes [${engine}], ${votes} votes, one per actor, single choice`);
    console.log(`  median per vote, first ${tenth}: ${median(times.slice(0, tenth)).toFixed(2)} ms`);
    console.log(`  median per vote, last ${tenth}:  ${median(times.slice(-tenth)).toFixed(2)} ms`);
    console.log(`  counts: ${poll?.options.map((o) => `${o.name} ${o.votes}`).join(", ")}; voters ${poll?.voters}`);
    await ctx.close();
  } finally {
    await test.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
