/**
 * Signing in to the web app the way a person does: the real login form (its CSRF token and
 * pre-session cookie), then the session cookie the load generator sends with web-app requests.
 */
export async function signIn(base: string, origin: string, login: string, password: string): Promise<string> {
  const cookies = new Map<string, string>();
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
  };
  const header = () => [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  const form = await fetch(`${base}/app/login`, { headers: { accept: "text/html" }, redirect: "manual" });
  keep(form);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (csrf === undefined) throw new Error(`no sign-in form at ${base}/app/login (${form.status})`);
  const body = new URLSearchParams({ csrf, login, password, next: "/app" });
  // The Origin header is the public origin, as a browser on that origin sends it (same-origin check).
  const response = await fetch(`${base}/app/login`, { method: "POST", body, headers: { cookie: header(), origin, accept: "text/html" }, redirect: "manual" });
  keep(response);
  if (response.status !== 303) throw new Error(`sign-in answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return header();
}
