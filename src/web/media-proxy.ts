import { createHash, createHmac } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { sniffFormat } from "../media/media.service.ts";
import { IMAGE_FORMATS } from "../media/media.entity.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Clock } from "../lib/time.ts";
import type { GuardedHttpClient } from "../net/guarded-client.ts";
import { safeFetch } from "../net/safe-fetch.ts";
import { equal } from "../user/csrf.ts";

/**
 * Herold's media proxy: remote avatars, headers and attachments are shown to the team (and to
 * visitors) from this origin, so no browser ever contacts another server (no IP or Referer leaks).
 *
 * - URLs are `/media/proxy/<mac>/<base64url(url)>` where mac = HMAC(instance secret, url): only
 *   URLs Herold itself put into a page can be fetched, so the route is no open proxy.
 * - Fetches go through the SSRF-guarded `safeFetch` (every hop checked, size and time capped).
 * - Only images are passed on, and only when the bytes are what they claim (JPEG, PNG, GIF, WebP):
 *   the type is taken from the sniffed bytes, never from the remote header; no SVG, no HTML.
 * - Copies are cached on disk under `<dataDir>/proxy-cache/` by SHA-256 of the URL (no remote names in
 *   paths) for `maxAgeMs`; failures are remembered briefly so a dead host is not hammered.
 */
export interface MediaProxyOptions {
  readonly secret: Buffer;
  readonly dataDir: string;
  readonly guardedClient: GuardedHttpClient;
  readonly allowHttp: boolean;
  readonly clock: Clock;
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  readonly maxAgeMs?: number;
}

export type ProxyError = "bad-signature" | "bad-url" | "not-found" | "not-an-image" | "too-large" | "unreachable";

export interface ProxiedImage {
  readonly body: Buffer;
  readonly contentType: string;
}

const FAILURE_TTL_MS = 5 * 60_000;

export class MediaProxy {
  readonly #options: MediaProxyOptions;
  readonly #dir: string;
  readonly #inFlight = new Map<string, Promise<Result<ProxiedImage, ProxyError>>>();
  readonly #failures = new Map<string, { until: number; error: ProxyError }>();

  constructor(options: MediaProxyOptions) {
    this.#options = options;
    this.#dir = join(options.dataDir, "proxy-cache");
  }

  #mac(url: string): string {
    return createHmac("sha256", this.#options.secret).update(`media-proxy\0${url}`).digest("base64url").slice(0, 32);
  }

  /** The same-origin path that shows `url`, or null for URLs that are not http(s) (never put in a page). */
  path(url: string | null | undefined): string | null {
    if (url === null || url === undefined || url.length > 4096) return null;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return null;
    }
    if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && this.#options.allowHttp)) return null;
    if (parsed.username !== "" || parsed.password !== "") return null;
    return `/media/proxy/${this.#mac(parsed.href)}/${Buffer.from(parsed.href).toString("base64url")}`;
  }

  /** Verifies the signed path parts and returns the image, from the cache or freshly fetched. */
  async get(mac: string, encoded: string): Promise<Result<ProxiedImage, ProxyError>> {
    if (!/^[A-Za-z0-9_-]{1,6000}$/.test(encoded)) return err("bad-url", "malformed proxy URL");
    const url = Buffer.from(encoded, "base64url").toString("utf8");
    if (!equal(mac, this.#mac(url))) return err("bad-signature", "this proxy URL was not issued by this server");
    if (this.path(url) === null) return err("bad-url", "not an http(s) URL");
    const key = createHash("sha256").update(url).digest("hex");
    const cached = await this.#readCache(key);
    if (cached !== null) return ok(cached);
    const failure = this.#failures.get(key);
    if (failure !== undefined && failure.until > this.#options.clock.now().getTime()) return err(failure.error, "recently failed");
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = this.#fetch(url, key).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return await pending;
  }

  async #fetch(url: string, key: string): Promise<Result<ProxiedImage, ProxyError>> {
    const maxBytes = this.#options.maxBytes ?? 8 * 1024 * 1024;
    const result = await safeFetch(url, {
      guardedClient: this.#options.guardedClient,
      allowHttp: this.#options.allowHttp,
      headers: { accept: "image/webp,image/png,image/jpeg,image/gif;q=0.9" },
      maxBytes,
      timeoutMs: this.#options.timeoutMs ?? 15_000,
      maxRedirects: 3,
    });
    let outcome: Result<ProxiedImage, ProxyError>;
    if (!result.ok) outcome = err(result.error === "too-large" ? "too-large" : "unreachable", result.message);
    else if (result.value.status === 404 || result.value.status === 410) outcome = err("not-found", `remote answered ${result.value.status}`);
    else if (result.value.status !== 200) outcome = err("unreachable", `remote answered ${result.value.status}`);
    else {
      const format = sniffFormat(result.value.body);
      outcome = format === null
        ? err("not-an-image", "the remote file is not a JPEG, PNG, GIF or WebP image")
        : ok({ body: result.value.body, contentType: IMAGE_FORMATS[format].mimeType });
    }
    if (outcome.ok) await this.#writeCache(key, outcome.value);
    else this.#failures.set(key, { until: this.#options.clock.now().getTime() + FAILURE_TTL_MS, error: outcome.error });
    if (this.#failures.size > 10_000) this.#failures.delete(this.#failures.keys().next().value!);
    return outcome;
  }

  async #readCache(key: string): Promise<ProxiedImage | null> {
    const file = join(this.#dir, key.slice(0, 2), key);
    try {
      const info = await stat(file);
      if (Date.now() - info.mtimeMs > (this.#options.maxAgeMs ?? 7 * 86_400_000)) return null;
      const body = await readFile(file);
      const format = sniffFormat(body);
      return format === null ? null : { body, contentType: IMAGE_FORMATS[format].mimeType };
    } catch {
      return null;
    }
  }

  async #writeCache(key: string, image: ProxiedImage): Promise<void> {
    const dir = join(this.#dir, key.slice(0, 2));
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `${key}.${process.pid}.tmp`);
    await writeFile(temp, image.body, { mode: 0o600 });
    await rename(temp, join(dir, key));
  }
}
