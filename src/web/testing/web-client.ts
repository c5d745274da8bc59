/**
 * Test support: a browser-like HTTP client for the web app (cookie jar, no redirects followed
 * automatically unless asked, CSRF token read from the last page). Talks only to the given origin.
 */
export class WebClient {
  readonly origin: string;
  readonly #cookies = new Map<string, string>();
  lastHtml = "";

  constructor(origin: string) {
    this.origin = origin;
  }

  cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  setCookie(name: string, value: string): void {
    this.#cookies.set(name, value);
  }

  async request(path: string, init: { method?: string; body?: URLSearchParams | FormData; headers?: Record<string, string> } = {}): Promise<Response> {
    const url = new URL(path, this.origin);
    if (url.origin !== this.origin) throw new Error(`test client refuses another origin: ${url.origin}`);
    const headers: Record<string, string> = { accept: "text/html", ...init.headers };
    if (this.#cookies.size > 0) headers.cookie = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const response = await fetch(url, { method: init.method ?? "GET", body: init.body ?? null, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === "" || /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return response;
  }

  async get(path: string): Promise<{ status: number; html: string; location: string | null }> {
    const response = await this.request(path);
    const html = await response.text();
    if (response.headers.get("content-type")?.startsWith("text/html")) this.lastHtml = html;
    return { status: response.status, html, location: response.headers.get("location") };
  }

  /** Posts a form with the CSRF token of the last page (unless `csrf` is given). */
  async post(path: string, fields: Record<string, string | string[]>, options: { csrf?: string | null; files?: Record<string, { name: string; type: string; bytes: Uint8Array }> } = {}): Promise<{ status: number; html: string; location: string | null }> {
    const csrf = options.csrf === undefined ? this.csrf() : options.csrf;
    let body: URLSearchParams | FormData;
    if (options.files !== undefined) {
      const form = new FormData();
      if (csrf !== null) form.set("csrf", csrf);
      for (const [k, v] of Object.entries(fields)) for (const item of Array.isArray(v) ? v : [v]) form.append(k, item);
      for (const [k, f] of Object.entries(options.files)) form.set(k, new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
      body = form;
    } else {
      body = new URLSearchParams();
      if (csrf !== null) body.set("csrf", csrf);
      for (const [k, v] of Object.entries(fields)) for (const item of Array.isArray(v) ? v : [v]) body.append(k, item);
    }
    const response = await this.request(path, { method: "POST", body, headers: { origin: this.origin } });
    const html = await response.text();
    if (response.headers.get("content-type")?.startsWith("text/html")) this.lastHtml = html;
    return { status: response.status, html, location: response.headers.get("location") };
  }

  csrf(): string {
    const match = /name="csrf" value="([^"]+)"/.exec(this.lastHtml);
    if (match === null) throw new Error("no CSRF token on the last page");
    return match[1]!;
  }
}

/** Signs in through the real form (as a person would) and returns the client holding the session. */
export async function signIn(instance: { readonly origin: string }, login: string, password: string): Promise<WebClient> {
  const client = new WebClient(instance.origin);
  await client.get("/app/login");
  const response = await client.post("/app/login", { login, password, next: "/app" });
  if (response.status !== 303) throw new Error(`sign-in of ${login}: HTTP ${response.status}`);
  return client;
}

/**
 * First-run setup through the real form, with the setup token the instance printed; returns the
 * owner's signed-in client. `fields` are the form's other fields (email, password, account_username …).
 */
export async function setUpOwner(instance: { readonly origin: string; readonly setupToken: string | null }, fields: Record<string, string>): Promise<WebClient> {
  const client = new WebClient(instance.origin);
  await client.get("/app/setup");
  const response = await client.post("/app/setup", { setup_token: instance.setupToken ?? "", ...fields });
  if (response.status !== 303) throw new Error(`setup: HTTP ${response.status}: ${response.html.slice(0, 300)}`);
  return client;
}
