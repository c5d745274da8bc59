/**
 * The instance the fuzzer throws cases at (test support): the real federation, social and posts
 * modules on a real database, wired the way the composition root wires them, except that every
 * document fetch is answered from memory (memory-documents.ts) — the fuzzer invents URLs on any
 * host, so the instance must not touch the network. The real inbox route listens on 127.0.0.1.
 *
 * Two ways in:
 * - `http`: a POST to the inbox route (signature verification, then the queue), as a peer would;
 * - `direct`: verification bypassed as the fixture suite does (`receiver.accept` as the activity's
 *   own actor), so mutated documents that no signature would let through still reach the handlers.
 */
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { FollowersRepository } from "../../social/followers.repository.ts";
import type { Kysely } from "kysely";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Account } from "../../account/account.entity.ts";
import { createAppBase } from "../../app/base.ts";
import { listen, type RunningServer } from "../../app/server.ts";
import { loadConfig, type Config } from "../../config/config.ts";
import type { DB } from "../../db/schema.ts";
import { createDeliveryModule } from "../../delivery/delivery.module.ts";
import { OutboxRepository } from "../../federation/outbound/outbox.repository.ts";
import { createFederationModule, type FederationModule } from "../../federation/federation.module.ts";
import { FetchBudget } from "../../federation/fetch/fetch-budget.ts";
import { TransientFetchError } from "../../federation/inbox/announce.inbox.ts";
import { INBOX_QUEUE, parseActivity } from "../../federation/inbox/inbox.receiver.ts";
import { inboxRoutes } from "../../federation/inbox/inbox.routes.ts";
import { rebuildActivity } from "../../federation/inbox/inbox.job.ts";
import { systemClock } from "../../lib/time.ts";
import { createPostModule } from "../../post/post.module.ts";
import { createSocialModule } from "../../social/social.module.ts";
import { createTestDatabase, type Engine, type TestDatabase } from "../../testing/databases.ts";
import { freePort } from "../../testing/instance.ts";
import { checkInvariants, type Violation } from "../invariants.ts";
import { MemoryDocuments } from "./memory-documents.ts";
import { ACTIVITYPUB_FIXTURES } from "../../testing/fixtures.ts";

const FIXTURES = ACTIVITYPUB_FIXTURES;

export interface Fixture {
  readonly name: string;
  readonly json: Record<string, unknown>;
}

export interface FuzzSigner {
  readonly id: string;
  readonly keyId: string;
  readonly privateKey: KeyObject;
}

/** What happened to one case: a door status, a processing outcome, or an exception. */
export interface CaseResult {
  readonly status: number;
  /** Processing outcomes of jobs the case caused (empty when refused at the door). */
  readonly outcomes: readonly string[];
  /** Unexpected exceptions (not an expected refusal, not a transient fetch failure). */
  readonly errors: readonly string[];
}

export interface FuzzTarget {
  readonly config: Config;
  readonly db: Kysely<DB>;
  readonly federationModule: FederationModule;
  readonly documents: MemoryDocuments;
  readonly carol: Account;
  readonly fixtures: readonly Fixture[];
  readonly signers: readonly FuzzSigner[];
  /** Ids mutations may use: actors and objects the instance may know. */
  readonly ids: readonly string[];
  /** This instance's own URLs (accounts, a post): a remote document naming them is forged. */
  readonly localIds: readonly string[];
  readonly origin: string;
  http(url: string, headers: Record<string, string>, body: Uint8Array): Promise<CaseResult>;
  direct(body: Uint8Array, toCarol: boolean): Promise<CaseResult>;
  /** Whether `id` is in `inbox_seen` (a refused activity must never be). */
  seen(id: string): Promise<boolean>;
  /** The database invariants, on rows written since `since` (ISO time; "" for everything). */
  invariants(since?: string): Promise<Violation[]>;
  close(): Promise<void>;
}

export function loadFixtures(): Fixture[] {
  const root = FIXTURES;
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(new URL(`${d.name}/`, root))
        .filter((f) => f.endsWith(".json"))
        .map((f) => ({ name: `${d.name}/${f}`, json: JSON.parse(readFileSync(new URL(`${d.name}/${f}`, root), "utf8")) as Record<string, unknown> })),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function startFuzzTarget(engine: Engine = "sqlite"): Promise<FuzzTarget> {
  const database: TestDatabase = await createTestDatabase(engine);
  const dataDir = mkdtempSync(join(tmpdir(), "herold-fuzz-"));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const config = loadConfig({ HEROLD_ORIGIN: origin, HEROLD_DATABASE_URL: database.url, HEROLD_DATA_DIR: dataDir, HEROLD_ALLOW_PRIVATE_ADDRESS: "true" });
  const base = createAppBase({ config, database: database.database, clock: systemClock, secret: Buffer.alloc(32, 3), version: "fuzz" });
  const { urls } = base;

  const documents = new MemoryDocuments();
  const fixtures = loadFixtures();
  for (const fixture of fixtures) documents.add(fixture.json);

  const signers: FuzzSigner[] = [];
  for (const name of ["s1", "s2", "s3"]) {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const id = `https://fuzz.example/users/${name}`;
    documents.add({
      "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
      id,
      type: "Person",
      preferredUsername: name,
      inbox: `${id}/inbox`,
      followers: `${id}/followers`,
      publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() },
    });
    signers.push({ id, keyId: `${id}#main-key`, privateKey });
  }

  const delivery = createDeliveryModule(base, { outbox: new OutboxRepository(base.database.db) });
  const federationModule = createFederationModule(base, { delivery, followerInboxes: (actorId, trx) => new FollowersRepository(base.database.db).remoteInboxes(actorId, trx) }, { documents });
  const social = createSocialModule(base, { federation: federationModule });
  const posts = createPostModule(base, { federation: federationModule, social });
  const created = await base.services.accounts.create({ username: "carol" });
  if (!created.ok) throw new Error(`cannot create carol: ${created.message}`);
  const carol = created.value;
  const published = await posts.service.publish({ username: "carol", text: "a post of carol's #fuzz" });
  if (!published.ok) throw new Error(`cannot publish: ${published.message}`);
  // carol follows the fuzz signers, so their posts and boosts have an audience.
  for (const signer of signers) {
    const actor = await federationModule.actors.resolveUri(signer.id);
    if (actor.ok) await social.follows.followActor(carol, actor.value);
    const follow = actor.ok ? await base.database.db.selectFrom("follows").selectAll().where("followee_id", "=", actor.value.id).executeTakeFirst() : undefined;
    if (follow !== undefined) await base.database.db.updateTable("follows").set({ state: "accepted" }).where("id", "=", follow.id).execute();
  }

  const server: RunningServer = await listen(inboxRoutes(federationModule.receiver, config), "127.0.0.1", port);
  const ids = [
    ...signers.map((s) => s.id),
    ...fixtures.map((f) => f.json["id"]).filter((id): id is string => typeof id === "string").slice(0, 200),
    "https://fuzz.example/notes/1",
    "https://www.w3.org/ns/activitystreams#Public",
  ];
  const localIds = [carol.uri, urls.profile("carol"), published.value.uri, `${origin}/users/nobody`, `${origin}/inbox`, urls.followers("carol")];

  /** Runs every queued inbox job the way the worker does, recording outcomes and unexpected exceptions. */
  const processQueued = async (outcomes: string[], errors: string[]): Promise<void> => {
    for (;;) {
      const jobs = await base.queue.claim(INBOX_QUEUE, { limit: 8, leaseMs: 60_000, workerId: "fuzz" });
      if (jobs.length === 0) return;
      for (const job of jobs) {
        try {
          const rebuilt = await rebuildActivity(job.payload, { actors: base.repos.actors, accounts: base.repos.accounts, config });
          if ("skip" in rebuilt) outcomes.push("skipped");
          else {
            const { key, outcome } = await federationModule.processor.dispatch(rebuilt.activity);
            outcomes.push(`${outcome.kind}:${key.slice(0, 40)}`);
          }
        } catch (error) {
          if (error instanceof TransientFetchError) outcomes.push("retry-later");
          else errors.push(error instanceof Error ? `${error.name}: ${error.message}\n${error.stack?.split("\n").slice(1, 4).join("\n")}` : String(error));
        } finally {
          await base.queue.complete(job, "fuzz");
        }
      }
    }
  };

  return {
    config,
    db: base.database.db,
    federationModule,
    documents,
    carol,
    fixtures,
    signers,
    ids,
    localIds,
    origin,
    async http(url, headers, body) {
      let status: number;
      // Header values travel as bytes: characters beyond Latin-1 (a respelled key id) go as their UTF-8 bytes, as a raw client would send them.
      const wire = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, /^[\u0000-\u00ff]*$/.test(value) ? value : Buffer.from(value, "utf8").toString("latin1")]));
      try {
        const response = await fetch(url, { method: "POST", headers: wire, body: body as Uint8Array<ArrayBuffer> });
        status = response.status;
        await response.body?.cancel();
      } catch (error) {
        return { status: 0, outcomes: [], errors: [`request failed: ${error instanceof Error ? error.message : String(error)}`] };
      }
      const outcomes: string[] = [];
      const errors: string[] = [];
      if (status === 202) await processQueued(outcomes, errors);
      return { status, outcomes, errors };
    },
    async direct(body, toCarol) {
      const outcomes: string[] = [];
      const errors: string[] = [];
      try {
        const envelope = parseActivity(body, config);
        if (!envelope.ok) return { status: 400, outcomes, errors };
        // In place of the signature: the activity's own actor, resolved as the key store would.
        const signer = await federationModule.actors.resolveUri(envelope.value.actorUri, { budget: new FetchBudget(config.limits.fetchesPerActivity) });
        if (!signer.ok) return { status: 401, outcomes, errors };
        const accepted = await federationModule.receiver.accept(envelope.value, { uri: signer.value.uri, id: signer.value.id }, toCarol ? carol : null);
        if (accepted.status === 202) await processQueued(outcomes, errors);
        return { status: accepted.status, outcomes, errors };
      } catch (error) {
        errors.push(error instanceof Error ? `${error.name}: ${error.message}\n${error.stack?.split("\n").slice(1, 4).join("\n")}` : String(error));
        return { status: -1, outcomes, errors };
      }
    },
    async seen(id) {
      const row = await base.database.db.selectFrom("inbox_seen").select("uri").where("uri", "=", id).executeTakeFirst();
      return row !== undefined;
    },
    invariants: (since = "") => checkInvariants(base.database.db, config.limits, origin, { since }),
    async close() {
      await server.close();
      await delivery.close();
      await federationModule.close();
      await base.queue.close();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
