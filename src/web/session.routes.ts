import { Hono, type Context } from "hono";
import type { SessionStore } from "../user/session.store.ts";
import type { UserRepository } from "../user/user.repository.ts";
import { readForm, safeReturnPath } from "./form.ts";
import { sendPage } from "./respond.ts";
import type { WebCookies } from "./session.middleware.ts";
import type { WebEnv } from "./web.env.ts";
import { appLayout, csrfField, type Shell } from "./web.layout.ts";
import { html } from "../pages/html.ts";
import { isTimeZone } from "./time-zone.ts";
import { zoneSelect } from "./zone.template.ts";
import { sendRefusal } from "./refusal.template.ts";
import { ROLE_EXPLANATIONS } from "./roles.template.ts";

/** Sign-out, sign-out everywhere, switching the account acted for, and personal settings. */
export function sessionRoutes(deps: { shell: Shell; sessions: SessionStore; users: UserRepository; cookies: WebCookies; now: () => string }): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const { shell, sessions, users, cookies } = deps;

  app.post("/app/logout", async (c) => {
    await sessions.delete(c.get("member").session.id);
    cookies.clearSession(c);
    return c.redirect("/app/login", 303);
  });

  app.post("/app/logout-everywhere", async (c) => {
    await sessions.deleteAllOf(c.get("member").session.user.id);
    cookies.clearSession(c);
    return c.redirect("/app/login", 303);
  });

  app.post("/app/switch", async (c) => {
    const member = c.get("member");
    const form = await readForm(c);
    const target = member.memberships.find((m) => m.username === form.text("account", 60));
    // Only accounts of this person's memberships: a forged name changes nothing.
    if (target === undefined) return sendRefusal(c, shell, { member, title: "Not possible", message: "You do not act for this account.", status: 403 });
    await sessions.setAccount(member.session.id, target.accountId);
    const next = safeReturnPath(form.text("next", 2000), "/app");
    return c.redirect(`${next}${next.includes("?") ? "&" : "?"}done=switched`, 303);
  });

  const settingsPage = (c: Context<WebEnv>, error?: string) => {
    const member = c.get("member");
    const user = member.session.user;
    return sendPage(
      c,
      appLayout(shell, {
        title: "Settings",
        nav: "settings",
        member,
        notice: c.req.query("done"),
        error,
        body: html`<h1>Settings</h1>
<form method="post" action="/app/settings" class="stack narrow">${csrfField(member)}
<label for="time_zone">Time zone for scheduling and the calendar</label>
${zoneSelect("time_zone", user.timeZone ?? "UTC", user.timeZone === null, "tz-hint")}
<p id="tz-hint" class="hint" data-zone-hint>${user.timeZone === null ? "Not confirmed yet: times are shown in UTC until you save one (your browser's zone is preselected when it tells us)." : `Every time in the app is shown in ${user.timeZone}.`}</p>
<button type="submit">Save</button>
</form>
<h2>Your roles</h2>
<ul>${member.memberships.map((m) => html`<li>@${m.username}: <strong>${m.role}</strong></li>`)}</ul>
${ROLE_EXPLANATIONS}
<p><a href="/app/members">People and roles of @${member.account.username}</a></p>
<h2>Password</h2>
<p><a href="/app/settings/password">Change your password</a> (signs you out on every other device).</p>
<h2>Sessions</h2>
<form method="post" action="/app/logout-everywhere">${csrfField(member)}
<p>Signed in on a device you no longer use? End every session, this one included.</p>
<button type="submit" class="secondary">Sign out everywhere</button></form>`,
      }),
      error !== undefined ? 400 : 200,
    );
  };
  app.get("/app/settings", (c) => settingsPage(c));

  app.post("/app/settings", async (c) => {
    const member = c.get("member");
    const form = await readForm(c);
    const zone = form.text("time_zone", 100).trim();
    if (zone !== "" && !isTimeZone(zone)) return settingsPage(c, `${JSON.stringify(zone)} is not a time zone name Herold knows (e.g. Europe/Berlin).`);
    await users.setTimeZone(member.session.user.id, zone === "" ? null : zone, deps.now());
    return c.redirect("/app/settings?done=settings", 303);
  });

  // The banner's one-press confirmation of the zone (see zone.template.ts).
  app.post("/app/settings/time-zone", async (c) => {
    const member = c.get("member");
    const form = await readForm(c);
    const zone = form.text("time_zone", 100).trim();
    if (!isTimeZone(zone)) return settingsPage(c, `${JSON.stringify(zone)} is not a time zone name Herold knows (e.g. Europe/Berlin).`);
    await users.setTimeZone(member.session.user.id, zone, deps.now());
    const next = safeReturnPath(form.text("next", 2000), "/app");
    return c.redirect(`${next}${next.includes("?") ? "&" : "?"}done=zone`, 303);
  });

  return app;
}
