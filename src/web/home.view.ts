import type { InsightsQueries } from "../insights/insights.ports.ts";
import type { PeriodTotals } from "../insights/insights.report.ts";
import { unreachable } from "../lib/result.ts";
import type { Clock } from "../lib/time.ts";
import type { Draft } from "../post/schedule/draft.entity.ts";
import type { ScheduleService } from "../post/schedule/schedule.service.ts";
import type { UnansweredRepository } from "../post/unanswered.repository.ts";
import type { ActivitySince, ChannelActivityRepository, FollowerTrend } from "../social/channel-activity.repository.ts";
import type { HomeVisitRepository } from "../user/home-visit.repository.ts";
import { can } from "../user/user.entity.ts";
import type { AppPost, AppViews } from "./app.views.ts";
import type { Member } from "./web.env.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
/** How many scheduled posts and unanswered posts the home lists (one more is read to say "more"). */
export const HOME_LIST = 5;
/** How far back "needs a reply" looks: older conversations are under Mentions. */
export const UNANSWERED_DAYS = 14;
/** The window of "since your last visit" on a person's first visit, and of the follower change. */
export const TREND_DAYS = 7;

export interface HomeDeps {
  readonly clock: Clock;
  readonly schedule: Pick<ScheduleService, "list">;
  readonly unanswered: Pick<UnansweredRepository, "list">;
  readonly activity: Pick<ChannelActivityRepository, "since" | "followerTrend">;
  readonly visits: Pick<HomeVisitRepository, "visit">;
  readonly views: Pick<AppViews, "posts">;
  readonly insights?: InsightsQueries | undefined;
}

/** Everything the home shows, one block each. */
export interface HomeData {
  readonly scheduled: { readonly drafts: readonly Draft[]; readonly more: boolean };
  readonly unanswered: { readonly items: readonly AppPost[]; readonly more: boolean };
  /** `since` null: the person's first visit, so the last `TREND_DAYS` days are shown. */
  readonly news: { readonly since: string | null; readonly from: string; readonly activity: ActivitySince };
  readonly followers: FollowerTrend;
  /** The last 7 days from Insights; null when Insights are not mounted or the role may not read them. */
  readonly insights: PeriodTotals | null;
}

/**
 * The app's home (issue #12, item 11): "what is happening with our channel today". Each block is one
 * query, run at once after the visit is recorded; the unanswered posts' authors, images and the
 * account's likes are then read for the whole list at once (AppViews.posts), never per post.
 */
export class HomeView {
  readonly #deps: HomeDeps;

  constructor(deps: HomeDeps) {
    this.#deps = deps;
  }

  async load(member: Member): Promise<HomeData> {
    const d = this.#deps;
    const now = d.clock.now();
    const viewer = { id: member.account.actorId, uri: member.account.uri };
    const weekAgo = new Date(now.getTime() - TREND_DAYS * DAY_MS).toISOString();
    // The marker moves first: what is counted below is what came after the previous visit.
    const since = await d.visits.visit(member.membership.id, now);
    const from = since ?? weekAgo;
    const [drafts, unanswered, activity, followers, insights] = await Promise.all([
      d.schedule.list(member.account, ["scheduled", "publishing"], HOME_LIST + 1),
      d.unanswered.list(viewer, { since: new Date(now.getTime() - UNANSWERED_DAYS * DAY_MS).toISOString(), limit: HOME_LIST + 1 }),
      d.activity.since(member.account.actorId, from),
      d.activity.followerTrend(member.account.actorId, weekAgo),
      this.#insights(member),
    ]);
    const items = await d.views.posts(member.account.actorId, unanswered.slice(0, HOME_LIST).map((post) => ({ post })));
    return {
      scheduled: { drafts: drafts.slice(0, HOME_LIST), more: drafts.length > HOME_LIST },
      unanswered: { items, more: unanswered.length > HOME_LIST },
      news: { since, from, activity },
      followers,
      insights,
    };
  }

  async #insights(member: Member): Promise<PeriodTotals | null> {
    const insights = this.#deps.insights;
    if (insights === undefined || !can(member.membership.role, "insights")) return null;
    const report = await insights.report(member.account.id, { kind: "days", days: TREND_DAYS });
    if (report.ok) return report.value.totals;
    // Insights that cannot answer for this account leave their block out rather than fail the home.
    switch (report.error) {
      case "unknown-account":
      case "unknown-post":
      case "bad-period":
        return null;
      default:
        return unreachable(report.error);
    }
  }
}
