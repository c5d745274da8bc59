import { Hono } from "hono";
import { html } from "../pages/html.ts";
import type { UserRepository } from "../user/user.repository.ts";
import { can } from "../user/user.entity.ts";
import { sendPage } from "./respond.ts";
import { ROLE_EXPLANATIONS, ROLE_SUMMARIES } from "./roles.template.ts";
import type { WebEnv } from "./web.env.ts";
import { appLayout, type Shell } from "./web.layout.ts";

/**
 * Who acts for the account and what each role allows (issue #12, item 6). Everyone who acts for the
 * account sees the names and roles; e-mail addresses only those who manage people.
 */
export function memberRoutes(deps: { readonly shell: Shell; readonly users: Pick<UserRepository, "membersOf"> }): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.get("/app/members", async (c) => {
    const member = c.get("member");
    const members = await deps.users.membersOf(member.account.id);
    const managesPeople = can(member.membership.role, "people");
    return sendPage(
      c,
      appLayout(deps.shell, {
        title: "People and roles",
        nav: "settings",
        member,
        body: html`<h1>People acting for @${member.account.username}</h1>
<table class="members"><thead><tr><th scope="col">Person</th><th scope="col">Role</th><th scope="col">May</th></tr></thead><tbody>${members.map(
          (m) => html`<tr><td>${m.user.displayName || m.user.username || "—"}${managesPeople && html`<br><span class="hint">${m.user.email}</span>`}${m.user.id === member.session.user.id && html` <span class="badge">you</span>`}</td><td>${m.role}</td><td>${ROLE_SUMMARIES[m.role]}</td></tr>`,
        )}</tbody></table>
${ROLE_EXPLANATIONS}
${managesPeople
          ? html`<p class="hint">Add someone on the server: <code>npm run -s herold -- user create name@example.org --account ${member.account.username} --role author</code> (prints a password once).</p>`
          : html`<p class="hint">Owners and admins add people and change roles.</p>`}`,
      }),
    );
  });
  return app;
}
