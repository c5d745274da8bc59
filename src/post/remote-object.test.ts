import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseRemoteObject, type ParsedObject } from "./remote-object.ts";
import { ACTIVITYPUB_FIXTURES } from "../testing/fixtures.ts";

const FIXTURES = ACTIVITYPUB_FIXTURES.pathname;
const LIMITS = { maxAttachments: 16, maxTags: 100, maxPollOptions: 20, maxStringLength: 100_000 };

function fixture(path: string): Record<string, any> {
  return JSON.parse(readFileSync(join(FIXTURES, path), "utf8"));
}

/** The post inside a fixture: the object itself, or the object of a Create/Update (also inside a group's Announce). */
function postOf(json: Record<string, any>): Record<string, any> {
  let object = json;
  while (["Create", "Update", "Announce"].includes(object["type"]) && typeof object["object"] === "object") object = object["object"];
  return object;
}

function parse(path: string): ParsedObject {
  const result = parseRemoteObject(postOf(fixture(path)), LIMITS);
  assert.ok(result.ok, `${path}: ${!result.ok ? result.message : ""}`);
  return result.value;
}

describe("parseRemoteObject on every fixture", () => {
  const POST_TYPES = new Set(["Note", "Article", "Page", "Question", "Video", "Event", "ChatMessage"]);
  const files = readdirSync(FIXTURES).flatMap((dir) => readdirSync(join(FIXTURES, dir)).map((f) => `${dir}/${f}`));

  test("there are fixtures to read", () => {
    assert.ok(files.length > 100, `found ${files.length}`);
  });

  for (const file of files) {
    test(file, () => {
      const object = postOf(fixture(file));
      const result = parseRemoteObject(object, LIMITS);
      if (POST_TYPES.has(object["type"])) {
        assert.ok(result.ok, `${file}: ${!result.ok ? result.message : ""}`);
        // Whatever the peer sent, nothing executable survives into what is stored.
        for (const html of [result.value.contentHtml ?? ""]) {
          assert.doesNotMatch(html, /<script|javascript:|onerror=|<iframe|<img/i);
        }
      } else {
        assert.ok(!result.ok, `${file} (${object["type"]}) must not be taken for a post`);
      }
    });
  }
});

describe("what is kept from real peers", () => {
  test("Mastodon attachment: an image with its URL and media type", () => {
    const parsed = parse("mastodon/create-note-with-attachment.json");
    assert.deepEqual(parsed.attachments, [
      {
        kind: "image",
        url: "http://mastodon.example.org/system/media_attachments/files/000/000/002/original/334ce029e7bfb920.jpg",
        mediaType: "image/jpeg",
        description: null,
        width: null,
        height: null,
        blurhash: null,
      },
    ]);
    assert.deepEqual(parsed.to, ["https://www.w3.org/ns/activitystreams#Public"]);
    assert.deepEqual(parsed.cc, ["http://mastodon.example.org/users/admin/followers"]);
  });

  test("Mastodon poll: options with vote counts, end time, language from contentMap", () => {
    const parsed = parse("mastodon/create-question-poll.json");
    assert.equal(parsed.kind, "question");
    assert.deepEqual(parsed.poll, {
      options: [
        { name: "Dunno", votes: 0 },
        { name: "Everyone knows that!", votes: 1 },
        { name: "25 char limit is dumb", votes: 0 },
        { name: "I can't even fit a funny", votes: 1 },
      ],
      multiple: false,
      endsAt: "2019-05-11T09:03:36.000Z",
      voters: null,
    });
    assert.equal(parsed.language, "en");
  });

  test("Misskey poll without an end date", () => {
    assert.deepEqual(parse("misskey/question-poll-no-end-date.json").poll, {
      options: [
        { name: "Working", votes: 0 },
        { name: "Broken af", votes: 1 },
      ],
      multiple: false,
      endsAt: null,
      voters: null,
    });
  });

  test("quotes: FEP-044f, quoteUrl, quoteUri and _misskey_quote", () => {
    assert.equal(parse("misskey/note-quote.json").quote, "https://example.com/objects/43479e20-c0f8-4f49-bf7f-13fab8234924");
    assert.equal(parse("fedibird/note-quote-uri.json").quote, "https://fedibird.com/users/yamako/statuses/107699333438289729");
    const fep = parseRemoteObject({ id: "https://a.example/n/1", type: "Note", content: "x", attributedTo: "https://a.example/u", quote: { id: "https://b.example/n/2" } }, LIMITS);
    assert.ok(fep.ok);
    assert.equal(fep.value.quote, "https://b.example/n/2");
  });

  test("custom emoji and a content warning (Pleroma)", () => {
    const parsed = parse("pleroma/note-emoji-in-summary.json");
    assert.deepEqual(parsed.emojis, [
      { name: "joker_disapprove", url: "https://patch.cx/emoji/custom/joker_disapprove.png" },
      { name: "joker_smile", url: "https://patch.cx/emoji/custom/joker_smile.png" },
    ]);
    assert.equal(parsed.summary, ":joker_smile:");
    assert.equal(parsed.sensitive, true);
  });

  test("an Event becomes a card with title, link, attachment alt text and hashtags", () => {
    const parsed = parse("mobilizon/event.json");
    assert.equal(parsed.kind, "card");
    assert.equal(parsed.type, "Event");
    assert.equal(parsed.name, "Caledonian scottish dance class");
    assert.equal(parsed.card?.url, "https://rendezvous.nomagic.uk/events/b81c0531-a57c-497d-93ba-af0f8b255498");
    assert.equal(parsed.card?.title, "Caledonian scottish dance class");
    assert.ok(parsed.card?.summary?.startsWith("£6 each."));
    assert.deepEqual(parsed.hashtags, ["dance", "caledonian", "lesson"]);
    assert.equal(parsed.attachments[0]?.description, "Banner");
    assert.equal(parsed.language, "en");
  });

  test("a PeerTube video: Markdown content as escaped paragraphs, the HTML page as link", () => {
    const parsed = parse("peertube/video.json");
    assert.equal(parsed.kind, "card");
    assert.equal(parsed.url, "https://tilvids.com/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1");
    assert.ok(parsed.contentHtml?.startsWith("<p>Head to https://squarespace.com/thelinuxexperiment"));
    assert.deepEqual(parsed.attributedTo, ["https://tilvids.com/accounts/thelinuxexperiment", "https://tilvids.com/video-channels/thelinuxexperiment_channel"]);
  });

  test("Lemmy page: title, language object, link attachment", () => {
    const parsed = parse("lemmy/page.json");
    assert.equal(parsed.name, "Post title");
    assert.equal(parsed.language, "fr");
    assert.equal(parsed.attachments[0]?.url, "https://enterprise.lemmy.ml/pictrs/image/eOtYb9iEiB.png");
  });

  test("a web address on another origin is never the post's url (issue #10, item 5); a card still links it", () => {
    // Friendica and lotide link posts name the article they share as `url`: a link, not the post's address.
    const friendica = parse("friendica/page.json");
    assert.equal(friendica.url, null);
    const lotide = parse("lotide/page.json");
    assert.equal(lotide.url, null);
    // kroeg's Note on mastodon.example.org claims an address on mastodon.social.
    assert.equal(parse("kroeg/announce-inline-actor.json").url, null);

    const base = { id: "https://r1.example/notes/1", type: "Note", attributedTo: "https://r1.example/users/a", content: "<p>x</p>" };
    const claim = parseRemoteObject({ ...base, url: "https://r2.example/@b/1" }, LIMITS);
    assert.ok(claim.ok);
    assert.equal(claim.value.url, null);
    const list = parseRemoteObject({ ...base, url: [{ type: "Link", mediaType: "text/html", href: "https://r2.example/@b/1" }, "https://r1.example/@a/1"] }, LIMITS);
    assert.ok(list.ok);
    assert.equal(list.value.url, "https://r1.example/@a/1", "the first address on the object's own origin");
    const ported = parseRemoteObject({ ...base, url: "https://r1.example:8443/@a/1" }, LIMITS);
    assert.ok(ported.ok);
    assert.equal(ported.value.url, null, "another port is another origin");
    const own = parseRemoteObject({ ...base, url: "https://r1.example/@a/1" }, LIMITS);
    assert.ok(own.ok);
    assert.equal(own.value.url, "https://r1.example/@a/1");

    const video = parseRemoteObject({ ...base, type: "Video", name: "Clip", url: "https://r2.example/watch/1" }, LIMITS);
    assert.ok(video.ok);
    assert.equal(video.value.url, null);
    assert.equal(video.value.card?.url, "https://r2.example/watch/1", "shown as the card's link, never matched as the post's address");
  });

  test("mentions keep the handle", () => {
    assert.deepEqual(parse("ghost/create-note-with-mentions.json").mentions, [{ uri: "https://example.com/@test", handle: "test@example.com" }]);
  });
});

describe("hostile objects (hostile-inputs cases 14 and 16)", () => {
  const base = { id: "https://evil.example/notes/1", type: "Note", attributedTo: "https://evil.example/users/e" };

  test("scripts, handlers and dangerous links are removed from content", () => {
    const result = parseRemoteObject(
      { ...base, content: '<p onclick="x()">hi<script>alert(1)</script><a href="javascript:alert(1)">link</a><img src=x onerror=alert(1)></p>' },
      LIMITS,
    );
    assert.ok(result.ok);
    assert.equal(result.value.contentHtml, "<p>hilink</p>");
  });

  test("names and alt texts are plain text", () => {
    const result = parseRemoteObject(
      { ...base, name: "<b>Title</b>\u202e", content: "x", attachment: [{ type: "Document", mediaType: "image/png", url: "https://evil.example/a.png", name: "<script>x</script>alt" }] },
      LIMITS,
    );
    assert.ok(result.ok);
    assert.equal(result.value.name, "Title");
    assert.equal(result.value.attachments[0]?.description, "alt");
  });

  test("lists are capped while reading: poll options, attachments, tags", () => {
    const result = parseRemoteObject(
      {
        ...base,
        type: "Question",
        content: "poll",
        oneOf: Array.from({ length: 10_000 }, (_, i) => ({ type: "Note", name: `option ${i}`, replies: { totalItems: i } })),
        attachment: Array.from({ length: 1000 }, (_, i) => ({ type: "Document", mediaType: "image/png", url: `https://evil.example/${i}.png` })),
        tag: Array.from({ length: 5000 }, (_, i) => ({ type: "Hashtag", name: `#tag${i}` })),
      },
      LIMITS,
    );
    assert.ok(result.ok);
    assert.equal(result.value.poll?.options.length, LIMITS.maxPollOptions);
    assert.equal(result.value.attachments.length, LIMITS.maxAttachments);
    assert.equal(result.value.hashtags.length, LIMITS.maxTags);
  });

  test("long content is cut to the configured length", () => {
    const result = parseRemoteObject({ ...base, content: "a".repeat(500_000) }, { ...LIMITS, maxStringLength: 1000 });
    assert.ok(result.ok);
    assert.ok((result.value.contentHtml?.length ?? 0) <= 1000);
  });

  test("attachment URLs must be http(s) without credentials; counts must be sane numbers", () => {
    const result = parseRemoteObject(
      {
        ...base,
        content: "x",
        attachment: [
          { type: "Document", url: "javascript:alert(1)" },
          { type: "Document", url: "https://user:pw@evil.example/a.png" },
          { type: "Document", url: "data:image/png;base64,AAAA" },
          { type: "Document", url: "https://evil.example/ok.png", width: -5, height: 1e12, mediaType: "image/png<script>" },
        ],
      },
      LIMITS,
    );
    assert.ok(result.ok);
    assert.deepEqual(result.value.attachments, [
      { kind: "document", url: "https://evil.example/ok.png", mediaType: null, description: null, width: null, height: null, blurhash: null },
    ]);
  });

  test("wrong types everywhere do not throw", () => {
    for (const value of [5, "x", [], null, { id: 5 }, { id: "https://e.example/1", type: 5 }, { id: "ftp://e.example/1", type: "Note", content: "x" }]) {
      const result = parseRemoteObject(value, LIMITS);
      assert.equal(result.ok, false, JSON.stringify(value));
    }
    const odd = parseRemoteObject({ ...base, content: ["a"], to: 5, cc: [[]], tag: "x", attachment: 7, inReplyTo: [], published: "yesterday" }, LIMITS);
    assert.equal(odd.ok, false); // no usable content at all
    const ok = parseRemoteObject({ ...base, content: "a", to: 5, cc: [[]], tag: "x", attachment: 7, inReplyTo: [], published: "yesterday" }, LIMITS);
    assert.ok(ok.ok);
    assert.deepEqual([ok.value.to, ok.value.cc, ok.value.inReplyTo, ok.value.published], [[], [], null, null]);
  });

  test("unknown types are kept as cards, actors and activities are not posts", () => {
    const card = parseRemoteObject({ ...base, type: "Recipe", name: "Soup", content: "<p>Boil water</p>", url: "https://evil.example/soup" }, LIMITS);
    assert.ok(card.ok);
    assert.deepEqual(card.value.card, { title: "Soup", summary: "Boil water", url: "https://evil.example/soup", image: null });
    for (const type of ["Person", "Create", "Tombstone", "OrderedCollection"]) {
      const result = parseRemoteObject({ ...base, type, content: "x" }, LIMITS);
      assert.ok(!result.ok && result.error === "not-a-post", type);
    }
  });
});
