import { Hono, type Context } from "hono";
import { isReportTable } from "../insights/insights.csv.ts";
import type { InsightsError, InsightsPeriod, InsightsQueries } from "../insights/insights.ports.ts";
import type { InsightsReport } from "../insights/insights.report.ts";
import { unreachable, type Result } from "../lib/result.ts";
import { can } from "../user/user.entity.ts";
import { insightsAboutPage } from "./insights-about.template.ts";
import { postInsightsPage } from "./insights-post.template.ts";
import { statsJsonOf, tableCsv, tableJson, type TopPostsOrder } from "./insights.downloads.ts";
import { parsePeriod } from "./insights.period.ts";
import { insightsErrorPage, insightsNotFoundPage, insightsPage } from "./insights.template.ts";
import { sendPage } from "./respond.ts";
import type { WebEnv } from "./web.env.ts";
import type { Shell } from "./web.layout.ts";

export interface InsightsRoutesDeps {
  readonly insights: InsightsQueries;
  readonly shell: Shell;
}

/** Post ids are Herold's own (`newId()`); anything longer is not one, and is not passed on. */
const MAX_ID_LENGTH = 64;

/**
 * The Insights section of the web app (issue #14): the overview of a period, a page per post, "About
 * these numbers", and the downloads — the report as `herold stats --json` prints it, and every table
 * as CSV and JSON. Behind `requireMember` (a session and a membership); which roles may see Insights
 * is the `insights` permission of src/user/user.entity.ts, checked here once for every route.
 * Everything is read through `InsightsQueries` for the account acted for, never for one named in
 * the URL, so a person sees only the accounts they act for.
 */
export function insightsRoutes(deps: InsightsRoutesDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const { insights, shell } = deps;

  const allowed = async (c: Context<WebEnv>, next: () => Promise<void>) => {
    if (!can(c.get("member").membership.role, "insights")) return c.text("Your role does not allow Insights.", 403);
    await next();
  };
  app.use("/app/insights", allowed);
  app.use("/app/insights/*", allowed);

  /** The period of the query, then the report; a bad period or an unknown account is an answer, never a throw. */
  const load = async (c: Context<WebEnv>): Promise<{ period: InsightsPeriod; report: Result<InsightsReport, InsightsError> } | { error: string }> => {
    const period = parsePeriod((name) => c.req.query(name));
    if (!period.ok) return { error: period.message };
    return { period: period.value, report: await insights.report(c.get("member").account.id, period.value) };
  };

  app.get("/app/insights", async (c) => {
    const member = c.get("member");
    const loaded = await load(c);
    if ("error" in loaded) return sendPage(c, insightsErrorPage(shell, member, loaded.error), 400);
    const { report, period } = loaded;
    if (!report.ok) return failedPage(c, report);
    return sendPage(c, insightsPage(shell, member, report.value, period));
  });

  app.get("/app/insights/about", (c) => sendPage(c, insightsAboutPage(shell, c.get("member"))));

  app.get("/app/insights/posts/:id", async (c) => {
    const member = c.get("member");
    const id = c.req.param("id");
    if (id.length > MAX_ID_LENGTH) return sendPage(c, insightsNotFoundPage(shell, member, "There is no such post of this account."), 404);
    const result = await insights.post(member.account.id, id);
    if (!result.ok) return failedPage(c, result);
    return sendPage(c, postInsightsPage(shell, member, result.value));
  });

  // Before the table downloads: `report` is not a table, it is the whole StatsJson.
  app.get("/app/insights/report.json", async (c) => {
    const loaded = await load(c);
    if ("error" in loaded) return c.json({ error: "bad-period", message: loaded.error }, 400);
    if (!loaded.report.ok) return c.json({ error: loaded.report.error, message: loaded.report.message }, insightsStatus(loaded.report.error));
    return c.json(statsJsonOf(loaded.report.value));
  });

  app.get("/app/insights/:file{[a-z-]+\\.[a-z]+}", async (c) => {
    const member = c.get("member");
    const match = /^([a-z-]+)\.(csv|json)$/.exec(c.req.param("file"));
    const table = match?.[1] ?? "";
    const format = match?.[2] === "csv" ? "csv" : "json";
    if (match === null || !isReportTable(table)) return sendPage(c, insightsNotFoundPage(shell, member, "There is no such Insights table."), 404);
    const by = c.req.query("by") ?? "interactions";
    if (by !== "interactions" && by !== "engagement") return badDownload(c, format, "bad-query", 'The order of the top posts ("by") must be "interactions" or "engagement".');
    const order: TopPostsOrder = by;
    const loaded = await load(c);
    if ("error" in loaded) return badDownload(c, format, "bad-period", loaded.error);
    const { report } = loaded;
    if (!report.ok) return format === "csv" ? c.text(report.message, insightsStatus(report.error)) : c.json({ error: report.error, message: report.message }, insightsStatus(report.error));
    const name = `${report.value.account}-${table}${table === "top-posts" ? `-by-${order}` : ""}-${report.value.from}-${report.value.to}.${format}`;
    const disposition = `attachment; filename="${name}"`;
    if (format === "csv") return c.body(tableCsv(report.value, table, order), 200, { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": disposition });
    return c.body(JSON.stringify(tableJson(report.value, table, order), null, 2), 200, { "Content-Type": "application/json; charset=utf-8", "Content-Disposition": disposition });
  });

  const failedPage = (c: Context<WebEnv>, failed: { readonly error: InsightsError; readonly message: string }) => {
    const member = c.get("member");
    const status = insightsStatus(failed.error);
    return status === 400 ? sendPage(c, insightsErrorPage(shell, member, failed.message), 400) : sendPage(c, insightsNotFoundPage(shell, member, failed.message), 404);
  };

  return app;
}

function badDownload(c: Context, format: "csv" | "json", error: "bad-period" | "bad-query", message: string): Response {
  return format === "csv" ? c.text(message, 400) : c.json({ error, message }, 400);
}

/** A period the service refuses is the link's fault (400); an account or post it does not know, 404. */
function insightsStatus(error: InsightsError): 400 | 404 {
  switch (error) {
    case "bad-period":
      return 400;
    case "unknown-account":
    case "unknown-post":
      return 404;
    default:
      return unreachable(error);
  }
}
