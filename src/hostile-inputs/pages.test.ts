import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generateTestKey } from "../federation/inbox/testing/fake-peer.ts";
import { setUpOwner, WebClient } from "../web/testing/web-client.ts";
import { activeContent, XSS_PAYLOADS } from "./active-content.ts";
import { startHostileEnv, startScriptedPeer, type HostileEnv, type RemoteActor, type ScriptedPeer } from "./harness.ts";
import { checkInvariants } from "./invariants.ts";

/**
 * Hostile-inputs cases 14 (XSS through remote HTML), 15 (misleading links), 21 (open redirects) and
 * 22 (rate-limit key confusion), end to end: hostile remote actors and posts arrive through the inbox
 * of a real instance, and the pages that show them — the team's web app and the public pages — are
 * fetched over HTTP and read tag by tag (active-content.ts). Rendering does not depend on the
 * database engine, so this suite runs on SQLite only.
 */
const AS = "https://www.w3.org/ns/activitystreams";
const PASSWORD = "the owner's long password";
const BIDI_AND_INVISIBLE = /[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]/;

describe("remote HTML, links, redirects and throttles in pages [sqlite]", () => {
  let env: HostileEnv;
  let evil: ScriptedPeer;
  let eve: RemoteActor;
  let owner: WebClient;
  const hostilePosts: string[] = [];

  before(async () => {
    env = await startHostileEnv("sqlite");
    evil = await startScriptedPeer();
    const key = generateTestKey();
    const id = `${evil.origin}/users/eve`;
    eve = { id, keyId: `${id}#main-key`, key, peer: evil, name: "eve" };
    evil.json("/users/eve", {
      ...evil.actorDocument("eve", key),
      preferredUsername: `eve"><b>XSS</b>`,
      name: `\u202eEve <script>alert("XSS")</script>\u200b<img src=x onerror=alert(1)>`,
      summary: XSS_PAYLOADS.join("\n"),
      url: `${evil.origin}/@eve"><script>alert("XSS")</script>`,
      icon: { type: "Image", url: "javascript:alert('XSS')" },
      image: { type: "Image", url: `${evil.origin}/header.png` },
      attachment: [
        { type: "PropertyValue", name: `Web\u202esite<script>XSS</script>`, value: `<a href="javascript:alert('XSS')">https://good.example</a>` },
        { type: "PropertyValue", name: "Shop", value: `<a href="https://evil.example/" onclick="x">https://shop.good.example/</a>` },
      ],
      tag: [{ type: "Emoji", name: ":x<script>:", icon: { url: `${evil.origin}/e.png` } }, { type: "Emoji", name: ":ok_emoji:", icon: { url: "javascript:alert(1)" } }],
    });
    evil.json("/.well-known/webfinger", { subject: `acct:eve@${new URL(evil.origin).host}`, links: [{ rel: "self", type: "application/activity+json", href: id }] }, "application/jrd+json");

    owner = await setUpOwner(env.herold, { email: "owner@herold.example", username: "owner", password: PASSWORD });

    // carol follows eve (accepted by eve), and eve follows carol: eve shows up everywhere.
    assert.ok((await env.herold.ctx.social.follows.follow("carol", eve.id)).ok);
    const actor = await env.herold.ctx.repos.actors.findByUri(eve.id);
    const follow = await env.herold.ctx.database.db.selectFrom("follows").select("uri").where("followee_id", "=", actor!.id).executeTakeFirstOrThrow();
    assert.equal((await env.deliver(eve, { "@context": AS, id: `${id}/accept-1`, type: "Accept", actor: id, object: follow.uri })).status, 202);
    assert.equal((await env.deliver(eve, { "@context": AS, id: `${id}/follow-1`, type: "Follow", actor: id, object: env.carol.uri })).status, 202);
    for (const [index, payload] of XSS_PAYLOADS.entries()) {
      const create = env.create(eve, {
        to: [`${AS}#Public`],
        cc: [env.carol.uri],
        content: `<p>payload ${index}: ${payload}</p>`,
        summary: index % 3 === 0 ? `CW ${payload}` : null,
        name: index % 4 === 0 ? `Title ${payload}` : undefined,
        tag: [{ type: "Mention", href: env.carol.uri, name: "@carol" }, { type: "Hashtag", name: `#x${index}<script>` }, { type: "Emoji", name: ":bad<b>:", icon: { url: "javascript:x" } }],
        attachment: [{ type: "Document", mediaType: "image/png", url: `${evil.origin}/a${index}.png`, name: `alt ${payload}` }],
      });
      hostilePosts.push(create.object.id);
      assert.equal((await env.deliver(eve, create)).status, 202);
    }
    const card = env.create(eve, { type: "Video", name: `Video ${XSS_PAYLOADS[0]}`, summary: XSS_PAYLOADS[1], content: XSS_PAYLOADS[2], url: "javascript:alert(1)", icon: { url: "javascript:alert(1)" } });
    assert.equal((await env.deliver(eve, card)).status, 202);
    const poll = env.create(eve, { type: "Question", content: "<p>poll</p>", oneOf: XSS_PAYLOADS.slice(0, 6).map((name) => ({ type: "Note", name, replies: { totalItems: 1 } })) });
    assert.equal((await env.deliver(eve, poll)).status, 202);
    const outcomes = await env.drain();
    assert.ok(outcomes.filter((o) => o.outcome.kind === "processed").length >= XSS_PAYLOADS.length, JSON.stringify(outcomes.filter((o) => o.outcome.kind !== "processed")));
  });
  after(async () => {
    await Promise.all([env?.close(), evil?.close()]);
  });

  const assertInert = (page: string, where: string) => {
    const problems = activeContent(page, env.herold.origin);
    assert.deepEqual(problems, [], `${where}: ${JSON.stringify(problems.slice(0, 5))}`);
    assert.doesNotMatch(page, BIDI_AND_INVISIBLE, `${where}: bidi or invisible characters`);
  };

  describe("case 14: XSS payload classes through the inbox, rendered", () => {
    test("what was stored is sanitised", async () => {
      assert.deepEqual(await checkInvariants(env.herold.ctx.database.db, env.herold.ctx.config.limits, env.herold.origin), []);
      for (const uri of hostilePosts) {
        const post = await env.herold.ctx.repos.posts.findByUri(uri);
        assert.ok(post !== null, uri);
        assert.doesNotMatch(post.contentHtml ?? "", /<script|onerror|javascript:|<svg|<iframe|<style|srcdoc/i, uri);
      }
    });

    test("the web app's timeline, notifications and people lists show the payloads as inert text", async () => {
      for (const path of ["/app", "/app/timeline", "/app/notifications", "/app/mentions", "/app/following", "/app/followers"]) {
        const page = await owner.get(path);
        assert.equal(page.status, 200, path);
        assertInert(page.html, path);
        // The hostile data is really on the page (escaped), so the check above looked at it.
        if (path === "/app/timeline") assert.match(page.html, /payload 2: .*XSS link/s);
        if (path !== "/app/mentions" && path !== "/app") assert.match(page.html, /Eve/, path);
      }
    });

    test("public pages with a reply to and a mention of the hostile actor stay inert, and load nothing from elsewhere", async () => {
      const reply = await env.herold.ctx.posts.service.publish({ username: "carol", text: `Thanks @eve@${new URL(evil.origin).host} for this`, replyTo: hostilePosts[0]! });
      assert.ok(reply.ok, JSON.stringify(reply));
      const quote = await env.herold.ctx.posts.service.publish({ username: "carol", text: "Quoting", quote: hostilePosts[1]! });
      assert.ok(quote.ok, JSON.stringify(quote));
      const visitor = new WebClient(env.herold.origin);
      for (const path of [new URL(reply.value.uri).pathname, new URL(quote.value.uri).pathname, "/@carol", "/users/carol"]) {
        const page = await visitor.get(path);
        assert.equal(page.status, 200, path);
        assertInert(page.html, path);
      }
      assert.match((await visitor.get(new URL(reply.value.uri).pathname)).html, /@<span>eve&quot;&gt;XSS<\/span>|@<span>eve<\/span>/);
      for (const path of ["/users/carol/feed.rss", "/users/carol/feed.atom"]) {
        const response = await fetch(`${env.herold.origin}${path}`);
        const feed = await response.text();
        assert.equal(response.status, 200, path);
        assert.doesNotMatch(feed, /<script|javascript:|onerror=/i, path);
      }
    });
  });

  describe("case 15: verified links show their real address", () => {
    test("profile fields with bidi overrides, invisible characters, homographs and userinfo", async () => {
      const account = (await env.herold.ctx.repos.accounts.findByUsername("carol"))!;
      const fields = [
        { name: "Shop", value: "https://evil.example/\u202egpj.exe" },
        { name: "Bank", value: "https://p\u0430ypal.example/login" },
        { name: "Blog", value: "https://good.example\u200b.evil.example/" },
        { name: "Mail", value: "https://good.example@evil.example/" },
      ];
      const updated = await env.herold.ctx.web.profiles.update(account, { name: "Carol", bio: "", fields, manuallyApprovesFollowers: false, discoverable: true, avatar: null, header: null });
      assert.ok(updated.ok, JSON.stringify(updated));
      const page = await new WebClient(env.herold.origin).get("/@carol");
      assertInert(page.html, "/@carol");
      const links = [...page.html.matchAll(/<a href="([^"]+)" rel="me[^"]*"[^>]*>([^<]*)<\/a>/g)];
      assert.equal(links.length, 3, "three link fields; the one with userinfo is text");
      for (const [, href, text] of links) {
        const real = new URL(href!.replace(/&amp;/g, "&")).href.replace(/^https?:\/\/(www\.)?/, "").replace(/\/$/, "");
        assert.equal(text!.replace(/&amp;/g, "&"), real, "the text shown is the address the link goes to");
      }
      assert.match(page.html, /xn--/, "the homograph is shown in punycode");
      assert.match(page.html, /good\.example\.evil\.example/, "the real host of the zero-width trick is visible");
      assert.doesNotMatch(page.html, /<a [^>]*href="https:\/\/good\.example@/, "userinfo is never a link");
    });

    test("a verified rel=me mark names the exact URL that was checked", async () => {
      const account = (await env.herold.ctx.repos.accounts.findByUsername("carol"))!;
      evil.routes.set("/me", { headers: { "content-type": "text/html" }, body: `<html><a rel="me" href="${env.herold.origin}/@carol">me</a></html>` });
      const updated = await env.herold.ctx.web.profiles.update(account, { name: "Carol", bio: "", fields: [{ name: "Site", value: `${evil.origin}/me` }, { name: "Other", value: `${evil.origin}/me\u202e` }], manuallyApprovesFollowers: false, discoverable: true, avatar: null, header: null });
      assert.ok(updated.ok);
      await owner.get("/app/profile");
      assert.equal((await owner.post("/app/profile/verify", {})).status, 303);
      const page = await owner.get("/app/profile");
      assertInert(page.html, "/app/profile");
      const marks = [...page.html.matchAll(/✓ Verified: ([^<]*) links back/g)].map((m) => m[1]);
      assert.ok(marks.length >= 1);
      for (const mark of marks) assert.equal(mark, `${evil.origin}/me`);
    });

    test("remote display names and fields lose bidi overrides and invisible characters", async () => {
      const stored = await env.herold.ctx.repos.actors.findByUri(eve.id);
      assert.ok(stored !== null);
      assert.doesNotMatch(stored.name ?? "", BIDI_AND_INVISIBLE);
      for (const field of stored.fields) assert.doesNotMatch(field.name, BIDI_AND_INVISIBLE);
      assert.doesNotMatch(stored.url ?? "", /["<>]/, "the profile URL is kept only in its percent-encoded form");
      assert.equal(stored.iconUrl, null, "an avatar URL that is not http(s) is dropped");
    });
  });

  describe("case 21: redirects go to same-origin paths only", () => {
    const NEXT_PAYLOADS = [
      "//evil.example", "//evil.example/app", "/%2F%2Fevil.example", "/%2f%2fevil.example", "/\\evil.example", "/%5Cevil.example",
      "https://evil.example/", "http:evil.example", "javascript:alert(1)", "/app/../..//evil.example", "/app/%2E%2E/%2E%2E//evil.example",
      "/app%2F..%2F%2Fevil.example", "/app//evil.example", "/app/%2F%2Fevil.example", "\t//evil.example", "/app\n//evil.example",
      "/app\r\nLocation: https://evil.example", "%2F%2Fevil.example", "/app@evil.example", "/app#//evil.example", "/app?next=//evil.example",
      "/%09/evil.example", "/.//evil.example", "/app/\u3002evil.example", "／／evil.example", "/app/..%2f..%2f%2f%2fevil.example",
    ];
    const assertSameOriginPath = (location: string | null, what: string) => {
      assert.ok(location !== null, `${what}: a Location`);
      const origin = env.herold.origin;
      const resolved = new URL(location, origin);
      assert.equal(resolved.origin, origin, `${what}: ${location}`);
      let decoded = location;
      for (let i = 0; i < 3; i++) {
        try {
          decoded = decodeURIComponent(decoded);
        } catch {
          break;
        }
      }
      const path = location.startsWith(origin) ? location.slice(origin.length) : location;
      assert.match(path, /^\/(?![/\\])/, `${what}: ${location} is a path`);
      assert.doesNotMatch(decoded.startsWith(origin) ? decoded.slice(origin.length) : decoded, /^[/\\]{2}|^\/\\|[\r\n]/, `${what}: ${location} decodes to a path`);
    };

    test("after signing in, the next= target is a same-origin path whatever it was", async () => {
      for (const next of NEXT_PAYLOADS.slice(0, 8)) {
        const client = new WebClient(env.herold.origin);
        await client.get(`/app/login?next=${encodeURIComponent(next)}`);
        assert.doesNotMatch(client.lastHtml, /value="[^"]*evil\.example/, "the form does not carry the foreign target");
        const response = await client.post("/app/login", { login: "owner", password: PASSWORD, next });
        assert.equal(response.status, 303, next);
        assertSameOriginPath(response.location, `login next=${JSON.stringify(next)}`);
      }
    });

    test("switching accounts and interacting return to same-origin paths only", async () => {
      await owner.get("/app/settings");
      for (const next of NEXT_PAYLOADS) {
        const switched = await owner.post("/app/switch", { account: "carol", next });
        assert.equal(switched.status, 303, next);
        assertSameOriginPath(switched.location, `switch next=${JSON.stringify(next)}`);
        await owner.get("/app");
        const interacted = await owner.post("/app/interact", { action: "like", url: hostilePosts[3]!, back: next });
        assert.equal(interacted.status, 303, next);
        assertSameOriginPath(interacted.location, `interact back=${JSON.stringify(next)}`);
        await owner.post("/app/interact", { action: "unlike", url: hostilePosts[3]!, back: "/app" });
      }
    });

    test("redirects of signed-out visitors and of public pages stay on this origin", async () => {
      const visitor = new WebClient(env.herold.origin);
      for (const path of ["/app", "/app/settings?x=//evil.example", "/app/%2F%2Fevil.example"]) {
        const response = await visitor.get(path);
        assert.equal(response.status, 303, path);
        assertSameOriginPath(response.location, path);
      }
      for (const path of ["/users/CAROL?next=//evil.example", "/users/Carol", "/@CAROL?x=%2F%2Fevil"]) {
        const response = await visitor.get(path);
        assert.ok(response.status === 301 || response.status === 404, `${path}: ${response.status}`);
        if (response.status === 301) assertSameOriginPath(response.location, path);
      }
      for (const path of ["/@carol", "/@CAROL"]) {
        const response = await fetch(`${env.herold.origin}${path}`, { headers: { accept: "application/activity+json" }, redirect: "manual" });
        await response.body?.cancel();
        if (response.status === 301) assertSameOriginPath(response.headers.get("location"), path);
      }
      for (const path of ["//evil.example/", "/%2F%2Fevil.example/", "/\\evil.example/"]) {
        const response = await fetch(`${env.herold.origin}${path}`, { redirect: "manual" });
        await response.body?.cancel();
        assert.ok(response.status < 300 || response.status >= 400 || new URL(response.headers.get("location")!, env.herold.origin).origin === env.herold.origin, path);
      }
    });
  });

  describe("case 22: one sign-in throttle per person, whatever the name typed and the path taken", () => {
    test("failures by e-mail address and by sign-in name count against the same person", async () => {
      const created = await env.herold.ctx.web.users.create({ email: "target@herold.example", username: "target", password: "target's long password", accountUsername: "carol", role: "author" });
      assert.ok(created.ok);
      const tries = ["target", "target@herold.example", "TARGET", " Target@Herold.Example ", "Target"];
      for (const login of tries) {
        const client = new WebClient(env.herold.origin);
        await client.get("/app/login");
        const response = await client.post("/app/login", { login, password: "wrong password!!" });
        assert.ok(response.status === 401 || response.status === 429, `${login}: ${response.status}`);
      }
      // Five failures for one person, spelled five ways: every spelling is now refused, the right password too.
      for (const login of ["target", "target@herold.example"]) {
        const client = new WebClient(env.herold.origin);
        await client.get("/app/login");
        const blocked = await client.post("/app/login", { login, password: "target's long password" });
        assert.equal(blocked.status, 429, `${login} is throttled`);
      }
      // Another person is not affected, and is let in.
      const other = new WebClient(env.herold.origin);
      await other.get("/app/login");
      assert.equal((await other.post("/app/login", { login: "owner@herold.example", password: PASSWORD })).status, 303);
      env.herold.ctx.web.throttle.forget("target@herold.example");
    });

    test("other paths to the sign-in form do not reach an unthrottled check", async () => {
      for (let i = 0; i < 5; i++) {
        const client = new WebClient(env.herold.origin);
        await client.get("/app/login");
        assert.equal((await client.post("/app/login", { login: "owner", password: "wrong password!!" })).status, 401);
      }
      for (const path of ["/app/login", "/app/login/", "/app//login", "/APP/login", "/app/Login", "/app/login;x", "/app/./login", "/app/login?login=owner"]) {
        const client = new WebClient(env.herold.origin);
        await client.get("/app/login");
        const response = await client.post(path, { login: "owner", password: PASSWORD });
        assert.notEqual(response.status, 303, `${path} signed in past the throttle`);
        assert.equal(client.cookie("herold_session"), undefined, `${path} set a session`);
      }
      env.herold.ctx.web.throttle.forget("owner@herold.example");
      env.herold.ctx.web.throttle.forget("owner");
    });
  });
});
