import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AS_PUBLIC,
  asArray,
  hasPublicAddress,
  hrefOf,
  idOf,
  idsOf,
  isObject,
  isPublicAddress,
  localizedString,
  parseIri,
  stringOf,
  typesOf,
} from "./validate.ts";

describe("asArray", () => {
  test("undefined and null give [], a single value [value], an array itself", () => {
    assert.deepEqual(asArray(undefined, 10), []);
    assert.deepEqual(asArray(null, 10), []);
    assert.deepEqual(asArray("a", 10), ["a"]);
    assert.deepEqual(asArray({ id: "x" }, 10), [{ id: "x" }]);
    assert.deepEqual(asArray(["a", "b"], 10), ["a", "b"]);
    assert.deepEqual(asArray(0, 10), [0]);
  });

  test("a 100,000-element array is cut to the limit", () => {
    const tags = Array.from({ length: 100_000 }, (_, i) => ({ type: "Hashtag", name: `#t${i}` }));
    const capped = asArray(tags, 100);
    assert.equal(capped.length, 100);
    assert.deepEqual(capped[99], { type: "Hashtag", name: "#t99" });
  });

  test("odd limits", () => {
    assert.deepEqual(asArray("a", 0), []);
    assert.deepEqual(asArray([1, 2, 3], -5), []);
    assert.deepEqual(asArray([1, 2, 3], 2.7), [1, 2]);
  });
});

describe("idOf and idsOf", () => {
  test("a string IRI or an object's string id", () => {
    assert.equal(idOf("https://example.org/users/a"), "https://example.org/users/a");
    assert.equal(idOf({ id: "https://example.org/notes/1", type: "Note" }), "https://example.org/notes/1");
    assert.equal(idOf("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"), "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66");
  });

  test("anything else is null", () => {
    for (const value of [undefined, null, 5, true, [], ["https://example.org/"], {}, { id: 5 }, { id: { id: "https://x.example/" } }, "", "not an iri", "/relative/path"]) {
      assert.equal(idOf(value), null, JSON.stringify(value));
    }
  });

  test("whitespace, control characters and over-long ids are refused", () => {
    assert.equal(idOf("https://example.org/a b"), null);
    assert.equal(idOf("https://exa\tmple.org/"), null);
    assert.equal(idOf(" https://example.org/"), null);
    assert.equal(idOf("https://example.org/" + "a".repeat(5000)), null);
    assert.equal(idOf("https://example.org/abc", 10), null);
  });

  test("idsOf: one-or-many, invalid dropped, duplicates removed, capped", () => {
    assert.deepEqual(idsOf("https://a.example/", 10), ["https://a.example/"]);
    assert.deepEqual(
      idsOf(["https://a.example/", { id: "https://b.example/" }, 5, null, "https://a.example/", ["nested"]], 10),
      ["https://a.example/", "https://b.example/"],
    );
    assert.deepEqual(idsOf(Array.from({ length: 1000 }, (_, i) => `https://e.example/${i}`), 3).length, 3);
  });
});

describe("parseIri and hrefOf", () => {
  test("http and https URLs", () => {
    assert.equal(parseIri("https://example.org/users/alice")?.href, "https://example.org/users/alice");
    assert.equal(parseIri("http://example.org:8080/x?y#z")?.host, "example.org:8080");
    assert.equal(parseIri("https://Bücher.example/")?.hostname, "xn--bcher-kva.example");
  });

  test("refuses other schemes, user info, relative and malformed URLs", () => {
    for (const value of [
      "javascript:alert(1)", "data:text/plain,x", "ftp://example.org/", "file:///etc/passwd", "as:Public",
      "https://user@example.org/", "https://user:pw@example.org/", "https://mastodon.social@evil.example/",
      "//example.org/", "/users/alice", "https://", "http://[::1", "", 42, null, { href: "https://x.example/" },
    ]) {
      assert.equal(parseIri(value), null, JSON.stringify(value));
    }
  });

  test("refuses strings the URL parser would silently rewrite", () => {
    assert.equal(parseIri("https://exa\tmple.org/"), null);
    assert.equal(parseIri("https://example.org/\n"), null);
    assert.equal(parseIri(" https://example.org/"), null);
    assert.equal(parseIri("https:\\\\evil.example\\x"), null);
    assert.equal(parseIri("https://example.org/a b"), null);
  });

  test("length limit", () => {
    assert.equal(parseIri("https://example.org/" + "a".repeat(5000)), null);
    assert.ok(parseIri("https://example.org/" + "a".repeat(5000), 10_000));
  });

  test("hrefOf reads a Link or a string", () => {
    assert.equal(hrefOf({ type: "Link", href: "https://example.org/@a", mediaType: "text/html" })?.href, "https://example.org/@a");
    assert.equal(hrefOf("https://example.org/@a")?.href, "https://example.org/@a");
    assert.equal(hrefOf({ type: "Link", href: "javascript:alert(1)" }), null);
    assert.equal(hrefOf(["https://example.org/"]), null);
  });
});

describe("isPublicAddress and hasPublicAddress", () => {
  test("recognises the three spellings, as string or object", () => {
    assert.equal(isPublicAddress(AS_PUBLIC), true);
    assert.equal(isPublicAddress("as:Public"), true);
    assert.equal(isPublicAddress("Public"), true);
    assert.equal(isPublicAddress({ id: AS_PUBLIC }), true);
  });

  test("nothing else is public", () => {
    for (const value of ["http://www.w3.org/ns/activitystreams#Public#", "https://example.org/followers", "public", "as:public", null, 1, [AS_PUBLIC], {}]) {
      assert.equal(isPublicAddress(value), false, JSON.stringify(value));
    }
  });

  test("hasPublicAddress looks through one-or-many addresses within the limit", () => {
    assert.equal(hasPublicAddress(["https://example.org/followers", "as:Public"], 10), true);
    assert.equal(hasPublicAddress(AS_PUBLIC, 10), true);
    assert.equal(hasPublicAddress(undefined, 10), false);
    assert.equal(hasPublicAddress([...Array.from({ length: 20 }, (_, i) => `https://e.example/${i}`), AS_PUBLIC], 10), false);
  });
});

describe("localizedString and stringOf", () => {
  const note = {
    content: "<p>Hello</p>",
    contentMap: { en: "<p>Hello</p>", de: "<p>Hallo</p>", "pt-BR": "<p>Olá</p>" },
  };
  const options = { maxLength: 1000 };

  test("picks the requested language from the map", () => {
    assert.deepEqual(localizedString(note.content, note.contentMap, { ...options, language: "de" }), { text: "<p>Hallo</p>", language: "de" });
    assert.deepEqual(localizedString(note.content, note.contentMap, { ...options, language: "PT-br" }), { text: "<p>Olá</p>", language: "pt-BR" });
    assert.deepEqual(localizedString(note.content, note.contentMap, { ...options, language: "pt" }), { text: "<p>Olá</p>", language: "pt-BR" });
    assert.deepEqual(localizedString(note.content, note.contentMap, { ...options, language: "de-CH" }), { text: "<p>Hallo</p>", language: "de" });
  });

  test("without a match: the plain value (with its language when the map names it), else the first entry", () => {
    assert.deepEqual(localizedString(note.content, note.contentMap, { ...options, language: "fr" }), { text: "<p>Hello</p>", language: "en" });
    assert.deepEqual(localizedString(undefined, { ja: "こんにちは", en: "hi" }, options), { text: "こんにちは", language: "ja" });
    assert.deepEqual(localizedString("plain", undefined, options), { text: "plain", language: null });
    assert.equal(stringOf("plain", { en: "other" }, options), "plain");
  });

  test("wrong types give null, never a throw", () => {
    for (const [value, map] of [[undefined, undefined], [5, { en: 5 }], [["a"], null], [{ en: "x" }, "en"], [null, []]] as const) {
      assert.equal(stringOf(value, map, options), null, JSON.stringify([value, map]));
    }
    assert.equal(stringOf(undefined, { "not a language!": "x", en: 7 }, options), null);
  });

  test("long text is cut to maxLength code units, never inside a surrogate pair", () => {
    assert.equal(stringOf("x".repeat(10_000), undefined, { maxLength: 100 })?.length, 100);
    assert.equal(stringOf("ab😀", undefined, { maxLength: 3 }), "ab");
    assert.equal(stringOf("a\ud800b", undefined, options), "a\ufffdb");
  });

  test("a language map with 100,000 keys is not walked to the end", () => {
    const map: Record<string, string> = {};
    for (let i = 0; i < 100_000; i++) map[`x${i.toString(36).padStart(4, "a")}`] = "spam";
    map["en"] = "found";
    // Count the keys read instead of timing: the helper must stop long before the end of the map.
    let reads = 0;
    const counted = new Proxy(map, {
      get(target, key, receiver) {
        if (typeof key === "string") reads++;
        return Reflect.get(target, key, receiver);
      },
    });
    assert.deepEqual(localizedString(undefined, counted, { maxLength: 100, language: "en" }), { text: "spam", language: "xaaaa" });
    assert.ok(reads < 1000, `read ${reads} keys`);
  });
});

describe("isObject and typesOf", () => {
  test("isObject", () => {
    assert.equal(isObject({}), true);
    assert.equal(isObject([]), false);
    assert.equal(isObject(null), false);
    assert.equal(isObject("x"), false);
  });

  test("typesOf", () => {
    assert.deepEqual(typesOf({ type: "Note" }, 4), ["Note"]);
    assert.deepEqual(typesOf({ type: ["Note", 5, "", "Article"] }, 4), ["Note", "Article"]);
    assert.deepEqual(typesOf({ type: Array(100).fill("Note") }, 4).length, 4);
    assert.deepEqual(typesOf("Note", 4), []);
    assert.deepEqual(typesOf({}, 4), []);
  });
});
