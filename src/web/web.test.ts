import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import sharp from "sharp";
import { startTestServer } from "../testing/test-server.ts";
import { startTestInstance, type TestInstance } from "../testing/instance.ts";
import { setUpOwner, signIn, WebClient } from "./testing/web-client.ts";

/**
 * The web app over HTTP (no browser): sessions, CSRF on every state-changing route, the sign-in
 * throttle and its keys, redirects, object scoping between accounts (IDOR) and roles.
 */
const PASSWORD = "owner's long password";

describe("web app over HTTP", { timeout: 180_000 }, () => {
  let a: TestInstance;
  let owner: WebClient;

  before(async () => {
    a = await startTestInstance();
    owner = await setUpOwner(a, { email: "owner@acme.example", password: PASSWORD, account_username: "acme", account_name: "ACME" });
    assert.ok((await a.ctx.services.accounts.create({ username: "brand", name: "Brand" })).ok);
  });

  after(async () => {
    await a?.close();
  });

  test("setup is closed once an owner exists, also for a forged direct POST", async () => {
    const stranger = new WebClient(a.origin);
    assert.equal((await stranger.get("/app/setup")).location, "/app/login");
    await stranger.get("/app/login");
    const attempt = await stranger.post("/app/setup", { email: "evil@example.org", password: "evil long password", account_username: "evil" });
    assert.equal(attempt.status, 303);
    assert.equal(attempt.location, "/app/login");
    assert.equal(await a.ctx.web.userRepository.count(), 1);
    assert.equal(await a.ctx.services.accounts.get("evil"), null);
  });

  test("the session cookie is HttpOnly and SameSite=Lax; the token is not what the database stores", async () => {
    const client = new WebClient(a.origin);
    await client.get("/app/login");
    const response = await client.request("/app/login", {
      method: "POST",
      body: new URLSearchParams({ csrf: client.csrf(), login: "OWNER@acme.example", password: PASSWORD }),
      headers: { origin: a.origin },
    });
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith("herold_session="));
    assert.ok(cookie);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/); // plain http origin in tests; https origins get Secure and __Host-
    const token = client.cookie("herold_session")!;
    const stored = await a.ctx.database.db.selectFrom("sessions").select("id").execute();
    assert.ok(stored.length > 0 && stored.every((s) => s.id !== token));
  });

  test("every state-changing route refuses a missing, forged or foreign CSRF token, and cross-origin posts", async () => {
    const other = await signIn(a, "owner@acme.example", PASSWORD);
    await other.get("/app/settings");
    const foreignToken = other.csrf();
    await owner.get("/app/settings");
    const routes = [
      "/app/logout", "/app/logout-everywhere", "/app/switch", "/app/settings", "/app/interact", "/app/followers/approve",
      "/app/followers/reject", "/app/follow", "/app/unfollow", "/app/compose", `/app/drafts/${"0".repeat(26)}/publish`,
      `/app/drafts/${"0".repeat(26)}/cancel`, `/app/drafts/${"0".repeat(26)}/delete`, `/app/drafts/${"0".repeat(26)}/reschedule`,
      "/app/profile", "/app/profile/verify", "/app/api/preview",
      `/app/posts/${"0".repeat(26)}/edit`, `/app/posts/${"0".repeat(26)}/delete`, `/app/posts/${"0".repeat(26)}/again`, "/app/settings/password", "/app/notifications/read",
    ];
    for (const route of routes) {
      for (const csrf of [null, "forged", foreignToken]) {
        const response = await owner.post(route, { text: "x", target: "@x@example.org", time_zone: "UTC" }, { csrf });
        assert.equal(response.status, 403, `${route} with csrf=${csrf === foreignToken ? "foreign" : csrf}`);
      }
    }
    await owner.get("/app/settings");
    const crossSite = await owner.request("/app/settings", {
      method: "POST",
      body: new URLSearchParams({ csrf: owner.csrf(), time_zone: "Asia/Tokyo" }),
      headers: { origin: "http://attacker.invalid" },
    });
    assert.equal(crossSite.status, 403);
    const user = await a.ctx.web.userRepository.findCredentials("owner@acme.example");
    assert.equal(user?.user.timeZone, null);
    // The pre-session forms need the cookie the form came with.
    const fresh = new WebClient(a.origin);
    const noCookie = await fresh.post("/app/login", { login: "owner@acme.example", password: PASSWORD }, { csrf: "x".repeat(43) });
    assert.equal(noCookie.status, 403);
  });

  test("redirects after sign-in stay on this site, after decoding", async () => {
    for (const [next, expected] of [
      ["/app/drafts", "/app/drafts"],
      ["//attacker.invalid/", "/app"],
      ["/%2F%2Fattacker.invalid", "/app"],
      ["/app/..%2F..%2Fattacker", "/app"],
      ["/\\attacker.invalid", "/app"],
      ["https://attacker.invalid/app", "/app"],
      ["/app%2F%2Fattacker.invalid", "/app"],
    ] as const) {
      const client = new WebClient(a.origin);
      await client.get(`/app/login?next=${encodeURIComponent(next)}`);
      const response = await client.post("/app/login", { login: "owner@acme.example", password: PASSWORD, next });
      assert.equal(response.location, expected, next);
    }
  });

  test("the sign-in throttle counts failures per name (all spellings) and refuses even the right password", async () => {
    assert.ok((await a.ctx.web.users.create({ email: "target@acme.example", username: "target", password: "target's long password", accountUsername: "acme", role: "author" })).ok);
    const spellings = ["target@acme.example", "TARGET@acme.example", " target@acme.example ", "Target@Acme.Example", "target@acme.example"];
    for (const login of spellings) {
      const client = new WebClient(a.origin);
      await client.get("/app/login");
      assert.equal((await client.post("/app/login", { login, password: "wrong password!" })).status, 401, login);
    }
    const client = new WebClient(a.origin);
    await client.get("/app/login");
    const blocked = await client.post("/app/login", { login: "target@acme.example", password: "target's long password" });
    assert.equal(blocked.status, 429);
    assert.match(blocked.html, /Too many failed sign-ins/);
    // Another name is not affected by this name's counter.
    await client.get("/app/login");
    assert.equal((await client.post("/app/login", { login: "owner@acme.example", password: PASSWORD })).status, 303);
  });

  test("objects are scoped to the account acted for: another account's drafts cannot be read, changed or published", async () => {
    assert.ok((await a.ctx.web.users.create({ email: "brandy@brand.example", password: "brandy's long password", accountUsername: "brand", role: "owner" })).ok);
    const brand = await signIn(a, "brandy@brand.example", "brandy's long password");
    await owner.get("/app/compose");
    const saved = await owner.post("/app/compose", { text: "ACME secret plan", action: "draft" }, { files: {} });
    assert.equal(saved.status, 303);
    const acme = (await a.ctx.services.accounts.get("acme"))!;
    const [draft] = await a.ctx.web.schedule.list(acme, ["draft"]);
    assert.ok(draft);

    const view = await brand.get(`/app/compose?draft=${draft.id}`);
    assert.equal(view.status, 404);
    assert.doesNotMatch(view.html, /secret plan/);
    await brand.get("/app/drafts");
    for (const action of ["publish", "delete", "cancel", "reschedule"]) {
      const response = await brand.post(`/app/drafts/${draft.id}/${action}`, { schedule_date: "2099-01-01", schedule_time: "10:00" });
      assert.equal(response.status, 404, action);
    }
    assert.equal((await brand.get(`/app/drafts/${draft.id}/media/${draft.id}`)).status, 404);
    await brand.get("/app/compose");
    const overwrite = await brand.post("/app/compose", { draft_id: draft.id, text: "hijacked", action: "draft" }, { files: {} });
    assert.equal(overwrite.status, 422);
    await brand.get("/app/settings");
    assert.equal((await brand.post("/app/switch", { account: "acme" })).status, 403);
    assert.equal((await a.ctx.web.schedule.get(acme, draft.id))?.text, "ACME secret plan");
  });

  test("roles: an author writes drafts but cannot publish, follow or edit the profile", async () => {
    // The previous test locked this name out on purpose; a success elsewhere would have cleared it.
    a.ctx.web.throttle.forget("target@acme.example");
    const author = await signIn(a, "target", "target's long password");
    await author.get("/app/compose");
    assert.doesNotMatch(author.lastHtml, /Publish now/);
    const publish = await author.post("/app/compose", { text: "by an author", action: "publish" }, { files: {} });
    assert.equal(publish.status, 403);
    await author.get("/app/following");
    assert.equal((await author.post("/app/follow", { target: "@someone@example.org" })).status, 403);
    await author.get("/app/profile");
    assert.equal((await author.post("/app/profile", { name: "Taken over" }, { files: {} })).status, 403);
    assert.equal((await a.ctx.services.accounts.get("acme"))?.name, "ACME");
    const acme = (await a.ctx.services.accounts.get("acme"))!;
    assert.ok((await a.ctx.web.schedule.list(acme, ["draft"])).some((d) => d.text === "by an author"));
  });

  test("sign out everywhere ends every session of the person", async () => {
    const second = await signIn(a, "owner@acme.example", PASSWORD);
    await owner.get("/app/settings");
    const out = await owner.post("/app/logout-everywhere", {});
    assert.equal(out.location, "/app/login");
    for (const client of [owner, second]) assert.equal((await client.get("/app")).location?.startsWith("/app/login"), true);
    owner = await signIn(a, "owner@acme.example", PASSWORD);
  });

  test("suggestions come from known accounts and tags, only for signed-in people", async () => {
    await owner.get("/app/compose");
    assert.equal((await owner.post("/app/compose", { text: "Hello #Rocketry and #rockets", action: "publish" }, { files: {} })).status, 303);
    const anonymous = new WebClient(a.origin);
    assert.equal((await anonymous.get("/app/api/suggest?q=%23ro")).status, 303);
    const tags = await (await owner.request("/app/api/suggest?q=%23roc")).json() as { items: { insert: string }[] };
    // As first written (issue #12, item 16), not as stored for matching.
    assert.deepEqual(tags.items.map((i) => i.insert).sort(), ["#Rocketry", "#rockets"]);
    const people = await (await owner.request("/app/api/suggest?q=%40bra")).json() as { items: { insert: string }[] };
    assert.deepEqual(people.items.map((i) => i.insert), [`@brand@${a.domain}`]);
    const wildcard = await (await owner.request("/app/api/suggest?q=%40%25")).json() as { items: unknown[] };
    assert.deepEqual(wildcard.items, []);
  });

  test("profile settings: fields with rel=me verification, an avatar served from this origin", async () => {
    const acme = (await a.ctx.services.accounts.get("acme"))!;
    const site = await startTestServer((request, response) => {
      const back = request.url === "/links-back" ? `<a rel="me" href="${a.ctx.urls.profile("acme")}">ACME on the Fediverse</a>` : "<p>nothing</p>";
      response.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><html><body>${back}</body></html>`);
    });
    try {
      const avatar = await sharp({ create: { width: 20, height: 20, channels: 3, background: "#0a0" } }).jpeg().withMetadata({ exif: { IFD0: { Artist: "gps-and-name" } } }).toBuffer();
      await owner.get("/app/profile");
      const saved = await owner.post(
        "/app/profile",
        { name: "ACME Rockets", bio: "We build #rockets.", field_name_0: "Website", field_value_0: site.url("/links-back"), field_name_1: "Shop", field_value_1: site.url("/elsewhere"), discoverable: "1" },
        { files: { avatar: { name: "me.jpg", type: "image/jpeg", bytes: avatar } } },
      );
      assert.equal(saved.status, 303);
      const page = await owner.get("/app/profile");
      assert.match(page.html, /✓ Verified: http:\/\/127\.0\.0\.1:\d+\/links-back links back/);
      assert.match(page.html, /Not verified: no rel=&quot;me&quot; link back/);
      const updated = (await a.ctx.services.accounts.get("acme"))!;
      assert.equal(updated.name, "ACME Rockets");
      assert.match(updated.fields[0]!.value, /rel="me nofollow noopener noreferrer"/);
      assert.ok(updated.iconUrl?.startsWith(`${a.origin}/media/profile/`));
      const image = await fetch(updated.iconUrl!);
      assert.equal(image.status, 200);
      assert.equal(image.headers.get("content-type"), "image/jpeg");
      assert.doesNotMatch(Buffer.from(await image.arrayBuffer()).toString("latin1"), /gps-and-name/);
      // The profile change was reported for federation (an Update of the actor is stored in the outbox).
      const update = await a.ctx.database.db.selectFrom("outbox_activities").select("type").where("actor_id", "=", acme.actorId).where("type", "=", "Update").executeTakeFirst();
      assert.equal(update?.type, "Update");
      // An arbitrary upload id that is no avatar is not served.
      assert.equal((await fetch(`${a.origin}/media/profile/${"0".repeat(26)}/${"0".repeat(26)}.jpg`)).status, 404);
    } finally {
      await site.close();
    }
  });

  test("a draft keeps its image and alt text; publishing it from the drafts list attaches them to the post", async () => {
    const acme = (await a.ctx.services.accounts.get("acme"))!;
    const png = await sharp({ create: { width: 30, height: 20, channels: 3, background: "#f80" } }).png().toBuffer();
    await owner.get("/app/compose");
    const saved = await owner.post("/app/compose", { text: "Draft with a picture", image_alt_0: "An orange square", action: "draft" }, { files: { image_0: { name: "x.png", type: "image/png", bytes: png } } });
    assert.equal(saved.status, 303);
    const draft = (await a.ctx.web.schedule.list(acme, ["draft"])).find((d) => d.text === "Draft with a picture")!;
    assert.equal(draft.media.length, 1);
    const editor = await owner.get(`/app/compose?draft=${draft.id}`);
    const thumb = new RegExp(`<img src="(/app/drafts/${draft.id}/media/${draft.media[0]!.id})"`).exec(editor.html)?.[1];
    assert.ok(thumb, "the composer shows the draft's image");
    assert.match(editor.html, /value="An orange square"/);
    const image = await owner.request(thumb);
    assert.equal(image.status, 200);
    assert.equal(image.headers.get("content-type"), "image/png");
    // Unattached draft images are not public.
    const fileName = (await a.ctx.database.db.selectFrom("media").select("file_path").where("id", "=", draft.media[0]!.id).executeTakeFirstOrThrow()).file_path!.slice("media/".length);
    assert.equal((await fetch(`${a.origin}/media/${draft.media[0]!.id}/${fileName}`)).status, 404);

    await owner.get("/app/drafts");
    const published = await owner.post(`/app/drafts/${draft.id}/publish`, {});
    assert.equal(published.status, 303);
    const uri = decodeURIComponent(/post=([^&]+)/.exec(published.location!)![1]!);
    const post = (await a.ctx.repos.posts.findByUri(uri))!;
    const media = (await a.ctx.repos.posts.mediaOf([post.id])).get(post.id) ?? [];
    assert.deepEqual(media.map((m) => m.description), ["An orange square"]);
    // The draft's own processed copy is discarded once the post has its attachment.
    const leftovers = await a.ctx.database.db.selectFrom("media").select("id").where("id", "=", draft.media[0]!.id).execute();
    assert.deepEqual(leftovers, []);
    assert.equal((await a.ctx.web.schedule.get(acme, draft.id))?.state, "published");
  });

  test("quote a post, and switch between the accounts a person acts for", async () => {
    const acme = (await a.ctx.services.accounts.get("acme"))!;
    const quoted = (await a.ctx.repos.posts.listByActor(acme.actorId, { visibilities: ["public"], limit: 1 })).items[0]!;
    const page = await owner.get(`/app/compose?quote=${encodeURIComponent(quoted.uri)}`);
    assert.match(page.html, /Quoting @acme@/);
    const published = await owner.post("/app/compose", { text: "Worth reading again", quote: quoted.uri, action: "publish" }, { files: {} });
    assert.equal(published.status, 303);
    const post = (await a.ctx.repos.posts.findByUri(decodeURIComponent(/post=([^&]+)/.exec(published.location!)![1]!)))!;
    assert.equal(post.quoteUri, quoted.uri);

    const user = (await a.ctx.web.userRepository.findCredentials("owner@acme.example"))!.user;
    const brand = (await a.ctx.services.accounts.get("brand"))!;
    await a.ctx.web.userRepository.upsertMembership(user.id, brand.id, "publisher", new Date().toISOString());
    await owner.get("/app");
    assert.match(owner.lastHtml, /<option value="brand">@brand<\/option>/);
    const switched = await owner.post("/app/switch", { account: "brand", next: "/app/drafts" });
    assert.equal(switched.location, "/app/drafts?done=switched");
    assert.match((await owner.get("/app/compose")).html, /New post for @brand/);
    await owner.post("/app/switch", { account: "acme" });
    assert.match((await owner.get("/app/compose")).html, /New post for @acme/);
  });

  test("schedule from the composer, see it in the calendar, reschedule it, edit it and cancel it", async () => {
    const acme = (await a.ctx.services.accounts.get("acme"))!;
    await owner.get("/app/settings");
    assert.equal((await owner.post("/app/settings", { time_zone: "Mars/Base" })).status, 400);
    assert.equal((await owner.post("/app/settings", { time_zone: "America/New_York" })).status, 303);
    await owner.get("/app/compose");
    const scheduled = await owner.post("/app/compose", { text: "Product launch in New York", schedule_date: "2099-03-10", schedule_time: "09:00", action: "schedule" }, { files: {} });
    const draft = (await a.ctx.web.schedule.list(acme, ["scheduled"])).find((d) => d.text === "Product launch in New York")!;
    assert.equal(scheduled.location, `/app/calendar?done=scheduled&draft=${draft.id}`);
    assert.equal(draft.scheduledAt, "2099-03-10T13:00:00.000Z"); // 09:00 EDT
    assert.match((await owner.get(scheduled.location)).html, /Post scheduled for Tue, 10 Mar 2099, 09:00 America\/New_York\./);
    // Every time says its zone.
    const month = await owner.get("/app/calendar?date=2099-03-01");
    assert.match(month.html, /09:00 <span class="zone">America\/New_York<\/span><\/time> Scheduled: Product launch in New York/);
    const week = await owner.get("/app/calendar?view=week&date=2099-03-11");
    assert.match(week.html, /09:00 <span class="zone">America\/New_York<\/span><\/time> Scheduled: Product launch in New York/);

    await owner.get("/app/drafts");
    const moved = await owner.post(`/app/drafts/${draft.id}/reschedule`, { schedule_date: "2099-03-12", schedule_time: "18:30" });
    assert.equal(moved.location, `/app/calendar?done=rescheduled&draft=${draft.id}`);
    assert.equal((await a.ctx.web.schedule.get(acme, draft.id))?.scheduledAt, "2099-03-12T22:30:00.000Z");
    const jobs = await a.ctx.database.db.selectFrom("jobs").select("run_at").where("dedupe_key", "like", `schedule:${draft.id}:%`).orderBy("run_at").execute();
    assert.deepEqual(jobs.map((j) => j.run_at), ["2099-03-10T13:00:00.000Z", "2099-03-12T22:30:00.000Z"]);
    assert.equal(await a.ctx.web.schedule.runScheduled({ draftId: draft.id, scheduledAt: "2099-03-10T13:00:00.000Z" }), "skipped");

    const editor = await owner.get(`/app/compose?draft=${draft.id}`);
    // A scheduled post opens as one, with its time and zone, and saving keeps it scheduled.
    assert.match(editor.html, /<h1>Edit scheduled post for @acme<\/h1>/);
    assert.match(editor.html, /Scheduled for <time datetime="2099-03-12T22:30:00.000Z">Thu, 12 Mar 2099, 18:30 America\/New_York<\/time>/);
    assert.match(editor.html, />Save changes<\/button>/);
    assert.match(editor.html, />Reschedule<\/button>/);
    assert.match(editor.html, /name="schedule_date" type="date" value="2099-03-12"/);
    assert.match(editor.html, /name="schedule_time" type="time" value="18:30"/);
    const edited = await owner.post("/app/compose", { draft_id: draft.id, text: "Product launch in New York, now with cake", action: "draft" }, { files: {} });
    assert.equal(edited.location, `/app/drafts?done=scheduled-updated&draft=${draft.id}`);
    assert.match((await owner.get(edited.location!)).html, /Scheduled post updated — still scheduled for Thu, 12 Mar 2099, 18:30 America\/New_York\./);
    const after = (await a.ctx.web.schedule.get(acme, draft.id))!;
    assert.equal(after.state, "scheduled");
    assert.equal(after.text, "Product launch in New York, now with cake");

    await owner.get("/app/drafts");
    assert.equal((await owner.post(`/app/drafts/${draft.id}/cancel`, {})).location, "/app/drafts?done=cancelled");
    assert.equal((await a.ctx.web.schedule.get(acme, draft.id))?.state, "draft");
    const past = await owner.post(`/app/drafts/${draft.id}/reschedule`, { schedule_date: "2001-01-01", schedule_time: "10:00" });
    assert.equal(past.status, 422);
    assert.match(past.html, /Choose a time in the future/);
    await owner.get("/app/settings");
    await owner.post("/app/settings", { time_zone: "" });
  });

  test("daylight saving in the schedule form: a skipped time is refused with the reason, a repeated one is the first and the notice says so", async () => {
    const acme = (await a.ctx.services.accounts.get("acme"))!;
    await owner.get("/app/compose");
    // 29 March 2099, Berlin: clocks go from 02:00 to 03:00.
    const gap = await owner.post("/app/compose", { text: "In the gap", schedule_date: "2099-03-29", schedule_time: "02:30", time_zone: "Europe/Berlin", action: "schedule" }, { files: {} });
    assert.equal(gap.status, 422);
    assert.match(gap.html, /02:30 on 2099-03-29 does not exist in Europe\/Berlin: the clocks skip that hour/);
    assert.match(gap.html, /for example Sun, 29 Mar 2099, 03:30 Europe\/Berlin/);
    const kept = (await a.ctx.web.schedule.list(acme, ["draft"])).find((d) => d.text === "In the gap")!;
    assert.equal(kept.scheduledAt, null, "nothing was scheduled");
    // 25 October 2099, Berlin: clocks go from 03:00 back to 02:00, so 02:30 happens twice.
    await owner.get("/app/compose");
    const twice = await owner.post("/app/compose", { text: "Twice at half past two", schedule_date: "2099-10-25", schedule_time: "02:30", time_zone: "Europe/Berlin", action: "schedule" }, { files: {} });
    assert.equal(twice.status, 303);
    const draft = (await a.ctx.web.schedule.list(acme, ["scheduled"])).find((d) => d.text === "Twice at half past two")!;
    assert.equal(draft.scheduledAt, "2099-10-25T00:30:00.000Z", "the earlier of the two");
    assert.equal(draft.timeZone, "Europe/Berlin", "scheduled in the zone the form named");
    assert.equal(twice.location, `/app/calendar?done=scheduled&draft=${draft.id}&overlap=1`);
    assert.match((await owner.get(twice.location!)).html, /Post scheduled for Sun, 25 Oct 2099, 02:30 Europe\/Berlin\. That time happens twice that night \(the clocks go back\); the first was taken, Sun, 25 Oct 2099, 00:30 UTC\./);
    // A zone that is not one is refused, not taken for UTC.
    const bogus = await owner.post("/app/compose", { text: "Nowhere", schedule_date: "2099-10-26", schedule_time: "10:00", time_zone: "Mars/Base", action: "schedule" }, { files: {} });
    assert.equal(bogus.status, 422);
    assert.match(bogus.html, /&quot;Mars\/Base&quot; is not a time zone Herold knows/);
  });

  test("the calendar shows three published posts a day in the month and links to the week, which shows up to twelve", async () => {
    for (let i = 0; i < 5; i++) assert.ok((await a.ctx.posts.service.publish({ username: "acme", text: `Calendar day post ${i}` })).ok);
    const month = await owner.get("/app/calendar");
    const today = /<td class="[^"]*\btoday\b[^"]*">(.*?)<\/td>/s.exec(month.html)?.[1] ?? "";
    assert.equal(today.match(/ Published: /g)?.length, 3, "three published posts in today's cell");
    const more = /<a class="more" href="\/app\/calendar\?view=week&amp;date=(\d{4}-\d{2}-\d{2})">More posts this day<\/a>/.exec(today);
    assert.ok(more !== null, "a link to the week of the day");
    const week = await owner.get(`/app/calendar?view=week&date=${more[1]}`);
    for (let i = 0; i < 5; i++) assert.match(week.html, new RegExp(`Published: Calendar day post ${i}<`));
    assert.doesNotMatch(week.html, /class="more"/, "no more than twelve that day");
  });

  test("herold user create: generated password printed once, or read from standard input", async () => {
    const generated = await a.cli("user", "create", "gen@acme.example", "--account", "acme", "--role", "publisher");
    assert.equal(generated.code, 0, generated.err);
    const password = /password \(shown only now\): (\S+)/.exec(generated.out)?.[1];
    assert.ok(password);
    await signIn(a, "gen@acme.example", password);

    const child = spawn(process.execPath, ["src/cli/herold.ts", "user", "create", "stdin@acme.example", "--account", "acme", "--password-stdin"], {
      env: { ...process.env, ...a.env },
      cwd: new URL("../../", import.meta.url).pathname,
    });
    child.stdin.end("piped in long password\n");
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0, out);
    assert.doesNotMatch(out, /piped in long password/);
    await signIn(a, "stdin@acme.example", "piped in long password");
    const bad = await a.cli("user", "create", "x@acme.example", "--account", "nobody");
    assert.equal(bad.code, 1);
    assert.match(bad.err, /no local account/);
  });
});
