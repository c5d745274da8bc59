import { Hono, type Context } from "hono";
import { unreachable } from "../lib/result.ts";
import { html } from "../pages/html.ts";
import { MIN_PASSWORD_LENGTH } from "../user/user.entity.ts";
import type { ChangePasswordError, UserService } from "../user/user.service.ts";
import { clientAddress } from "./auth.routes.ts";
import { readForm } from "./form.ts";
import { sendPage } from "./respond.ts";
import type { WebEnv } from "./web.env.ts";
import { appLayout, csrfField, type Shell } from "./web.layout.ts";

/** Settings → Change password: the current password, the new one twice; other devices are signed out. */
export function passwordRoutes(deps: { shell: Shell; users: Pick<UserService, "changePassword"> }): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const form = (c: Context<WebEnv>, options: { error?: string; status?: 200 | 400 | 403 | 404 | 422 | 429 } = {}) => {
    const member = c.get("member");
    return sendPage(
      c,
      appLayout(deps.shell, {
        title: "Change password",
        nav: "settings",
        member,
        error: options.error,
        body: html`<h1>Change your password</h1>
<form method="post" action="/app/settings/password" class="stack narrow">${csrfField(member)}
<input type="text" name="username" value="${member.session.user.email}" autocomplete="username" hidden>
<label for="current">Current password</label>
<input id="current" name="current" type="password" autocomplete="current-password" required>
<label for="next">New password</label>
<input id="next" name="next" type="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required aria-describedby="next-hint">
<p id="next-hint" class="hint">At least ${MIN_PASSWORD_LENGTH} characters. Saving signs you out on every other device.</p>
<label for="repeat">New password again</label>
<input id="repeat" name="repeat" type="password" autocomplete="new-password" minlength="${MIN_PASSWORD_LENGTH}" required>
<div class="actions"><button type="submit">Change password</button> <a class="button secondary" href="/app/settings">Cancel</a></div>
</form>`,
      }),
      options.status ?? 200,
    );
  };

  app.get("/app/settings/password", (c) => form(c));

  app.post("/app/settings/password", async (c) => {
    const member = c.get("member");
    const body = await readForm(c);
    const next = body.text("next", 2000);
    if (next !== body.text("repeat", 2000)) return form(c, { error: "The two new passwords are not the same.", status: 400 });
    const result = await deps.users.changePassword({ userId: member.session.user.id, sessionId: member.session.id, current: body.text("current", 2000), next, clientAddress: clientAddress(c) });
    if (result.ok) return c.redirect("/app/settings?done=password-changed", 303);
    const status = passwordStatus(result.error);
    if (status === 429) c.header("Retry-After", result.error === "busy" ? "5" : "900");
    return form(c, { error: result.message, status });
  });

  return app;
}

function passwordStatus(error: ChangePasswordError): 403 | 404 | 422 | 429 {
  switch (error) {
    case "wrong-password":
      return 403;
    case "unknown-person":
      return 404;
    case "weak-password":
      return 422;
    case "throttled":
    case "busy":
      return 429;
    default:
      return unreachable(error);
  }
}
