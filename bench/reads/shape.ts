/**
 * The data set of issue #15, scaled by its number of posts: at 1,000,000 posts an organisation
 * account `acme` with 100,000 posts of its own, following 1,000 accounts and followed by 10,000,
 * 2,000,000 ledger rows (`interactions`) and about 200,000 notifications. Smaller sizes scale every
 * figure with it (at least a handful of each), which is also how the near-empty baseline is made.
 */
export interface Shape {
  /** Every posts row: acme's Notes + remote Notes + remote boosts (Announce rows) of acme's posts. */
  readonly posts: number;
  readonly acmePosts: number;
  readonly remoteNotes: number;
  /** Boosts of acme's posts: a ledger row and an Announce posts row each. */
  readonly boosts: number;
  /** Remote accounts acme follows (accepted); they write the remote Notes. */
  readonly followees: number;
  /** Remote accounts following acme (accepted). */
  readonly followers: number;
  /** Remote actors in all (followers, followees, those who like and boost). */
  readonly actors: number;
  /** Remote servers the actors live on. */
  readonly servers: number;
  /** Ledger rows on each of acme's posts (likes and boosts). */
  readonly interactionsPerPost: number;
  readonly boostsPerPost: number;
  /** Every n-th like or boost has a notification (acme's notifications total about posts / 5). */
  readonly notifyEvery: number;
  /** Every n-th remote Note mentions acme (ledger row `mention` and a notification). */
  readonly mentionEvery: number;
  /** Every n-th like was undone (ledger rows keep the undo). */
  readonly undoEvery: number;
  /** The history spans this many days, ending when the data set was built. */
  readonly days: number;
}

export function shapeFor(posts: number): Shape {
  if (!Number.isInteger(posts) || posts < 100) throw new Error(`--posts must be a whole number ≥ 100, got ${posts}`);
  const interactionsPerPost = 20;
  const boostsPerPost = 2;
  const acmePosts = Math.max(5, Math.round(posts / 10));
  const boosts = acmePosts * boostsPerPost;
  const remoteNotes = posts - acmePosts - boosts;
  const followers = Math.max(5, Math.round(posts / 100));
  const actors = Math.max(followers, 2 * interactionsPerPost, Math.round(posts / 50));
  return {
    posts,
    acmePosts,
    remoteNotes,
    boosts,
    followees: Math.max(3, Math.round(posts / 1000)),
    followers,
    actors,
    servers: Math.max(2, Math.round(actors / 40)),
    interactionsPerPost,
    boostsPerPost,
    notifyEvery: 11,
    mentionEvery: Math.min(100, Math.max(2, Math.floor(remoteNotes / 7))),
    undoEvery: 33,
    days: 3 * 365,
  };
}
