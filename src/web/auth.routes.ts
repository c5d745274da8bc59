import { Hono, type Context } from "hono";
import { getCookie } from "hono/cookie";
import { unreachable } from "../lib/result.ts";
import type { UserService } from "../user/user.service.ts";
import type { Csrf } from "../user/csrf.ts";
import type { SessionStore } from "../user/session.store.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import { loginPage, setupPage, type SetupValues } from "./auth.template.ts";
import { readForm, safeReturnPath } from "./form.ts";
import { sendPage } from "./respond.ts";
import { sendRefusal } from "./refusal.template.ts";
import type { WebCookies } from "./session.middleware.ts";
import type { WebEnv } from "./web.env.ts";
import type { Shell } from "./web.layout.ts";

export interface AuthDeps {
  readonly shell: Shell;
  readonly users: UserService;
  readonly sessions: SessionStore;
  readonly accounts: AccountRepository;
  readonly csrf: Csrf;
  readonly cookies: WebCookies;
}

/** Longer than any token Herold issues (43 characters), short enough to hash for nothing. */
const SETUP_TOKEN_MAX = 200;

/** The TCP peer address (only for the in-memory sign-in throttle; never stored or logged). */
export function clientAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? "unknown";
}

/** First-run setup, sign-in and sign-out. Pre-session forms use the signed double-submit token. */
export function authRoutes(deps: AuthDeps): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  const { shell, users, sessions, csrf, cookies } = deps;

  const preToken = (c: Context): string => {
    let nonce = getCookie(c, cookies.preSession);
    if (nonce === undefined || !/^[A-Za-z0-9_-]{32}$/.test(nonce)) {
      nonce = csrf.newPreSessionNonce();
      cookies.setPreSession(c, nonce);
    }
    return csrf.forPreSession(nonce);
  };
  const prePostOk = (c: Context, token: string): boolean => csrf.checkPreSession(getCookie(c, cookies.preSession), token);
  const forged = (c: Context) => sendRefusal(c, shell, { title: "Form expired", message: "The form has expired or did not come from this site (CSRF check failed). Reload the page and try again.", status: 403, back: { href: "/app/login", label: "Back to sign-in" } });

  const emptySetup = async (setupToken: string): Promise<SetupValues> => ({
    email: "", username: "", displayName: "", accountUsername: "", accountName: "",
    hasAccounts: (await deps.accounts.count()) > 0,
    setupToken,
  });

  app.get("/app/setup", async (c) => {
    if (!(await users.needsSetup())) return c.redirect("/app/login", 303);
    return sendPage(c, setupPage(shell, preToken(c), await emptySetup((c.req.query("token") ?? "").slice(0, SETUP_TOKEN_MAX))));
  });

  app.post("/app/setup", async (c) => {
    const form = await readForm(c);
    if (!prePostOk(c, form.text("csrf", 200))) return forged(c);
    const values: SetupValues = {
      ...(await emptySetup(form.text("setup_token", SETUP_TOKEN_MAX))),
      email: form.text("email", 320),
      username: form.text("username", 60),
      displayName: form.text("display_name", 200),
      accountUsername: form.text("account_username", 60),
      accountName: form.text("account_name", 200),
    };
    const result = await users.setup({
      setupToken: values.setupToken,
      email: values.email,
      username: values.username,
      displayName: values.displayName,
      password: form.text("password", 2000),
      account: values.accountUsername.trim() !== "" ? { username: values.accountUsername, name: values.accountName || undefined } : undefined,
    });
    if (!result.ok) {
      switch (result.error) {
        case "already-set-up":
          return c.redirect("/app/login", 303);
        case "invalid-setup-token":
          return sendPage(c, setupPage(shell, preToken(c), values, result.message), 403);
        case "invalid-email":
        case "invalid-username":
        case "weak-password":
        case "invalid-name":
        case "taken":
        case "username-taken":
        case "invalid-type":
          return sendPage(c, setupPage(shell, preToken(c), values, result.message), 400);
        default:
          return unreachable(result.error);
      }
    }
    const { token, expiresAt } = await sessions.create(result.value.id, null);
    cookies.setSession(c, token, expiresAt);
    return c.redirect("/app", 303);
  });

  app.get("/app/login", async (c) => {
    if (await users.needsSetup()) return c.redirect("/app/setup", 303);
    const next = safeReturnPath(c.req.query("next") ?? "/app", "/app");
    return sendPage(c, loginPage(shell, preToken(c), { login: "", next }));
  });

  app.post("/app/login", async (c) => {
    const form = await readForm(c);
    if (!prePostOk(c, form.text("csrf", 200))) return forged(c);
    const login = form.text("login", 400);
    const next = safeReturnPath(form.text("next", 2000), "/app");
    const result = await users.signIn(login, form.text("password", 2000), clientAddress(c));
    if (!result.ok) {
      switch (result.error) {
        case "throttled":
          c.header("Retry-After", "900");
          return sendPage(c, loginPage(shell, preToken(c), { login, next }, result.message), 429);
        case "busy":
          // Refused at once rather than queued: too many password hashes are being computed already.
          c.header("Retry-After", "5");
          return sendPage(c, loginPage(shell, preToken(c), { login, next }, result.message), 429);
        case "invalid-credentials":
          return sendPage(c, loginPage(shell, preToken(c), { login, next }, result.message), 401);
        default:
          return unreachable(result.error);
      }
    }
    await sessions.purgeExpired();
    // A fresh token on every sign-in: a token planted before sign-in (session fixation) never becomes valid.
    const { token, expiresAt } = await sessions.create(result.value.id, null);
    cookies.setSession(c, token, expiresAt);
    return c.redirect(next, 303);
  });

  return app;
}
