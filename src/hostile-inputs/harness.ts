/**
 * The hostile-input suite's scene (test support, not imported by production code): one Herold
 * instance from `startTestInstance` (no worker: inbox jobs are processed by `drain()`, the same
 * `rebuildActivity` + processor path the worker runs, so tests are deterministic), two loopback
 * peers on different origins with generated keys, and the checks every hostile case makes.
 *
 * The rule each case is held to (docs/research/hostile-inputs.md):
 *  1. a clear refusal: the HTTP status and the log line Herold writes;
 *  2. nothing stored or changed: a fingerprint of every table an inbound activity can touch;
 *  3. the process keeps serving: `/healthz` answers and no error-level line was logged;
 *  4. genuine traffic right after is still processed: a signed Create is accepted and stored.
 *
 * Every server binds to 127.0.0.1 (startTestInstance, startFakePeer).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { sql } from "kysely";
import type { Account } from "../account/account.entity.ts";
import type { DB } from "../db/schema.ts";
import type { DispatchResult } from "../federation/inbox/inbox.processor.ts";
import { INBOX_QUEUE } from "../federation/inbox/inbox.receiver.ts";
import { rebuildActivity } from "../federation/inbox/inbox.job.ts";
import { generateTestKey, post, signedHeaders, startFakePeer, type FakePeer, type PostResult, type SignOptions, type TestKey } from "../federation/inbox/testing/fake-peer.ts";
import { startTestServer, type TestServer } from "../testing/test-server.ts";
import type { Engine } from "../testing/databases.ts";
import { startTestInstance, type TestInstance, type TestInstanceOptions } from "../testing/instance.ts";
import { captureLogs, type LogCapture } from "./logs.ts";

export const logs: LogCapture = await captureLogs();

/** A remote actor served by a fake peer, with its private key. */
export interface RemoteActor {
  readonly id: string;
  readonly keyId: string;
  readonly key: TestKey;
  readonly peer: { readonly origin: string };
  readonly name: string;
}

/** Tables a hostile request can write to (users, sessions and memberships for the sign-in cases). */
const WATCHED: ReadonlyArray<keyof DB> = [
  "actors", "accounts", "posts", "post_edits", "post_mentions", "post_tags", "media", "follows", "follow_events",
  "interactions", "notifications", "blocks", "reports", "featured", "outbox_activities", "inbox_seen", "jobs",
  "users", "sessions", "memberships", "insights_days", "insights_hosts", "insights_followers", "insights_heat", "insights_posts",
];
/**
 * Bookkeeping columns left out of the fingerprint: a refused request may legitimately refresh a cached
 * actor (its `fetched_at`), and job leases move. Everything a peer could influence is compared.
 */
const VOLATILE = new Set(["fetched_at", "updated_at", "locked_until", "locked_by", "attempts", "last_error", "run_at", "last_seen_at"]);

export interface Fingerprint {
  readonly counts: Readonly<Record<string, number>>;
  readonly digests: Readonly<Record<string, string>>;
}

export interface RefusalExpectation {
  /** Expected HTTP status (or one of several). */
  readonly status?: number | readonly number[];
  /** The log line that explains the refusal. */
  readonly log: RegExp;
  /**
   * The refusal happens while processing a verified activity (status 202 at the door): queued jobs
   * are drained first, and the activity's own id may enter `inbox_seen` (it is the sender's).
   */
  readonly processing?: boolean;
  /** The explaining line may be at debug level (outcomes such as "ignored" are logged there). */
  readonly debugLog?: boolean;
  /** Names the attempt in failure messages. */
  readonly what?: string;
}

export interface HostileEnv {
  readonly herold: TestInstance;
  readonly engine: Engine;
  /** Peer A and peer B: two origins (different ports on 127.0.0.1). */
  readonly peerA: FakePeer;
  readonly peerB: FakePeer;
  /** alice and bob live on peer A, mallory on peer B. */
  readonly alice: RemoteActor;
  readonly bob: RemoteActor;
  readonly mallory: RemoteActor;
  readonly carol: Account;
  /** `<origin>/users/carol/inbox` (default) or another path on the instance. */
  inbox(path?: string): string;
  /** A fresh unique suffix for ids. */
  next(): number;
  /** A Create(Note) by `actor`, addressed to carol; `object` and `activity` override fields. */
  create(actor: RemoteActor | string, object?: Record<string, unknown>, activity?: Record<string, unknown>): Record<string, any>;
  /** Signed headers for a POST of `body` to `url`, as `actor` (draft-cavage unless `options.spec`). */
  sign(actor: RemoteActor, body: string, url?: string, options?: SignOptions & { keyId?: string }): Record<string, string>;
  /** POSTs `activity` (object or raw text) signed by `actor` to carol's inbox (or `path`). */
  deliver(actor: RemoteActor, activity: Record<string, unknown> | string, options?: SignOptions & { path?: string; keyId?: string }): Promise<PostResult>;
  /** Processes every queued inbox job the way the worker does; returns the outcomes. */
  drain(): Promise<DispatchResult[]>;
  fingerprint(options?: { ignore?: ReadonlyArray<keyof DB> }): Promise<Fingerprint>;
  /** Runs `attempt` and asserts the four parts of the rule. Returns the attempt's response. */
  refused<T extends { status: number }>(attempt: () => Promise<T>, expect: RefusalExpectation): Promise<T>;
  /** Part 3 and 4: still serving, and a genuine signed Create is accepted, processed and stored. */
  genuineStillProcessed(): Promise<void>;
  /** The actor whose Create proves genuine traffic still works (default alice). */
  setGenuine(actor: RemoteActor): void;
  close(): Promise<void>;
}

export async function startHostileEnv(engine: Engine, options: Omit<TestInstanceOptions, "engine" | "worker"> = {}): Promise<HostileEnv> {
  const herold = await startTestInstance({ ...options, engine, worker: false });
  const peerA = await startFakePeer();
  const peerB = await startFakePeer();
  const created = await herold.ctx.services.accounts.create({ username: "carol" });
  assert.ok(created.ok, "carol is created");
  const carol = created.value;
  const actor = (peer: FakePeer, name: string): RemoteActor => addRemoteActor(peer, name, { name: name[0]!.toUpperCase() + name.slice(1) });
  const alice = actor(peerA, "alice");
  const bob = actor(peerA, "bob");
  const mallory = actor(peerB, "mallory");
  const db = herold.ctx.database.db;
  let counter = 0;
  let genuine: RemoteActor = alice;

  const env: HostileEnv = {
    herold,
    engine,
    peerA,
    peerB,
    alice,
    bob,
    mallory,
    carol,
    inbox: (path = "/users/carol/inbox") => `${herold.origin}${path}`,
    next: () => ++counter,
    create(who, object = {}, activity = {}) {
      const id = typeof who === "string" ? who : who.id;
      const n = ++counter;
      return {
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${id}/activities/create-${n}`,
        type: "Create",
        actor: id,
        to: [carol.uri],
        object: {
          id: `${id}/notes/${n}`,
          type: "Note",
          attributedTo: id,
          to: [carol.uri],
          content: `<p>note ${n}</p>`,
          published: new Date().toISOString(),
          ...object,
        },
        ...activity,
      };
    },
    sign(who, body, url = env.inbox(), options = {}) {
      // The instance's clock, so suites that move a ManualClock sign "now" as the instance sees it.
      return signedHeaders(url, body, options.keyId ?? who.keyId, who.key.privateKey, { ...options, now: options.now ?? herold.ctx.clock.now() });
    },
    async deliver(who, activity, options = {}) {
      const body = typeof activity === "string" ? activity : JSON.stringify(activity);
      const url = env.inbox(options.path);
      return await post(url, body, env.sign(who, body, url, options));
    },
    async drain() {
      const ctx = herold.ctx;
      const results: DispatchResult[] = [];
      for (;;) {
        const jobs = await ctx.queue.claim(INBOX_QUEUE, { limit: 16, leaseMs: 120_000, workerId: "hostile-suite" });
        if (jobs.length === 0) return results;
        for (const job of jobs) {
          const rebuilt = await rebuildActivity(job.payload, { actors: ctx.repos.actors, accounts: ctx.repos.accounts, config: ctx.config });
          if ("skip" in rebuilt) results.push({ key: "-", outcome: { kind: "ignored", reason: rebuilt.skip } });
          else results.push(await ctx.federationModule.processor.dispatch(rebuilt.activity));
          await ctx.queue.complete(job, "hostile-suite");
        }
      }
    },
    async fingerprint(options = {}) {
      const counts: Record<string, number> = {};
      const digests: Record<string, string> = {};
      const tables = WATCHED.filter((table) => !options.ignore?.includes(table));
      const results = await Promise.all(tables.map((table) => sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)}`.execute(db)));
      for (const [index, table] of tables.entries()) {
        const rows = results[index]!.rows;
        counts[table] = rows.length;
        const normalised = rows
          .map((row) => JSON.stringify(Object.keys(row).sort().filter((k) => !VOLATILE.has(k)).map((k) => [k, normaliseValue(row[k])])))
          .sort();
        digests[table] = createHash("sha256").update(normalised.join("\n")).digest("hex").slice(0, 16);
      }
      return { counts, digests };
    },
    async refused(attempt, expect) {
      const mark = logs.mark();
      const ignore: Array<keyof DB> = expect.processing ? ["inbox_seen"] : [];
      const before = await env.fingerprint({ ignore });
      const response = await attempt();
      if (expect.status !== undefined) {
        const allowed = typeof expect.status === "number" ? [expect.status] : expect.status;
        assert.ok(allowed.includes(response.status), `${expect.what !== undefined ? `${expect.what}: ` : ""}status ${response.status}, expected ${allowed.join(" or ")}${"body" in response ? `: ${String((response as { body: unknown }).body).slice(0, 300)}` : ""}`);
      }
      if (expect.processing) await env.drain();
      logs.expect(mark, expect.log, "the refusal's log line", expect.debugLog === true ? "debug" : "info");
      const after = await env.fingerprint({ ignore });
      assert.deepEqual(after.counts, before.counts, "no rows were added or removed");
      assert.deepEqual(after.digests, before.digests, "no stored row was changed");
      assert.deepEqual(logs.errors(mark), [], "no unhandled error was logged");
      await env.genuineStillProcessed();
      return response;
    },
    async genuineStillProcessed() {
      const health = await fetch(`${herold.origin}/healthz`);
      assert.equal(health.status, 200, "the instance still answers /healthz");
      await health.body?.cancel();
      const activity = env.create(genuine, { content: `<p>genuine ${counter}</p>` });
      const response = await env.deliver(genuine, activity);
      assert.equal(response.status, 202, `genuine activity accepted: ${response.body}`);
      const outcomes = await env.drain();
      assert.ok(
        outcomes.some((o) => o.key === "Create" && o.outcome.kind === "processed"),
        `genuine Create processed: ${JSON.stringify(outcomes)}`,
      );
      const stored = await herold.ctx.repos.posts.findByUri(activity.object.id);
      assert.ok(stored !== null && stored.contentHtml?.includes("genuine"), "the genuine post is stored");
    },
    setGenuine(actor) {
      genuine = actor;
    },
    async close() {
      await Promise.all([herold.close(), peerA.close(), peerB.close()]);
    },
  };
  return env;
}

function normaliseValue(value: unknown): unknown {
  // PostgreSQL returns booleans and bigints differently from SQLite; the fingerprint compares a row with itself only.
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  return value;
}

/** An actor served by `peer` on demand (added after start, e.g. for one test). */
export function addRemoteActor(peer: FakePeer, name: string, extra: Record<string, unknown> = {}): RemoteActor {
  const key = generateTestKey();
  const { id, keyId } = peer.addActor(name, key, extra);
  return { id, keyId, key, peer, name };
}

/** A response a scripted peer gives for one path. */
export type ScriptedResponse =
  | { readonly status?: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string | Uint8Array }
  | ((request: IncomingMessage, response: ServerResponse) => void);

export interface ScriptedPeer {
  readonly server: TestServer;
  readonly origin: string;
  readonly routes: Map<string, ScriptedResponse>;
  /** Serves `document` as `application/activity+json` (or `contentType`) at `path`. */
  json(path: string, document: unknown, contentType?: string): void;
  /** An actor document at `/users/<name>` listing `key` (optionally with another id or extra fields); not served until `json`/`serve`. */
  actorDocument(name: string, key: TestKey, extra?: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * A loopback peer that answers exactly what a test scripts: any status, content type, body or
 * redirect per path (FakePeer only serves well-formed ActivityPub). Binds to 127.0.0.1.
 */
export async function startScriptedPeer(): Promise<ScriptedPeer> {
  const routes = new Map<string, ScriptedResponse>();
  const server = await startTestServer((request, response) => {
    const route = routes.get(new URL(request.url ?? "/", "http://x").pathname);
    if (route === undefined) {
      response.writeHead(404).end();
      return;
    }
    if (typeof route === "function") {
      route(request, response);
      return;
    }
    response.writeHead(route.status ?? 200, { ...route.headers }).end(route.body ?? "");
  });
  const origin = server.url("").replace(/\/$/, "");
  return {
    server,
    origin,
    routes,
    json(path, document, contentType = "application/activity+json") {
      routes.set(path, { headers: { "content-type": contentType }, body: JSON.stringify(document) });
    },
    actorDocument(name, key, extra = {}) {
      const id = `${origin}/users/${name}`;
      return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        id,
        type: "Person",
        preferredUsername: name,
        inbox: `${id}/inbox`,
        publicKey: { id: `${id}#main-key`, owner: id, publicKeyPem: key.publicKeyPem },
        ...extra,
      };
    },
    close: () => server.close(),
  };
}
