import { isbot } from "isbot";

/**
 * Whether a request comes from a program rather than a person: search engines, link-preview fetchers
 * (other Fediverse servers, chat apps), feed readers polling on a timer, scripts. `isbot` keeps the
 * patterns (a list far longer than a hand-written regex would stay correct for); a request without a
 * User-Agent is a program too, since every browser sends one. Only this yes/no is kept, never the
 * header itself.
 */
export function isCrawler(userAgent: string | undefined): boolean {
  if (userAgent === undefined || userAgent.trim() === "") return true;
  return isbot(userAgent);
}
