/**
 * Domain events the outbound bridge turns into ActivityPub activities. Services emit them after
 * their write; they carry ids, not documents, so the bridge reads the committed state.
 */
export type DomainEvent =
  | { readonly type: "post.published"; readonly postId: string }
  | { readonly type: "post.updated"; readonly postId: string }
  | { readonly type: "post.deleted"; readonly postId: string }
  /** A local poll's counts changed or it ended: an Update(Question) that is not an edit. */
  | { readonly type: "poll.counted"; readonly postId: string }
  | { readonly type: "follow.requested"; readonly followId: string }
  | { readonly type: "follow.undone"; readonly followerId: string; readonly followeeId: string; readonly followUri: string }
  | { readonly type: "follow.accepted"; readonly followId: string }
  | { readonly type: "follow.rejected"; readonly followerId: string; readonly followeeId: string; readonly followUri: string }
  | { readonly type: "interaction.created"; readonly interactionId: string }
  | { readonly type: "interaction.undone"; readonly interactionId: string }
  | { readonly type: "block.created"; readonly blockId: string }
  | { readonly type: "block.removed"; readonly actorId: string; readonly targetId: string; readonly blockUri: string }
  | { readonly type: "account.updated"; readonly accountId: string };

export type DomainEventType = DomainEvent["type"];
export type EventOf<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;
