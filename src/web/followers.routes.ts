import { Hono, type Context } from "hono";
import { unreachable } from "../lib/result.ts";
import type { ApproveError, FollowService, RejectError, UnfollowError } from "../social/follow.service.ts";
import { can } from "../user/user.entity.ts";
import type { AppViews } from "./app.views.ts";
import { followerActionFailedPage, followersPage, followingPage } from "./followers.template.ts";
import { readForm } from "./form.ts";
import { sendPage } from "./respond.ts";
import { sendRefusal } from "./refusal.template.ts";
import type { Member, WebEnv } from "./web.env.ts";
import type { Shell } from "./web.layout.ts";

export interface FollowerRoutesDeps {
  readonly follows: Pick<FollowService, "listFollowers" | "listFollowing" | "approve" | "reject" | "follow" | "unfollow">;
  readonly views: Pick<AppViews, "avatar">;
  /** Accepted follower and following counts (social's counters). */
  readonly counts: { counts(actorId: string): Promise<{ followers: number; following: number }> };
  readonly shell: Shell;
}

/** Followers (approve, reject, remove) and following (follow, unfollow). */
export function followerRoutes(deps: FollowerRoutesDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const { follows, views, shell } = deps;
  const forbidden = (c: Context<WebEnv>) =>
    sendRefusal(c, shell, { member: c.get("member"), title: "Not possible", message: "Your role does not allow this: approving followers needs a publisher or more, following needs a publisher or more.", status: 403, back: { href: "/app/followers", label: "Back to followers" } });

  app.get("/app/followers", async (c) => {
    const member = c.get("member");
    const username = member.account.username;
    const [pending, accepted, counts] = await Promise.all([
      follows.listFollowers(username, { pending: true, limit: 100 }),
      follows.listFollowers(username, { limit: 100, before: c.req.query("before") ?? null }),
      deps.counts.counts(member.account.actorId),
    ]);
    if (!pending.ok || !accepted.ok) return c.redirect("/app", 303);
    const manage = can(member.membership.role, "followers");
    return sendPage(c, followersPage(shell, member, { pending: pending.value.items, accepted: accepted.value, count: counts.followers, manage, notice: c.req.query("done") }, views));
  });

  const followerAction = (kind: "approve" | "reject") => async (c: Context<WebEnv>) => {
    const member = c.get("member");
    if (!can(member.membership.role, "followers")) return forbidden(c);
    const form = await readForm(c);
    const actor = form.text("actor", 4096);
    const result = kind === "approve" ? await follows.approve(member.account.username, actor) : await follows.reject(member.account.username, actor);
    if (!result.ok) return sendPage(c, followerActionFailedPage(shell, member, result.message), followerActionStatus(result.error));
    return c.redirect(`/app/followers?done=${kind === "approve" ? "approved" : "rejected"}`, 303);
  };
  app.post("/app/followers/approve", followerAction("approve"));
  app.post("/app/followers/reject", followerAction("reject"));

  const following = async (c: Context<WebEnv>, member: Member, error?: string, status: 200 | 400 | 404 | 409 = 200) => {
    const list = await follows.listFollowing(member.account.username, { limit: 100, before: c.req.query("before") ?? null });
    if (!list.ok) return c.redirect("/app", 303);
    const manage = can(member.membership.role, "interact");
    return sendPage(c, followingPage(shell, member, { following: list.value.items, manage, error, notice: c.req.query("done") }, views), status);
  };
  app.get("/app/following", async (c) => following(c, c.get("member")));

  app.post("/app/follow", async (c) => {
    const member = c.get("member");
    if (!can(member.membership.role, "interact")) return forbidden(c);
    const form = await readForm(c);
    const result = await follows.follow(member.account.username, form.text("target", 2048));
    if (!result.ok) {
      switch (result.error) {
        case "already-following":
        case "already-requested":
          return c.redirect("/app/following?done=followed", 303);
        case "invalid-target":
        case "unresolvable":
        case "self":
        case "blocked":
        case "unknown-account":
          return following(c, member, result.message, 400);
        default:
          return unreachable(result.error);
      }
    }
    return c.redirect("/app/following?done=followed", 303);
  });

  app.post("/app/unfollow", async (c) => {
    const member = c.get("member");
    if (!can(member.membership.role, "interact")) return forbidden(c);
    const form = await readForm(c);
    const result = await follows.unfollow(member.account.username, form.text("target", 2048));
    if (!result.ok) return following(c, member, result.message, unfollowStatus(result.error));
    return c.redirect("/app/following?done=unfollowed", 303);
  });

  return app;
}

/** A malformed actor is the form's fault; a request or follower that is not there conflicts with the state. */
function followerActionStatus(error: ApproveError | RejectError): 400 | 404 | 409 {
  switch (error) {
    case "invalid-target":
      return 400;
    case "unknown-account":
      return 404;
    case "unresolvable":
    case "no-request":
    case "not-a-follower":
      return 409;
    default:
      return unreachable(error);
  }
}

function unfollowStatus(error: UnfollowError): 400 | 404 | 409 {
  switch (error) {
    case "invalid-target":
      return 400;
    case "unknown-account":
      return 404;
    case "unresolvable":
    case "not-following":
      return 409;
    default:
      return unreachable(error);
  }
}
