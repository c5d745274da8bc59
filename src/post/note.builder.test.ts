import assert from "node:assert/strict";
import { snapshot, test, describe } from "node:test";
import type { Selectable } from "kysely";
import type { Activity, Object as APObject } from "@fedify/vocab";
import { Urls } from "../app/urls.ts";
import { AS_PUBLIC } from "../content/validate.ts";
import type { MediaRow } from "../db/schema.ts";
import { offlineContextLoader } from "../federation/context-loader.ts";
import { addressFor } from "./addressing.ts";
import { buildAnnounce, buildCreate, buildDelete, buildLike, buildNote, buildTombstone, buildUndo, buildUpdate } from "./note.builder.ts";
import type { Post, Visibility } from "./post.entity.ts";
import type { MentionRef } from "./post.repository.ts";

/**
 * Every document the posts module sends, as JSON snapshots (src/post/note.builder.test.ts.snapshot,
 * refresh with `node --test --test-update-snapshots`), and checked against what Mastodon documents it
 * needs (docs.joinmastodon.org/spec/activitypub): a change in the output shows up in review, and a
 * change that breaks Mastodon's expectations fails even when the snapshot is refreshed.
 */
snapshot.setDefaultSnapshotSerializers([(value) => JSON.stringify(value, null, 2)]);

const urls = new Urls(new URL("https://herold.test"));
const AUTHOR = "https://herold.test/users/alice";
const FOLLOWERS = "https://herold.test/users/alice/followers";
const BOB = "https://remote.example/users/bob";
const POST_ID = "01jzzzzzzzzzzzzzzzzzzzzzzz";
const POST_URI = urls.post("alice", POST_ID);

function post(overrides: Partial<Post> = {}): Post {
  const visibility: Visibility = overrides.visibility ?? "public";
  const { to, cc } = addressFor(visibility, FOLLOWERS, [BOB]);
  return {
    id: POST_ID,
    uri: POST_URI,
    actorId: "actor-alice",
    isLocal: true,
    type: "Note",
    state: "published",
    visibility,
    sourceText: "Hello @bob@remote.example #Herold",
    contentHtml:
      '<p>Hello <span class="h-card" translate="no"><a href="https://remote.example/@bob" class="u-url mention">@<span>bob</span></a></span> <a href="https://herold.test/tags/Herold" class="mention hashtag" rel="tag">#<span>Herold</span></a></p>',
    summary: null,
    name: null,
    sensitive: false,
    language: "en",
    url: POST_URI,
    inReplyToUri: null,
    inReplyToId: null,
    quoteUri: null,
    quoteId: null,
    boostOfId: null,
    conversationUri: POST_URI,
    to: [...to],
    cc: [...cc],
    emojis: [],
    poll: null,
    card: null,
    publishedAt: "2026-03-01T10:00:00.000Z",
    editedAt: null,
    scheduledAt: null,
    deletedAt: null,
    createdAt: "2026-03-01T10:00:00.000Z",
    updatedAt: "2026-03-01T10:00:00.000Z",
    ...overrides,
  };
}

const MENTIONS: MentionRef[] = [{ actorUri: BOB, handle: "bob@remote.example" }];
const MEDIA: Selectable<MediaRow>[] = [
  {
    id: "01jzzzzzzzzzzzzzzzzzzzzzzm",
    actor_id: "actor-alice",
    post_id: POST_ID,
    position: 0,
    kind: "image",
    mime_type: "image/jpeg",
    remote_url: null,
    file_path: "media/01jzzzzzzzzzzzzzzzzzzzzzzm.jpg",
    width: 1200,
    height: 800,
    size_bytes: 12345,
    blurhash: null,
    description: "A lighthouse at dusk",
    created_at: "2026-03-01T10:00:00.000Z",
  },
];

function note(p: Post = post(), media: Selectable<MediaRow>[] = []) {
  return buildNote({ post: p, authorUri: AUTHOR, mentions: MENTIONS, tags: ["herold"], media }, urls);
}

/** What the bridge does: mint the id, compact once. */
async function json(object: APObject | Activity, id?: string): Promise<Record<string, any>> {
  const withId = id ? object.clone({ id: new URL(id) }) : object;
  return (await withId.toJsonLd({ format: "compact", contextLoader: offlineContextLoader })) as Record<string, any>;
}

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const isPublic = (value: unknown) => value === AS_PUBLIC || value === "as:Public" || value === "Public";

/** Mastodon's requirements for a status (spec/activitypub, "Note"). */
function assertMastodonNote(doc: Record<string, any>, expected: { to: string[]; cc: string[] }): void {
  assert.equal(doc["type"], "Note");
  assert.equal(doc["id"], POST_URI);
  assert.equal(doc["attributedTo"], AUTHOR);
  assert.equal(typeof doc["content"], "string");
  assert.match(doc["published"], /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  assert.equal(doc["url"], POST_URI);
  assert.deepEqual(list(doc["to"]).map((a) => (isPublic(a) ? AS_PUBLIC : a)), expected.to);
  assert.deepEqual(list(doc["cc"]).map((a) => (isPublic(a) ? AS_PUBLIC : a)), expected.cc);
  assert.equal(typeof doc["sensitive"], "boolean");
}

describe("Note", () => {
  for (const visibility of ["public", "unlisted", "followers", "direct"] as const) {
    test(`${visibility}: addressing as Mastodon expects`, async (t) => {
      const doc = await json(note(post({ visibility })));
      assertMastodonNote(doc, addressFor(visibility, FOLLOWERS, [BOB]) as { to: string[]; cc: string[] });
      if (visibility === "direct") assert.ok(![...list(doc["to"]), ...list(doc["cc"])].some(isPublic) && !list(doc["to"]).includes(FOLLOWERS));
      t.assert.snapshot(doc);
    });
  }

  test("mentions and hashtags are tagged; language as contentMap", async (t) => {
    const doc = await json(note());
    assert.deepEqual(list(doc["tag"]), [
      { type: "Mention", href: BOB, name: "@bob@remote.example" },
      { type: "Hashtag", href: "https://herold.test/tags/herold", name: "#herold" },
    ]);
    assert.deepEqual(doc["contentMap"], { en: doc["content"] });
    t.assert.snapshot(doc);
  });

  test("content warning: summary and sensitive", async (t) => {
    const doc = await json(note(post({ summary: "Spoilers", sensitive: true })));
    assert.equal(doc["summary"], "Spoilers");
    assert.equal(doc["sensitive"], true);
    t.assert.snapshot(doc);
  });

  test("reply and quote: inReplyTo, FEP-044f quote with quoteUrl, quoteUri and _misskey_quote", async (t) => {
    const quoted = "https://remote.example/users/bob/statuses/2";
    const doc = await json(note(post({ inReplyToUri: "https://remote.example/users/bob/statuses/1", quoteUri: quoted })));
    assert.equal(doc["inReplyTo"], "https://remote.example/users/bob/statuses/1");
    for (const key of ["quote", "quoteUrl", "quoteUri", "_misskey_quote"]) assert.equal(doc[key], quoted, key);
    t.assert.snapshot(doc);
  });

  test("image attachment: Document with mediaType, same-origin url, alt text as name, size", async (t) => {
    const doc = await json(note(post(), MEDIA));
    assert.deepEqual(list(doc["attachment"]), [
      {
        type: "Document",
        mediaType: "image/jpeg",
        url: "https://herold.test/media/01jzzzzzzzzzzzzzzzzzzzzzzm/01jzzzzzzzzzzzzzzzzzzzzzzm.jpg",
        name: "A lighthouse at dusk",
        width: 1200,
        height: 800,
      },
    ]);
    t.assert.snapshot(doc);
  });
});

describe("activities", () => {
  const ACTIVITY = "https://herold.test/users/alice/activities/01jzzzzzzzzzzzzzzzzzzzzzza";

  test("Create: same actor as attributedTo, embedded Note, same addressing, published", async (t) => {
    const p = post();
    const doc = await json(buildCreate(note(p), p, AUTHOR), ACTIVITY);
    assert.equal(doc["type"], "Create");
    assert.equal(doc["id"], ACTIVITY);
    assert.equal(doc["actor"], doc["object"]["attributedTo"]);
    assert.deepEqual(doc["to"], doc["object"]["to"]);
    assert.deepEqual(doc["cc"], doc["object"]["cc"]);
    assert.equal(doc["published"], doc["object"]["published"]);
    assertMastodonNote(doc["object"], { to: [AS_PUBLIC], cc: [FOLLOWERS, BOB] });
    t.assert.snapshot(doc);
  });

  test("Update: the Note carries `updated` (Mastodon applies edits only then)", async (t) => {
    const p = post({ editedAt: "2026-03-01T11:00:00.000Z", contentHtml: "<p>Edited</p>" });
    const doc = await json(buildUpdate(note(p), p, AUTHOR, p.editedAt!), ACTIVITY);
    assert.equal(doc["type"], "Update");
    assert.equal(doc["actor"], AUTHOR);
    assert.equal(doc["object"]["updated"], "2026-03-01T11:00:00Z");
    assert.equal(doc["object"]["id"], POST_URI);
    t.assert.snapshot(doc);
  });

  test("Delete: a Tombstone with the post's id, to everyone who got the post", async (t) => {
    const p = post({ state: "deleted", deletedAt: "2026-03-01T12:00:00.000Z", contentHtml: null });
    const doc = await json(buildDelete(p, AUTHOR), ACTIVITY);
    assert.equal(doc["type"], "Delete");
    assert.equal(doc["actor"], AUTHOR);
    assert.deepEqual({ type: doc["object"]["type"], id: doc["object"]["id"] }, { type: "Tombstone", id: POST_URI });
    assert.ok(list(doc["to"]).some(isPublic));
    t.assert.snapshot(doc);
    const tombstone = await json(buildTombstone(p));
    assert.deepEqual([tombstone["type"], tombstone["id"], tombstone["deleted"]], ["Tombstone", POST_URI, "2026-03-01T12:00:00Z"]);
  });

  test("Like: the post by id, addressed to its author", async (t) => {
    const doc = await json(buildLike(AUTHOR, "https://remote.example/users/bob/statuses/1", BOB, "2026-03-01T10:05:00.000Z"), ACTIVITY);
    assert.deepEqual([doc["type"], doc["actor"], doc["object"]], ["Like", AUTHOR, "https://remote.example/users/bob/statuses/1"]);
    assert.deepEqual(list(doc["to"]), [BOB]);
    t.assert.snapshot(doc);
  });

  test("Announce of a public post: to Public, cc the booster's followers and the author", async (t) => {
    const doc = await json(buildAnnounce(AUTHOR, FOLLOWERS, { uri: "https://remote.example/users/bob/statuses/1", visibility: "public" }, BOB, "2026-03-01T10:05:00.000Z"), ACTIVITY);
    assert.deepEqual([doc["type"], doc["actor"], doc["object"]], ["Announce", AUTHOR, "https://remote.example/users/bob/statuses/1"]);
    assert.ok(list(doc["to"]).every(isPublic) && list(doc["to"]).length === 1);
    assert.deepEqual(list(doc["cc"]), [FOLLOWERS, BOB]);
    assert.equal(doc["published"], "2026-03-01T10:05:00Z");
    t.assert.snapshot(doc);
  });

  test("Announce of an unlisted post stays unlisted: to followers, cc Public and the author", async () => {
    const doc = await json(buildAnnounce(AUTHOR, FOLLOWERS, { uri: "https://remote.example/n/1", visibility: "unlisted" }, BOB, "2026-03-01T10:05:00.000Z"), ACTIVITY);
    assert.deepEqual(list(doc["to"]), [FOLLOWERS]);
    assert.ok(isPublic(list(doc["cc"])[0]));
    assert.equal(list(doc["cc"])[1], BOB);
  });

  test("Undo of a Like embeds the Like (Mastodon reads its object) with the same addressing", async (t) => {
    const like = buildLike(AUTHOR, "https://remote.example/users/bob/statuses/1", BOB, "2026-03-01T10:05:00.000Z").clone({ id: new URL(ACTIVITY) });
    const doc = await json(buildUndo(AUTHOR, like, "2026-03-01T10:06:00.000Z"), "https://herold.test/users/alice/activities/01jzzzzzzzzzzzzzzzzzzzzzzb");
    assert.equal(doc["type"], "Undo");
    assert.equal(doc["actor"], AUTHOR);
    assert.deepEqual([doc["object"]["type"], doc["object"]["id"], doc["object"]["actor"], doc["object"]["object"]], ["Like", ACTIVITY, AUTHOR, "https://remote.example/users/bob/statuses/1"]);
    assert.deepEqual(list(doc["to"]), [BOB]);
    t.assert.snapshot(doc);
  });

  test("Undo of an Announce embeds the Announce by its id", async (t) => {
    const announce = buildAnnounce(AUTHOR, FOLLOWERS, { uri: "https://remote.example/users/bob/statuses/1", visibility: "public" }, BOB, "2026-03-01T10:05:00.000Z").clone({
      id: new URL(ACTIVITY),
    });
    const doc = await json(buildUndo(AUTHOR, announce, "2026-03-01T10:06:00.000Z"), "https://herold.test/users/alice/activities/01jzzzzzzzzzzzzzzzzzzzzzzc");
    assert.deepEqual([doc["object"]["type"], doc["object"]["id"]], ["Announce", ACTIVITY]);
    assert.ok(list(doc["to"]).some(isPublic));
    assert.deepEqual(list(doc["cc"]), [FOLLOWERS, BOB]);
    t.assert.snapshot(doc);
  });
});
