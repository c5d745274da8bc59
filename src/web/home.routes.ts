import { Hono } from "hono";
import { channelHomePage } from "./home.template.ts";
import type { HomeView } from "./home.view.ts";
import { sendPage } from "./respond.ts";
import type { WebEnv } from "./web.env.ts";
import type { Shell } from "./web.layout.ts";

export interface HomeRoutesDeps {
  readonly home: Pick<HomeView, "load">;
  readonly shell: Shell;
}

/** /app: the channel's home (issue #12, item 11); the timeline is at /app/timeline. */
export function homeRoutes(deps: HomeRoutesDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.get("/app", async (c) => {
    const member = c.get("member");
    return sendPage(c, channelHomePage(deps.shell, member, await deps.home.load(member), c.req.query("done")));
  });
  return app;
}
