import { requirePositionals, type Command } from "../cli.ts";

export const migrate: Command = {
  path: ["migrate"],
  usage: "migrate",
  summary: "apply pending database migrations (also done at every start)",
  // The database alone, not migrated on opening: otherwise nothing would be left to apply here.
  context: "database",
  async run(ctx, args, io) {
    requirePositionals(args, []);
    // Kysely's migrator is loaded on use: `help` imports this module.
    const { migrateToLatest } = await import("../../db/migrate.ts");
    const { applied } = await migrateToLatest(ctx.database, ctx.config.database);
    io.out(applied.length === 0 ? "database schema is up to date" : `applied ${applied.join(", ")}`);
  },
};
