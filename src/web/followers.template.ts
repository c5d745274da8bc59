import { html, type Html } from "../pages/html.ts";
import type { FollowWithActor } from "../social/follow.entity.ts";
import type { Page } from "../social/follow.repository.ts";
import { actorName, personRow } from "./app.templates.ts";
import type { AppViews } from "./app.views.ts";
import type { Member } from "./web.env.ts";
import { appLayout, csrfField, type Shell } from "./web.layout.ts";

/** Open follow requests and accepted followers; approve, reject and remove for those who may. */
export function followersPage(
  shell: Shell,
  member: Member,
  view: { readonly pending: readonly FollowWithActor[]; readonly accepted: Page<FollowWithActor>; readonly count: number; readonly manage: boolean; readonly notice: string | undefined },
  views: Pick<AppViews, "avatar">,
): Html {
  const { pending, accepted, manage } = view;
  return appLayout(shell, {
    title: "Followers",
    nav: "followers",
    member,
    notice: view.notice,
    body: html`<h1>Followers</h1>
<section aria-labelledby="requests"><h2 id="requests">Follow requests</h2>
${member.account.manuallyApprovesFollowers ? html`<p class="hint">You approve followers by hand (Profile settings).</p>` : html`<p class="hint">New followers are accepted at once; turn on approval in the profile settings.</p>`}
${pending.length === 0 ? html`<p class="empty">No open requests.</p>` : html`<ul class="list">${pending.map(
      ({ actor }) => html`<li>${personRow(views.avatar(actor), actor, manage ? html`<div class="actions">
<form method="post" action="/app/followers/approve">${csrfField(member)}<input type="hidden" name="actor" value="${actor.uri}"><button type="submit">Approve ${actorName(actor)}</button></form>
<form method="post" action="/app/followers/reject">${csrfField(member)}<input type="hidden" name="actor" value="${actor.uri}"><button type="submit" class="secondary">Reject</button></form></div>` : null)}</li>`,
    )}</ul>`}</section>
<section aria-labelledby="accepted"><h2 id="accepted">Followers <span class="badge">${new Intl.NumberFormat("en-GB").format(view.count)}</span></h2>
${accepted.items.length === 0 ? html`<p class="empty">No followers yet.</p>` : html`<ul class="list">${accepted.items.map(
      ({ actor }) => html`<li>${personRow(views.avatar(actor), actor, manage ? html`<form method="post" action="/app/followers/reject">${csrfField(member)}<input type="hidden" name="actor" value="${actor.uri}"><button type="submit" class="secondary">Remove</button></form>` : null)}</li>`,
    )}</ul>`}
${accepted.next !== null && html`<nav class="pager" aria-label="Pages"><a rel="next" href="/app/followers?before=${encodeURIComponent(accepted.next)}">More</a></nav>`}</section>`,
  });
}

/** A failed approve or reject: the reason and the way back. */
export function followerActionFailedPage(shell: Shell, member: Member, message: string): Html {
  return appLayout(shell, { title: "Followers", nav: "followers", member, error: message, body: html`<p><a href="/app/followers">Back to followers</a></p>` });
}

/** The accounts this account follows (or asked to), with the follow form for those who may. */
export function followingPage(
  shell: Shell,
  member: Member,
  view: { readonly following: readonly FollowWithActor[]; readonly manage: boolean; readonly error: string | undefined; readonly notice: string | undefined },
  views: Pick<AppViews, "avatar">,
): Html {
  const { manage } = view;
  return appLayout(shell, {
    title: "Following",
    nav: "following",
    member,
    error: view.error,
    notice: view.notice,
    body: html`<h1>Following</h1>
${manage && html`<form method="post" action="/app/follow" class="stack narrow">${csrfField(member)}
<label for="target">Follow an account</label>
<input id="target" name="target" required placeholder="@name@example.social or https://…" aria-describedby="target-hint">
<p id="target-hint" class="hint">A handle like @name@example.social, or the address of the account's page.</p>
<button type="submit">Follow</button></form>`}
${view.following.length === 0 ? html`<p class="empty">@${member.account.username} does not follow anyone yet.</p>` : html`<ul class="list">${view.following.map(
      ({ actor, follow }) => html`<li>${personRow(views.avatar(actor), actor, html`<span class="badge">${follow.state === "pending" ? "requested" : "following"}</span>${manage && html`<form method="post" action="/app/unfollow">${csrfField(member)}<input type="hidden" name="target" value="${actor.uri}"><button type="submit" class="secondary">Unfollow</button></form>`}`)}</li>`,
    )}</ul>`}`,
  });
}
