import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AS_PUBLIC } from "../content/validate.ts";
import { addressFor, visibilityOf } from "./addressing.ts";

const followers = "https://herold.test/users/alice/followers";
const bob = "https://remote.example/users/bob";
const carol = "https://other.example/users/carol";

describe("addressFor: the to/cc Mastodon expects", () => {
  test("public: to Public; cc followers and mentions", () => {
    assert.deepEqual(addressFor("public", followers, [bob, carol]), { to: [AS_PUBLIC], cc: [followers, bob, carol] });
  });
  test("unlisted: to followers; cc Public and mentions", () => {
    assert.deepEqual(addressFor("unlisted", followers, [bob]), { to: [followers], cc: [AS_PUBLIC, bob] });
  });
  test("followers: to followers; cc mentions only", () => {
    assert.deepEqual(addressFor("followers", followers, [bob]), { to: [followers], cc: [bob] });
  });
  test("direct: to mentions only, nothing in cc, no followers, no Public", () => {
    assert.deepEqual(addressFor("direct", followers, [bob, carol, bob]), { to: [bob, carol], cc: [] });
  });
});

describe("visibilityOf reads the addressing back", () => {
  test("round trip for every visibility", () => {
    for (const visibility of ["public", "unlisted", "followers", "direct"] as const) {
      const { to, cc } = addressFor(visibility, followers, [bob]);
      assert.equal(visibilityOf(to, cc, followers), visibility, visibility);
    }
  });
  test("the compact spellings of Public count", () => {
    assert.equal(visibilityOf(["as:Public"], [], null), "public");
    assert.equal(visibilityOf([followers], ["Public"], followers), "unlisted");
  });
  test("an unidentified collection is treated as direct (the narrower audience)", () => {
    assert.equal(visibilityOf(["https://remote.example/users/bob/some-collection"], [], "https://remote.example/users/bob/followers"), "direct");
    assert.equal(visibilityOf([followers], [], null), "direct");
  });
});
