import { migrateToLatest } from "../../db/migrate.ts";
import { requirePositionals, type Command } from "../cli.ts";

export const migrate: Command = {
  path: ["migrate"],
  usage: "migrate",
  summary: "apply pending database migrations (also done at every start)",
  async run(ctx, args, io) {
    requirePositionals(args, []);
    const { applied } = await migrateToLatest(ctx.database, ctx.config.database);
    io.out(applied.length === 0 ? "database schema is up to date" : `applied ${applied.join(", ")}`);
  },
};
