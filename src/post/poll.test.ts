import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { countVote, openPoll, parsePollDraft, pollEnded, pollShares } from "./poll.ts";

describe("local polls", () => {
  test("blank option fields are dropped; 2…max distinct options, 5 minutes to 7 days", () => {
    const parsed = parsePollDraft({ options: [" Yes ", "", "No", "  "], multiple: false, durationSeconds: 3600 }, 4);
    assert.deepEqual(parsed, { ok: true, value: { options: ["Yes", "No"], multiple: false, durationSeconds: 3600 } });
    const refused = (options: string[], durationSeconds = 3600) => {
      const r = parsePollDraft({ options, multiple: false, durationSeconds }, 4);
      return r.ok ? null : r.message;
    };
    assert.match(refused(["Only"]) ?? "", /at least two/);
    assert.match(refused(["a", "b", "c", "d", "e"]) ?? "", /at most 4/);
    assert.match(refused(["Same", "same"]) ?? "", /different/);
    assert.match(refused(["a", "x".repeat(51)]) ?? "", /at most 50 characters/);
    assert.match(refused(["a", "b"], 60) ?? "", /between 5 minutes and 7 days/);
    assert.match(refused(["a", "b"], Number.NaN) ?? "", /between/);
    assert.match(refused(["a", "b"], 8 * 86400) ?? "", /between/);
  });

  test("the poll opens at publication and ends its duration later", () => {
    const poll = openPoll({ options: ["A", "B"], multiple: true, durationSeconds: 300 }, "2026-03-01T10:00:00.000Z");
    assert.deepEqual(poll, { options: [{ name: "A", votes: 0 }, { name: "B", votes: 0 }], multiple: true, endsAt: "2026-03-01T10:05:00.000Z", voters: 0 });
    assert.equal(pollEnded(poll, "2026-03-01T10:04:59.999Z"), false);
    assert.equal(pollEnded(poll, "2026-03-01T10:05:00.000Z"), true);
  });

  test("countVote: one more for the option, one more voter only for a first vote; shares of votes or of voters", () => {
    const at = "2026-03-01T10:00:00.000Z";
    const open = (multiple: boolean) => openPoll({ options: ["A", "B"], multiple, durationSeconds: 300 }, at);
    const single = countVote(countVote(countVote(open(false), "A", true), "B", true), "not an option", true);
    assert.deepEqual(single.options, [{ name: "A", votes: 1 }, { name: "B", votes: 1 }]);
    assert.equal(single.voters, 2);
    // x votes A and B, y votes B.
    const multiple = countVote(countVote(countVote(open(true), "A", true), "B", false), "B", true);
    assert.deepEqual(multiple.options, [{ name: "A", votes: 1 }, { name: "B", votes: 2 }]);
    assert.equal(multiple.voters, 2);
    assert.deepEqual(pollShares(single), [50, 50]);
    // Of voters for multiple choice (Mastodon's way): 1 of 2 and 2 of 2.
    assert.deepEqual(pollShares(multiple), [50, 100]);
    assert.deepEqual(pollShares(openPoll({ options: ["A", "B"], multiple: false, durationSeconds: 300 }, at)), [0, 0]);
  });
});
