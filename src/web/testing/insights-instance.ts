import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../config/config.ts";
import { createAppContext, type AppContext } from "../../app/context.ts";
import { httpAppOf } from "../../app/routes.ts";
import { listen, type RunningServer } from "../../app/server.ts";
import { createTestDatabase, type TestDatabase } from "../../testing/databases.ts";
import { freePort } from "../../testing/instance.ts";
import { createWebModule } from "../web.module.ts";
import { FakeInsights } from "./fake-insights.ts";

/**
 * Test support: a whole Herold on a 127.0.0.1 port (like `startTestInstance`, web role only) whose web
 * app reads Insights from a `FakeInsights`. The context is built as in production; only its web
 * module is built once more with the fake, and mounted in its place, so sessions, memberships, the
 * layout and every other route are the real ones.
 */
export interface InsightsInstance {
  readonly ctx: AppContext;
  readonly origin: string;
  readonly setupToken: string | null;
  readonly fake: FakeInsights;
  close(): Promise<void>;
}

export async function startInsightsInstance(options: { readonly empty?: boolean } = {}): Promise<InsightsInstance> {
  const dataDir = mkdtempSync(join(tmpdir(), "herold-insights-"));
  let database: TestDatabase | undefined;
  let ctx: AppContext | undefined;
  let server: RunningServer | undefined;
  try {
    database = await createTestDatabase("sqlite");
    let port = 0;
    let fake: FakeInsights | undefined;
    for (let attempt = 1; server === undefined; attempt++) {
      port = await freePort();
      ctx = await createAppContext(
        loadConfig({
          HEROLD_ORIGIN: `http://127.0.0.1:${port}`, HEROLD_HOST: "127.0.0.1", HEROLD_PORT: String(port),
          HEROLD_DATABASE_URL: database.url, HEROLD_DATA_DIR: dataDir, HEROLD_LOG_LEVEL: "error",
        }),
        { migrate: true },
      );
      const built = ctx;
      fake = new FakeInsights({
        origin: `http://127.0.0.1:${port}`,
        usernameOf: async (id) => (await built.repos.accounts.findById(id))?.username ?? null,
        ...(options.empty === true ? { empty: true } : {}),
      });
      const web = createWebModule(built, { federation: built.federationModule, social: built.social, posts: built.posts, pages: built.pages, insights: fake });
      const app = httpAppOf({ ...built, web, modules: built.modules.map((m) => (m === built.web ? web : m)) });
      try {
        server = await listen(app, "127.0.0.1", port);
      } catch (error) {
        await built.close();
        ctx = undefined;
        if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 5) throw error;
      }
    }
    const started = ctx!;
    const db = database;
    const running = server;
    return {
      ctx: started,
      origin: `http://127.0.0.1:${port}`,
      setupToken: await started.web.users.issueSetupToken(),
      fake: fake!,
      async close() {
        await running.close();
        await started.close();
        await db.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.close();
    await ctx?.close();
    await database?.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
