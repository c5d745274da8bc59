import type { CounterCorrection } from "../../db/counters.ts";
import { requirePositionals, type Command } from "../cli.ts";

/**
 * `herold repair`: recounts every stored counter from the tables it counts (after a restore, a bulk
 * import or manual SQL, which bypass the counters kept with the writes) and prints what it
 * corrected. Each module recounts its own counters; nothing to correct is a success too.
 */
export const repair: Command = {
  path: ["repair"],
  usage: "repair [--json]",
  summary: "recount the stored counters (posts, followers, following) and insights rollups and print what was corrected",
  options: { json: { type: "boolean" } },
  // Each module recounts its own counters, so the command needs the modules (the whole server).
  context: "server",
  async run(ctx, args, io) {
    requirePositionals(args, []);
    const corrections = [...(await ctx.repos.posts.repairCounters()), ...(await ctx.social.repairCounters()), ...(await ctx.insights.repairRollups())];
    const actors = await ctx.repos.actors.findManyByIds(corrections.map((c) => c.scope));
    const labelled = corrections.map((c) => {
      const actor = actors.get(c.scope);
      const label = actor === undefined ? c.scope : actor.isLocal ? actor.username : `${actor.username}@${actor.domain}`;
      return { ...c, label };
    });
    if (args.values.json === true) {
      io.out(JSON.stringify({ corrected: labelled }, null, 2));
      return;
    }
    io.out(formatRepair(labelled));
  },
};

export function formatRepair(corrections: readonly (CounterCorrection & { readonly label: string })[]): string {
  if (corrections.length === 0) return "All counters are correct.";
  return [...corrections.map((c) => `${c.label} ${c.name}: ${c.from} → ${c.to}`), `Corrected ${corrections.length} counter(s).`].join("\n");
}
