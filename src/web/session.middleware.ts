import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Csrf } from "../user/csrf.ts";
import type { SessionStore } from "../user/session.store.ts";
import type { UserRepository } from "../user/user.repository.ts";
import { multipartBoundary, readFirstField } from "../http/multipart-first-field.ts";
import type { WebEnv } from "./web.env.ts";
import type { Shell } from "./web.layout.ts";
import { sendRefusal } from "./refusal.template.ts";

/**
 * Cookies of the web app. Over https the session cookie uses the `__Host-` prefix (Secure, Path=/,
 * no Domain: no subdomain can set or shadow it); over plain http (local development, tests) the
 * browser would drop Secure cookies, so the plain name is used.
 */
export class WebCookies {
  readonly secure: boolean;
  readonly session: string;
  readonly preSession: string;

  constructor(origin: URL) {
    this.secure = origin.protocol === "https:";
    this.session = this.secure ? "__Host-herold_session" : "herold_session";
    this.preSession = this.secure ? "__Host-herold_pre" : "herold_pre";
  }

  setSession(c: Context, token: string, expiresAt: string): void {
    setCookie(c, this.session, token, { path: "/", httpOnly: true, secure: this.secure, sameSite: "Lax", expires: new Date(expiresAt) });
  }

  clearSession(c: Context): void {
    deleteCookie(c, this.session, { path: "/", secure: this.secure });
  }

  setPreSession(c: Context, nonce: string): void {
    setCookie(c, this.preSession, nonce, { path: "/app", httpOnly: true, secure: this.secure, sameSite: "Strict", maxAge: 3600 });
  }
}

export interface SessionDeps {
  readonly sessions: SessionStore;
  readonly users: UserRepository;
  readonly accounts: AccountRepository;
  readonly csrf: Csrf;
  readonly cookies: WebCookies;
  readonly origin: string;
  /** Refusals are pages of the app, never bare text. */
  readonly shell: Shell;
  /** Unread notifications of an account's actor (social's NotificationService), for the navigation's badge. */
  readonly unread: (actorId: string) => Promise<number>;
}

/**
 * Refuses cross-origin state changes early: a POST whose Origin (or, without one, Referer) names
 * another origin is answered 403 before the body is read. The CSRF token check still follows.
 */
export function sameOriginPosts(origin: string, shell: Shell): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      const source = c.req.header("origin") ?? refererOrigin(c.req.header("referer"));
      if (source !== undefined && source !== "null" && source !== origin) {
        return sendRefusal(c, shell, { title: "Refused", message: "This form was sent from another site, so Herold refused it. Open the page here and send it again.", status: 403 });
      }
    }
    await next();
  };
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (referer === undefined) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return "invalid";
  }
}

/**
 * Signed-in pages: loads the session from the cookie, the person's memberships and the account
 * acted for; checks the CSRF token of every state-changing request (form field `csrf` — the first
 * field of a multipart form —, or header `X-CSRF-Token` for the script's JSON calls), before the
 * route reads the rest of the body. Without a session, pages redirect to sign-in.
 */
export function requireMember(deps: SessionDeps): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    const token = getCookie(c, deps.cookies.session);
    const session = token !== undefined ? await deps.sessions.lookup(token) : null;
    if (session === null) {
      if (token !== undefined) deps.cookies.clearSession(c);
      if (c.req.method === "GET" || c.req.method === "HEAD") {
        const back = new URL(c.req.url);
        return c.redirect(`/app/login?next=${encodeURIComponent(back.pathname + back.search)}`, 303);
      }
      return sendRefusal(c, deps.shell, { title: "Signed out", message: "Your session has ended; sign in again.", status: 401 });
    }
    const csrf = deps.csrf.forSession(session.id);
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      const given = c.req.header("x-csrf-token") ?? (await formToken(c));
      if (!deps.csrf.checkSession(session.id, given)) return sendRefusal(c, deps.shell, { title: "Form expired", message: "The form has expired or did not come from this site (CSRF check failed). Reload the page and try again.", status: 403, back: { href: "/app", label: "Back to Home" } });
    }
    const memberships = await deps.users.membershipsOf(session.user.id);
    const membership = memberships.find((m) => m.accountId === session.accountId) ?? memberships[0];
    const account = membership !== undefined ? await deps.accounts.findById(membership.accountId) : null;
    if (membership === undefined || account === null) {
      c.set("bareSession", session);
      return sendRefusal(c, deps.shell, { title: "No account yet", message: "You are signed in, but you do not act for any account yet. Ask an owner to add you (herold user create).", status: 403, back: { href: "/app/login", label: "Sign in as someone else" } });
    }
    // Only pages show the badge; a form post redirects to one, which counts then.
    const unread = c.req.method === "GET" ? await deps.unread(account.actorId) : 0;
    c.set("member", { session, memberships, membership, account, csrf, unread });
    await next();
    c.header("Cache-Control", "no-store");
  };
}

/**
 * The `csrf` field of a form. An urlencoded form is small (limitBody) and parsed once; the route
 * reuses the parse. A multipart body may be a large upload: only its first part is read, which must
 * be `csrf` (every Herold form puts it first), so the token is checked before the upload is read.
 */
async function formToken(c: Context): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (type.startsWith("application/x-www-form-urlencoded")) {
    const body = await c.req.parseBody({ all: true });
    const value = body["csrf"];
    return Array.isArray(value) ? value[0] : value;
  }
  const boundary = multipartBoundary(type);
  const stream = c.req.raw.body;
  if (boundary === null || stream === null) return undefined;
  const { field, body } = await readFirstField(stream, boundary);
  c.req.raw = new Request(c.req.raw, { body, duplex: "half" } as RequestInit);
  return field?.name === "csrf" ? field.value : undefined;
}
