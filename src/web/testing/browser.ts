import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from "playwright-core";
import type { Clock } from "../../lib/time.ts";

/** Debian's Chromium; CI installs it (.ci/run). Browser tests are skipped, with this reason, without it. */
export const CHROMIUM = "/usr/bin/chromium";
export const NO_CHROMIUM = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium); browser tests skipped`;

/** Flags that keep Chromium from contacting anything on its own (updates, sync, safe browsing, QUIC probes). */
const FLAGS = [
  "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--disable-quic", "--no-first-run", "--disable-default-apps", "--disable-domain-reliability",
  "--disable-client-side-phishing-detection", "--no-pings", "--dns-prefetch-disable",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/**
 * A browser context that records every request any of its pages makes. `offOrigin()` lists those
 * that went anywhere but `origin` (data: and about: URLs are in-page, not network requests).
 */
export async function recordingContext(browser: Browser, origin: string, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; requests: string[]; offOrigin(): string[] }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, ...options });
  const requests: string[] = [];
  context.on("request", (request) => {
    requests.push(request.url());
  });
  return {
    context,
    requests,
    offOrigin: () => requests.filter((url) => !url.startsWith("data:") && !url.startsWith("about:") && new URL(url).origin !== origin),
  };
}

/** Real time shifted by a settable offset: time flows, and a test can jump ahead a minute. */
export class ShiftedClock implements Clock {
  #offset = 0;
  now(): Date {
    return new Date(Date.now() + this.#offset);
  }
  advance(ms: number): void {
    this.#offset += ms;
  }
}
