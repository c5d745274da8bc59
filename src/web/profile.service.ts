import type { Kysely } from "kysely";
import type { Account, ProfileField } from "../account/account.entity.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import type { Urls } from "../app/urls.ts";
import { renderLocalPost } from "../content/render.ts";
import { escapeHtml, stripInvisible } from "../content/sanitize.ts";
import type { DB } from "../db/schema.ts";
import type { EventOutbox } from "../federation/outbound/bridge.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Clock } from "../lib/time.ts";
import type { DraftMediaStore } from "../post/schedule/schedule.service.ts";
import type { GuardedHttpClient } from "../net/guarded-client.ts";
import { verifyRelMe } from "./rel-me.ts";

export const MAX_FIELDS = 4;

export interface ProfileInput {
  readonly name: string;
  readonly bio: string;
  readonly fields: readonly { name: string; value: string }[];
  readonly manuallyApprovesFollowers: boolean;
  readonly discoverable: boolean;
  readonly avatar: Buffer | null;
  readonly header: Buffer | null;
}

export type ProfileError = "invalid-name" | "bio-too-long" | "invalid-field" | "image";

export interface LinkCheck {
  readonly url: string;
  readonly verified: boolean;
  readonly detail: string | null;
  readonly checkedAt: string;
}

/**
 * Profile settings of a local account: saving updates the actor and reports `account.updated`, which
 * the social module turns into an Update(actor) for followers. Avatars and headers go through the
 * posts module's image processing (resized, metadata stripped) and are served by /media/profile/.
 */
export class ProfileService {
  readonly #db: Kysely<DB>;
  readonly #accounts: AccountRepository;
  readonly #media: DraftMediaStore;
  readonly #events: EventOutbox;
  readonly #urls: Urls;
  readonly #clock: Clock;
  readonly #guardedClient: GuardedHttpClient;
  readonly #allowHttp: boolean;

  constructor(deps: {
    db: Kysely<DB>;
    accounts: AccountRepository;
    media: DraftMediaStore;
    events: EventOutbox;
    urls: Urls;
    clock: Clock;
    guardedClient: GuardedHttpClient;
    allowHttp: boolean;
  }) {
    this.#db = deps.db;
    this.#accounts = deps.accounts;
    this.#media = deps.media;
    this.#events = deps.events;
    this.#urls = deps.urls;
    this.#clock = deps.clock;
    this.#guardedClient = deps.guardedClient;
    this.#allowHttp = deps.allowHttp;
  }

  async update(account: Account, input: ProfileInput): Promise<Result<Account, ProfileError>> {
    const name = stripInvisible(input.name).replace(/\s+/g, " ").trim();
    if (name.length === 0 || name.length > 100) return err("invalid-name", "The display name needs 1–100 characters.");
    if (input.bio.length > 2000) return err("bio-too-long", "The bio may have at most 2000 characters.");
    const fields: ProfileField[] = [];
    for (const f of input.fields.slice(0, MAX_FIELDS)) {
      const fieldName = stripInvisible(f.name).trim();
      const value = stripInvisible(f.value).trim();
      if (fieldName === "" && value === "") continue;
      if (fieldName === "" || fieldName.length > 255 || value.length > 2048) return err("invalid-field", "Each profile field needs a label (up to 255 characters) and a value.");
      fields.push({ name: fieldName, value: fieldValueHtml(value) });
    }
    const origin = this.#urls.origin;
    const bio = await renderLocalPost(input.bio, { origin, resolveMention: async () => null });
    let iconUrl: string | undefined;
    let imageUrl: string | undefined;
    for (const [kind, bytes] of [["avatar", input.avatar], ["header", input.header]] as const) {
      if (bytes === null) continue;
      const stored = await this.#media.storeImage(account.actorId, bytes, null);
      if (!stored.ok) return err("image", `The ${kind} could not be used: ${stored.message}`);
      const url = `${origin}/media/profile/${stored.value.id}/${stored.value.fileName}`;
      if (kind === "avatar") iconUrl = url;
      else imageUrl = url;
    }
    // The profile and the intent to send its Update commit together.
    const updated = await this.#events.transaction(async (trx, emit) => {
      const saved = await this.#accounts.updateProfile(
      account.id,
      {
        name,
        summaryHtml: bio.html,
        fields,
        manuallyApprovesFollowers: input.manuallyApprovesFollowers,
        discoverable: input.discoverable,
        ...(iconUrl !== undefined ? { iconUrl } : {}),
        ...(imageUrl !== undefined ? { imageUrl } : {}),
      },
      this.#clock.now().toISOString(),
      trx,
      );
      if (saved !== null) await emit({ type: "account.updated", accountId: account.id });
      return saved;
    });
    if (updated === null) throw new Error(`account ${account.id} vanished while saving its profile`);
    return ok(updated);
  }

  /** Checks every link in the profile fields for a rel=me link back and stores the outcome. */
  async verifyLinks(account: Account): Promise<LinkCheck[]> {
    const links = account.fields.flatMap((f) => {
      const href = /href="([^"]+)"/.exec(f.value)?.[1];
      return href !== undefined ? [href.replace(/&amp;/g, "&")] : [];
    });
    const now = this.#clock.now().toISOString();
    const profileUrls = [this.#urls.profile(account.username), this.#urls.actor(account.username)];
    await this.#db.deleteFrom("profile_link_checks").where("account_id", "=", account.id).execute();
    const out: LinkCheck[] = [];
    for (const url of links) {
      const result = await verifyRelMe(url, profileUrls, { guardedClient: this.#guardedClient, allowHttp: this.#allowHttp });
      await this.#db
        .insertInto("profile_link_checks")
        .values({ account_id: account.id, url, verified: result.verified ? 1 : 0, detail: result.detail, checked_at: now })
        .onConflict((oc) => oc.columns(["account_id", "url"]).doUpdateSet({ verified: result.verified ? 1 : 0, detail: result.detail, checked_at: now }))
        .execute();
      out.push({ url, verified: result.verified, detail: result.detail, checkedAt: now });
    }
    return out;
  }

  async linkChecks(accountId: string): Promise<LinkCheck[]> {
    const rows = await this.#db.selectFrom("profile_link_checks").selectAll().where("account_id", "=", accountId).execute();
    return rows.map((r) => ({ url: r.url, verified: r.verified === 1 || (r.verified as unknown) === true, detail: r.detail, checkedAt: r.checked_at }));
  }

  /** The stored file behind a /media/profile URL, only while it is some local account's avatar or header. */
  async profileImage(mediaId: string, fileName: string): Promise<string | null> {
    const url = `${this.#urls.origin}/media/profile/${mediaId}/${fileName}`;
    const owner = await this.#db
      .selectFrom("actors")
      .select("id")
      .where("is_local", "=", 1)
      .where((eb) => eb.or([eb("icon_url", "=", url), eb("image_url", "=", url)]))
      .executeTakeFirst();
    return owner === undefined ? null : `media/${fileName}`;
  }
}

/** A field value as Mastodon shows it: a link (rel=me, so the other side can verify back) or escaped text. */
export function fieldValueHtml(value: string): string {
  if (/^https?:\/\/\S+$/i.test(value)) {
    try {
      const url = new URL(value);
      if ((url.protocol === "https:" || url.protocol === "http:") && url.username === "" && url.password === "") {
        const shown = url.href.replace(/^https?:\/\/(www\.)?/, "").replace(/\/$/, "");
        return `<a href="${escapeHtml(url.href)}" rel="me nofollow noopener noreferrer" target="_blank" translate="no">${escapeHtml(shown)}</a>`;
      }
    } catch {
      // not a URL after all: shown as text
    }
  }
  return escapeHtml(value);
}

/** The plain-text value of a stored field, for the form. */
export function fieldValueText(html: string): string {
  const href = /^<a href="([^"]+)"/.exec(html)?.[1];
  if (href !== undefined) return href.replace(/&amp;/g, "&");
  return html.replace(/<[^>]*>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}
