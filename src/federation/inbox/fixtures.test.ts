import assert from "node:assert/strict";
import { FollowersRepository } from "../../social/followers.repository.ts";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { AccountRepository } from "../../account/account.repository.ts";
import { ACTOR_TYPES, parseRemoteActor } from "../../actor/actor.parser.ts";
import { type AppBase, createAppBase } from "../../app/base.ts";
import { loadConfig } from "../../config/config.ts";
import { asArray, idOf, isObject, typesOf } from "../../content/validate.ts";
import { createDeliveryModule } from "../../delivery/delivery.module.ts";
import { OutboxRepository } from "../outbound/outbox.repository.ts";
import { err, ok } from "../../lib/result.ts";
import { systemClock } from "../../lib/time.ts";
import { normalizeUrl } from "../../net/url-policy.ts";
import { createPostModule } from "../../post/post.module.ts";
import { createSocialModule } from "../../social/social.module.ts";
import { describeEachEngine } from "../../testing/databases.ts";
import { createFederationModule, type FederationModule } from "../federation.module.ts";
import type { DocumentSource } from "../fetch/document-fetcher.ts";
import { FetchBudget } from "../fetch/fetch-budget.ts";
import { parseActivity } from "./inbox.receiver.ts";
import { rebuildActivity } from "./inbox.job.ts";
import { ACTIVITYPUB_FIXTURES } from "../../testing/fixtures.ts";

/**
 * Every document in the shared fixtures goes through inbox processing. Signatures are bypassed
 * (there are none to check): each activity enters after verification, as from its own actor
 * (`receiver.accept`), then the queued job is processed as the worker does, with the handlers the
 * social and posts modules register. No network: documents are served from the fixtures, and an
 * actor id no fixture describes gets a synthesised minimal actor.
 *
 * Invariants: nothing throws; each fixture ends refused at the door with a status and a reason, or
 * processed, ignored or rejected (the last two with a reason). Actor documents also go through the
 * actor parser directly and must all parse. The per-fixture outcomes are printed as diagnostics.
 */
const ROOT = ACTIVITYPUB_FIXTURES;

interface Fixture {
  readonly name: string;
  readonly text: string;
  readonly json: unknown;
}

const fixtures: Fixture[] = readdirSync(ROOT, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(new URL(`${d.name}/`, ROOT))
      .filter((f) => f.endsWith(".json"))
      .map((f) => {
        const text = readFileSync(new URL(`${d.name}/${f}`, ROOT), "utf8");
        return { name: `${d.name}/${f}`, text, json: JSON.parse(text) as unknown };
      }),
  )
  // Actors deleting themselves go last, so that their other activities are not refused as from the gone.
  .sort((a, b) => Number(isSelfDelete(a.json)) - Number(isSelfDelete(b.json)) || a.name.localeCompare(b.name));

function isSelfDelete(json: unknown): boolean {
  if (!isObject(json) || !typesOf(json, 4).includes("Delete")) return false;
  const object = idOf(json["object"]);
  return object !== null && object === idOf(json["actor"]);
}

const isActorDocument = (json: unknown): boolean => typesOf(json, 4).some((t) => ACTOR_TYPES.includes(t));

test("the fixture set is there", () => {
  assert.ok(fixtures.length >= 137, `found ${fixtures.length} fixtures`);
});

test("every actor fixture parses into valid RemoteActorData", () => {
  const actors = fixtures.filter((f) => isActorDocument(f.json));
  assert.ok(actors.length >= 30);
  for (const fixture of actors) {
    const id = (fixture.json as { id: string }).id;
    const parsed = parseRemoteActor(fixture.json, id, { maxStringLength: 100_000, maxTags: 100 });
    assert.ok(parsed.ok, `${fixture.name}: ${parsed.ok ? "" : parsed.message}`);
    const data = parsed.value.data;
    assert.equal(data.uri, new URL(id).href, fixture.name);
    assert.ok(ACTOR_TYPES.includes(data.type), `${fixture.name}: type ${data.type}`);
    assert.match(data.username, /^[^\s@/]+$/, fixture.name);
    assert.equal(data.domain, new URL(id).host, fixture.name);
    for (const url of [data.inboxUrl, data.sharedInboxUrl, data.outboxUrl, data.followersUrl, data.followingUrl, data.featuredUrl]) {
      if (url !== null) assert.equal(new URL(url).origin, new URL(id).origin, `${fixture.name}: ${url}`);
    }
    assert.ok(data.inboxUrl !== null, fixture.name);
    for (const url of [data.iconUrl, data.imageUrl, data.url, data.movedToUri, ...data.alsoKnownAs]) {
      if (url !== null) assert.match(url, /^https?:\/\//, `${fixture.name}: ${url}`);
    }
    if (data.publicKeyId !== null) {
      assert.equal(new URL(data.publicKeyId).origin, new URL(id).origin, fixture.name);
      assert.match(data.publicKeyPem ?? "", /BEGIN (RSA )?PUBLIC KEY/, fixture.name);
    }
    for (const text of [data.name ?? "", data.summaryHtml ?? "", ...data.fields.flatMap((f) => [f.name, f.value])]) {
      assert.doesNotMatch(text, /<script|<img|<iframe|javascript:|on\w+=/i, `${fixture.name}: ${text.slice(0, 80)}`);
    }
    assert.equal(typeof data.manuallyApprovesFollowers, "boolean");
    assert.equal(typeof data.discoverable, "boolean");
  }
});

/** Serves fixture documents by id; synthesises actors for ids named as actors; nothing else exists. */
class FixtureDocuments implements DocumentSource {
  readonly #documents = new Map<string, Record<string, unknown>>();
  readonly #actorIds = new Set<string>();

  constructor(all: readonly Fixture[]) {
    for (const fixture of all) {
      if (!isObject(fixture.json)) continue;
      this.#collect(fixture.json, 0);
    }
  }

  #collect(json: Record<string, unknown>, depth: number): void {
    const id = idOf(json["id"]);
    // Ids with a fragment (`…/users/felix#likes/1`) are not fetchable documents of their own.
    if (id !== null && !id.includes("#") && typesOf(json, 4).length > 0) {
      const key = keyOf(id);
      // A full document wins over an embedded stub of the same id.
      if (!this.#documents.has(key) || Object.keys(json).length > Object.keys(this.#documents.get(key)!).length) this.#documents.set(key, json);
    }
    for (const ref of [...asArray(json["actor"], 4), ...asArray(json["attributedTo"], 4)]) {
      const actorId = idOf(ref);
      if (actorId !== null) this.#actorIds.add(keyOf(actorId));
      if (isObject(ref) && depth < 3) this.#collect(ref, depth + 1);
    }
    if (isObject(json["object"]) && depth < 3) this.#collect(json["object"], depth + 1);
  }

  async fetch(url: string, options: { budget?: FetchBudget }) {
    if (options.budget !== undefined && !options.budget.take()) return err("budget-exhausted" as const, "budget used up");
    const key = keyOf(url);
    let document = this.#documents.get(key);
    if (document !== undefined && isActorDocument(document) && document["inbox"] === undefined) document = undefined; // an embedded stub
    if (document === undefined && this.#actorIds.has(key)) document = synthesiseActor(key);
    if (document === undefined) return err("not-found" as const, `${url} is not among the fixtures`);
    return ok({ document: document as never, id: key, finalUrl: key });
  }

  async fetchJson() {
    return err("network" as const, "the fixture suite has no network");
  }
}

function keyOf(url: string): string {
  return normalizeUrl(url)?.href ?? url;
}

function synthesiseActor(id: string): Record<string, unknown> {
  const name = new URL(id).pathname.split("/").filter(Boolean).at(-1) ?? "actor";
  return { id, type: "Person", preferredUsername: name, inbox: new URL("inbox", id.endsWith("/") ? id : `${id}/`).href };
}

type Outcome =
  | { readonly stage: "door"; readonly status: number; readonly reason: string }
  /** An id already accepted (two fixtures share an id): accepted without queueing, processed once. */
  | { readonly stage: "duplicate"; readonly reason: string }
  | { readonly stage: "processing"; readonly key: string; readonly kind: "processed" | "ignored" | "rejected"; readonly reason: string };

describeEachEngine("inbox fixtures", (get) => {
  let federationModule: FederationModule;
  let base: AppBase;
  let dataDir: string;
  const outcomes = new Map<string, Outcome>();

  before(async () => {
    const db = get();
    dataDir = mkdtempSync(join(tmpdir(), "herold-fixtures-"));
    const config = loadConfig({ HEROLD_ORIGIN: "https://herold.test", HEROLD_DATABASE_URL: db.url, HEROLD_DATA_DIR: dataDir, HEROLD_ALLOW_PRIVATE_ADDRESS: "true" });
    base = createAppBase({ config, database: db.database, clock: systemClock, secret: Buffer.alloc(32, 1), version: "test" });

    const delivery = createDeliveryModule(base, { outbox: new OutboxRepository(base.database.db) });
    federationModule = createFederationModule(base, { delivery, followerInboxes: (actorId, trx) => new FollowersRepository(base.database.db).remoteInboxes(actorId, trx) }, { documents: new FixtureDocuments(fixtures) });
    const social = createSocialModule(base, { federation: federationModule });
    createPostModule(base, { federation: federationModule, social });
    const created = await base.services.accounts.create({ username: "carol" });
    assert.ok(created.ok);
  });
  after(async () => {
    await base.queue.close();
    await federationModule.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("every fixture is processed, ignored or refused with a reason, and nothing throws", async (t) => {
    const recipient = await base.repos.accounts.findByUsername("carol");
    const threw: string[] = [];
    for (const fixture of fixtures) {
      let outcome: Outcome;
      try {
        outcome = await runFixture(fixture, recipient);
      } catch (error) {
        threw.push(`${fixture.name}: ${error instanceof Error ? error.stack : String(error)}`);
        continue;
      }
      outcomes.set(fixture.name, outcome);
      t.diagnostic(`${fixture.name}: ${describe(outcome)}`);
      if (outcome.stage === "door") {
        assert.ok(outcome.status >= 400 && outcome.status < 500, `${fixture.name}: ${outcome.status}`);
        assert.ok(outcome.reason.length > 0, fixture.name);
      } else if (outcome.stage === "duplicate") {
        assert.ok(outcome.reason.length > 0, fixture.name);
      } else {
        assert.ok(["processed", "ignored", "rejected"].includes(outcome.kind), fixture.name);
        if (outcome.kind !== "processed") assert.ok(outcome.reason.length > 0, fixture.name);
      }
    }
    const counts = [...outcomes.values()].reduce<Record<string, number>>((acc, o) => {
      const k = o.stage === "door" ? `refused ${o.status}` : o.stage === "duplicate" ? "duplicate" : o.kind;
      acc[k] = (acc[k] ?? 0) + 1;
      return acc;
    }, {});
    t.diagnostic(`summary: ${JSON.stringify(counts)}`);
    assert.deepEqual(threw, [], "no fixture makes processing throw");
  });

  test("documents that are not activities are refused at the door with 400", () => {
    for (const [name, outcome] of outcomes) {
      const fixture = fixtures.find((f) => f.name === name)!;
      if (asArray((fixture.json as Record<string, unknown>)["actor"], 2).length === 0) {
        assert.equal(outcome.stage, "door", name);
        if (outcome.stage === "door") assert.equal(outcome.status, 400, name);
      }
    }
  });

  test("specific fixtures end the way the federation module defines", async () => {
    const expect = (name: string, check: (o: Outcome) => boolean, what: string) => {
      const outcome = outcomes.get(name);
      assert.ok(outcome !== undefined && check(outcome), `${name}: expected ${what}, got ${outcome ? describe(outcome) : "nothing"}`);
    };
    const processed = (key: string) => (o: Outcome) => o.stage === "processing" && o.key === key && o.kind === "processed";
    // Misskey's Like names a Mastodon actor for an id on misskey.xyz: the id is on another origin.
    expect("misskey/like-reaction.json", (o) => o.stage === "door" && o.status === 400 && /origin/.test(o.reason), "400 for the foreign id");
    // Actors updating and deleting themselves are handled here.
    expect("mastodon/update-person.json", processed("Update"), "Update of the actor processed");
    expect("mastodon/delete-actor.json", processed("Delete"), "self-Delete processed");
    expect("lemmy/delete-user.json", processed("Delete"), "self-Delete processed");
    // Group announces are unwrapped: the inner activity is dispatched under its own key.
    expect("lemmy/announce-create-page.json", (o) => o.stage === "processing" && o.key === "Announce/Create" && !/origin|not attributed/.test(o.reason), "unwrapped");
    expect("wordpress/announce-update-article.json", (o) => o.stage === "processing" && o.key === "Announce/Update" && !/origin|not attributed/.test(o.reason), "unwrapped");
    // Undo of an embedded activity is keyed by what it undoes.
    expect("mastodon/undo-follow.json", (o) => o.stage === "processing" && o.key === "Undo/Follow", "keyed Undo/Follow");
    expect("lemmy/undo-like.json", (o) => o.stage === "processing" && o.key === "Undo/Like", "keyed Undo/Like");

    const gone = await base.repos.actors.findByUri("http://mastodon.example.org/users/admin");
    assert.ok(gone?.goneAt != null, "the actor that deleted itself is marked gone");
    const updated = await base.repos.actors.findByUri("http://mastodon.example.org/users/gargron");
    assert.ok(updated !== null && updated.name !== null, "the embedded profile of the self-Update was stored");
    const inner = await base.database.db.selectFrom("inbox_seen").select("uri").where("uri", "=", "http://enterprise.lemmy.ml/activities/create/2807c9ec-3ad8-4859-a9e0-28b59b6e499f").execute();
    assert.equal(inner.length, 1, "the unwrapped inner activity counts as received");
  });

  async function runFixture(fixture: Fixture, recipient: Awaited<ReturnType<AccountRepository["findByUsername"]>>): Promise<Outcome> {
    const envelope = parseActivity(new TextEncoder().encode(fixture.text), base.config);
    if (!envelope.ok) return { stage: "door", status: 400, reason: envelope.reason };
    const budget = new FetchBudget(base.config.limits.fetchesPerActivity);
    // In place of the signature: the activity's own actor, resolved as the key store would.
    const signer = await federationModule.actors.resolveUri(envelope.value.actorUri, { budget });
    if (!signer.ok) return { stage: "door", status: 401, reason: `the actor cannot be resolved: ${signer.message}` };
    const accepted = await federationModule.receiver.accept(envelope.value, { uri: signer.value.uri, id: signer.value.id }, recipient);
    if (accepted.status !== 202) return { stage: "door", status: accepted.status, reason: accepted.reason };
    if (accepted.queued !== true) return { stage: "duplicate", reason: accepted.reason };
    const [job] = await base.queue.claim("inbox", { limit: 1, leaseMs: 60_000, workerId: "fixtures" });
    assert.ok(job !== undefined, `${fixture.name}: a job was queued`);
    const rebuilt = await rebuildActivity(job.payload, { actors: base.repos.actors, accounts: base.repos.accounts, config: base.config });
    await base.queue.complete(job, "fixtures");
    if ("skip" in rebuilt) return { stage: "processing", key: "-", kind: "ignored", reason: rebuilt.skip };
    const { key, outcome } = await federationModule.processor.dispatch(rebuilt.activity);
    return { stage: "processing", key, kind: outcome.kind, reason: "reason" in outcome ? outcome.reason : "" };
  }
});

function describe(outcome: Outcome): string {
  if (outcome.stage === "door") return `refused ${outcome.status}: ${outcome.reason}`;
  if (outcome.stage === "duplicate") return `duplicate: ${outcome.reason}`;
  return `${outcome.key} ${outcome.kind}${outcome.reason ? `: ${outcome.reason}` : ""}`;
}

