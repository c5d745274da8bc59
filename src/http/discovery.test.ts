import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { child, children, parseXml } from "../pages/markup-check.ts";
import { ENGINES } from "../testing/databases.ts";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";

const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
const AP = "application/activity+json";

type Json = Record<string, unknown>;
const list = (value: unknown): Json[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]) as Json[];

for (const engine of ENGINES) {
  describe(`discovery [${engine}]`, () => {
    let instance: TestInstance;
    let origin: string;

    const getJson = async (path: string, accept = "application/json") => {
      const response = await fetch(origin + path, { headers: { accept }, redirect: "manual" });
      const text = await response.text();
      return { response, json: (text.startsWith("{") ? JSON.parse(text) : null) as Json, text };
    };

    before(async () => {
      instance = await startTestInstance({ engine, worker: false });
      origin = instance.origin;
      for (const [username, type] of [["acme", "organization"], ["jane", "person"], ["bot", "service"]]) {
        const run = await instance.cli("account", "create", username!, "--type", type!, "--name", `${username} name`, "--summary", "Hello, Fediverse.");
        assert.equal(run.code, 0, run.err);
      }
    });
    after(async () => {
      await instance?.close();
    });

    test("WebFinger finds an account by acct: URI and by actor URL", async () => {
      for (const resource of [`acct:acme@${instance.domain}`, `${origin}/users/acme`]) {
        const { response, json } = await getJson(`/.well-known/webfinger?resource=${encodeURIComponent(resource)}`);
        assert.equal(response.status, 200, resource);
        assert.match(response.headers.get("content-type") ?? "", /^application\/jrd\+json/);
        assert.equal(json.subject, resource);
        const links = list(json.links);
        const self = links.find((l) => l.rel === "self");
        assert.deepEqual({ type: self?.type, href: self?.href }, { type: AP, href: `${origin}/users/acme` });
        const profile = links.find((l) => l.rel === "http://webfinger.net/rel/profile-page");
        assert.equal(profile?.href, `${origin}/@acme`);
        const names = [json.subject, ...((json.aliases as string[] | undefined) ?? [])];
        assert.ok(names.includes(`acct:acme@${instance.domain}`) || names.includes(`${origin}/users/acme`), "subject and aliases name the account");
        if (resource.startsWith("acct:")) assert.ok((json.aliases as string[]).includes(`${origin}/users/acme`), "the actor URL is an alias");
      }
    });

    test("WebFinger answers 404 with a JSON error for unknown accounts and other hosts, 400 without a resource", async () => {
      for (const resource of [`acct:nobody@${instance.domain}`, `acct:acme@elsewhere.example`, `${origin}/users/nobody`]) {
        const { response, json } = await getJson(`/.well-known/webfinger?resource=${encodeURIComponent(resource)}`);
        assert.equal(response.status, 404, resource);
        assert.match(response.headers.get("content-type") ?? "", /^application\/json/, resource);
        assert.equal(typeof json.error, "string", resource);
      }
      const missing = await fetch(`${origin}/.well-known/webfinger`);
      assert.equal(missing.status, 400);
    });

    test("/.well-known/nodeinfo links NodeInfo 2.0 and 2.1", async () => {
      const { response, json } = await getJson("/.well-known/nodeinfo");
      assert.equal(response.status, 200);
      assert.deepEqual(json.links, [
        { rel: "http://nodeinfo.diaspora.software/ns/schema/2.0", href: `${origin}/nodeinfo/2.0` },
        { rel: "http://nodeinfo.diaspora.software/ns/schema/2.1", href: `${origin}/nodeinfo/2.1` },
      ]);
    });

    test("NodeInfo 2.0 (at exactly /nodeinfo/2.0) and 2.1 name Herold and count accounts", async () => {
      const before20 = await getJson("/nodeinfo/2.0");
      const before21 = await getJson("/nodeinfo/2.1");
      for (const [{ response, json }, version] of [[before20, "2.0"], [before21, "2.1"]] as const) {
        assert.equal(response.status, 200, version);
        assert.match(response.headers.get("content-type") ?? "", new RegExp(`^application/json; profile="?http://nodeinfo\\.diaspora\\.software/ns/schema/${version.replace(".", "\\.")}#"?`));
        assert.equal(json.version, version);
        assert.equal((json.software as Json).name, "herold");
        assert.equal((json.software as Json).version, VERSION);
        assert.deepEqual(json.protocols, ["activitypub"]);
        assert.equal(json.openRegistrations, false);
        assert.equal(((json.usage as Json).users as Json).total, 3);
        assert.equal(typeof (json.usage as Json).localPosts, "number");
      }
      assert.equal((before20.json.software as Json).repository, undefined, "2.0 has no software.repository");

      const run = await instance.cli("account", "create", "newsroom");
      assert.equal(run.code, 0, run.err);
      for (const path of ["/nodeinfo/2.0", "/nodeinfo/2.1"]) {
        const { json } = await getJson(path);
        assert.equal(((json.usage as Json).users as Json).total, 4, path);
      }
    });

    test("host-meta points to WebFinger, as XRD and as JSON", async () => {
      const xml = await fetch(`${origin}/.well-known/host-meta`);
      assert.equal(xml.status, 200);
      assert.match(xml.headers.get("content-type") ?? "", /^application\/xrd\+xml/);
      const root = parseXml(await xml.text());
      assert.equal(root.name, "XRD");
      assert.equal(root.attributes.get("xmlns"), "http://docs.oasis-open.org/ns/xri/xrd-1.0");
      const link = child(root, "Link");
      assert.equal(link?.attributes.get("rel"), "lrdd");
      assert.equal(link?.attributes.get("template"), `${origin}/.well-known/webfinger?resource={uri}`);
      assert.equal(children(root, "Link").length, 1);
      const { json } = await getJson("/.well-known/host-meta.json");
      assert.deepEqual(json, { links: [{ rel: "lrdd", template: `${origin}/.well-known/webfinger?resource={uri}` }] });
    });

    test("the actor document has everything Mastodon reads", async () => {
      const account = (await instance.ctx.repos.accounts.findByUsername("acme"))!;
      const { response, json: actor, text } = await getJson("/users/acme", AP);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^application\/activity\+json/);
      const context = list(actor["@context"]) as unknown[];
      assert.ok(context.includes("https://www.w3.org/ns/activitystreams"));
      assert.ok(context.includes("https://w3id.org/security/v1"));
      const id = `${origin}/users/acme`;
      assert.equal(actor.id, id, "id equals the URL fetched");
      assert.equal(actor.type, "Organization");
      assert.equal(actor.preferredUsername, "acme");
      assert.equal(actor.name, "acme name");
      assert.equal(actor.summary, "<p>Hello, Fediverse.</p>");
      assert.equal(actor.inbox, `${id}/inbox`);
      assert.equal((actor.endpoints as Json).sharedInbox, `${origin}/inbox`);
      assert.equal(actor.outbox, `${id}/outbox`);
      assert.equal(actor.followers, `${id}/followers`);
      assert.equal(actor.following, `${id}/following`);
      assert.equal(actor.featured, `${id}/featured`);
      assert.equal(actor.liked, `${id}/liked`);
      assert.equal(actor.manuallyApprovesFollowers, false);
      assert.equal(actor.discoverable, true);
      assert.equal(actor.url, `${origin}/@acme`);
      assert.match(String(actor.published), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.ok(Math.abs(Date.parse(String(actor.published)) - Date.parse(account.createdAt)) < 1000, "published is the creation time");

      const publicKey = actor.publicKey as Json;
      assert.equal(publicKey.id, `${id}#main-key`);
      assert.equal(publicKey.owner, id);
      const served = createPublicKey(String(publicKey.publicKeyPem)).export({ type: "spki", format: "der" });
      const stored = createPublicKey(account.rsaPublicPem).export({ type: "spki", format: "der" });
      assert.ok(served.equals(stored), "publicKey is the account's RSA key");

      const multikey = list(actor.assertionMethod).find((k) => k.id === `${id}#ed25519-key`);
      assert.ok(multikey, "an Ed25519 key in assertionMethod");
      assert.equal(multikey.type, "Multikey");
      assert.equal(multikey.controller, id);
      const raw = base58btc(String(multikey.publicKeyMultibase));
      assert.deepEqual([...raw.subarray(0, 2)], [0xed, 0x01], "multicodec ed25519-pub");
      const ed = createPublicKey(account.ed25519PublicPem).export({ type: "spki", format: "der" });
      assert.ok(raw.subarray(2).equals(ed.subarray(ed.length - 32)), "the account's Ed25519 key");

      assert.ok(!text.includes("PRIVATE KEY"));
    });

    test("account types map to Organization, Person and Service", async () => {
      for (const [username, type] of [["acme", "Organization"], ["jane", "Person"], ["bot", "Service"]]) {
        const { json } = await getJson(`/users/${username}`, 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"');
        assert.equal(json.type, type, username);
        assert.equal(json.id, `${origin}/users/${username}`);
      }
    });

    test("icon, header image and profile fields appear once set", async () => {
      const account = (await instance.ctx.repos.accounts.findByUsername("jane"))!;
      await instance.ctx.repos.accounts.updateProfile(
        account.id,
        {
          iconUrl: `${origin}/media/01jb2m3n4p5q6r7s8t9v0w1x2y/avatar.png`,
          imageUrl: `${origin}/media/01jb2m3n4p5q6r7s8t9v0w1x2z/header.png`,
          fields: [{ name: "Website", value: '<a href="https://jane.example/">jane.example</a>' }, { name: "Pronouns", value: "she/her" }],
        },
        new Date().toISOString(),
      );
      const { json } = await getJson("/users/jane", AP);
      assert.equal((json.icon as Json).url, `${origin}/media/01jb2m3n4p5q6r7s8t9v0w1x2y/avatar.png`);
      assert.equal((json.image as Json).url, `${origin}/media/01jb2m3n4p5q6r7s8t9v0w1x2z/header.png`);
      assert.deepEqual(
        list(json.attachment).map((a) => [a.type, a.name, a.value]),
        [["PropertyValue", "Website", '<a href="https://jane.example/">jane.example</a>'], ["PropertyValue", "Pronouns", "she/her"]],
      );
    });

    test("an unknown actor is 404 JSON to servers", async () => {
      const { response } = await getJson("/users/nobody", AP);
      assert.equal(response.status, 404);
      assert.doesNotMatch(response.headers.get("content-type") ?? "", /html/);
    });
  });
}

/** Decodes base58btc multibase text (leading "z"), as used by Multikey. */
function base58btc(text: string): Buffer {
  assert.ok(text.startsWith("z"), "base58btc multibase prefix");
  const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  let value = 0n;
  for (const c of text.slice(1)) {
    const digit = alphabet.indexOf(c);
    assert.ok(digit >= 0, `base58 digit ${c}`);
    value = value * 58n + BigInt(digit);
  }
  const bytes: number[] = [];
  while (value > 0n) {
    bytes.unshift(Number(value % 256n));
    value /= 256n;
  }
  for (const c of text.slice(1)) {
    if (c !== "1") break;
    bytes.unshift(0);
  }
  return Buffer.from(bytes);
}
