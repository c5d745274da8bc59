import type { ColumnType } from "kysely";

/**
 * Row types of the tables created in migrations/. Booleans are 0/1 integers and JSON is text on both
 * engines; repositories map rows to domain entities (see rows.ts).
 */
export interface DB {
  actors: ActorRow;
  accounts: AccountRow;
  posts: PostRow;
  post_edits: PostEditRow;
  post_mentions: PostMentionRow;
  post_tags: PostTagRow;
  media: MediaRow;
  follows: FollowRow;
  follow_events: FollowEventRow;
  interactions: InteractionRow;
  notifications: NotificationRow;
  blocks: BlockRow;
  domain_blocks: DomainBlockRow;
  reports: ReportRow;
  featured: FeaturedRow;
  outbox_activities: OutboxActivityRow;
  inbox_seen: InboxSeenRow;
  jobs: JobRow;
  hosts: HostRow;
  kv: KvRow;
  instance_actor: InstanceActorRow;
  users: UserRow;
  sessions: SessionRow;
  setup_tokens: SetupTokenRow;
  counters: CounterRow;
  home_feed: HomeFeedRow;
  memberships: MembershipRow;
  post_authors: PostAuthorRow;
  drafts: DraftRow;
  draft_changes: DraftChangeRow;
  compose_uploads: ComposeUploadRow;
  profile_link_checks: ProfileLinkCheckRow;
  delivery_outcomes: DeliveryOutcomeRow;
  page_views: PageViewRow;
  server_software: ServerSoftwareRow;
  insights_days: InsightsDayRow;
  insights_hosts: InsightsHostRow;
  insights_heat: InsightsHeatRow;
  insights_followers: InsightsFollowersRow;
  insights_posts: InsightsPostRow;
}

type Nullable<T> = T | null;
/** A column with a database default: optional on insert. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface ActorRow {
  id: string;
  uri: string;
  is_local: Defaulted<number>;
  type: string;
  username: string;
  domain: string;
  name: Nullable<string>;
  summary_html: Nullable<string>;
  url: Nullable<string>;
  inbox_url: Nullable<string>;
  shared_inbox_url: Nullable<string>;
  outbox_url: Nullable<string>;
  followers_url: Nullable<string>;
  following_url: Nullable<string>;
  featured_url: Nullable<string>;
  public_key_id: Nullable<string>;
  public_key_pem: Nullable<string>;
  icon_url: Nullable<string>;
  image_url: Nullable<string>;
  fields_json: Defaulted<string>;
  also_known_as_json: Defaulted<string>;
  moved_to_uri: Nullable<string>;
  manually_approves_followers: Defaulted<number>;
  discoverable: Defaulted<number>;
  emojis_json: Defaulted<string>;
  published_at: Nullable<string>;
  raw_json: Nullable<string>;
  fetched_at: Nullable<string>;
  gone_at: Nullable<string>;
  created_at: string;
  updated_at: string;
}

export interface AccountRow {
  id: string;
  actor_id: string;
  username: string;
  rsa_public_pem: string;
  rsa_private_pem: string;
  ed25519_public_pem: string;
  ed25519_private_pem: string;
  /** IANA zone in which insights count days and hours (migration 0017). */
  time_zone: Defaulted<string>;
  created_at: string;
  updated_at: string;
}

export interface PostRow {
  id: string;
  uri: string;
  actor_id: string;
  is_local: Defaulted<number>;
  type: string;
  state: string;
  visibility: string;
  source_text: Nullable<string>;
  content_html: Nullable<string>;
  summary: Nullable<string>;
  name: Nullable<string>;
  sensitive: Defaulted<number>;
  language: Nullable<string>;
  url: Nullable<string>;
  in_reply_to_uri: Nullable<string>;
  in_reply_to_id: Nullable<string>;
  quote_uri: Nullable<string>;
  quote_id: Nullable<string>;
  boost_of_id: Nullable<string>;
  conversation_uri: Nullable<string>;
  to_json: Defaulted<string>;
  cc_json: Defaulted<string>;
  emojis_json: Defaulted<string>;
  poll_json: Nullable<string>;
  card_json: Nullable<string>;
  raw_json: Nullable<string>;
  published_at: Nullable<string>;
  edited_at: Nullable<string>;
  scheduled_at: Nullable<string>;
  deleted_at: Nullable<string>;
  created_at: string;
  updated_at: string;
}

export interface PostEditRow {
  id: string;
  post_id: string;
  content_html: Nullable<string>;
  source_text: Nullable<string>;
  summary: Nullable<string>;
  name: Nullable<string>;
  edited_at: string;
}

export interface PostMentionRow {
  post_id: string;
  actor_uri: string;
  handle: Nullable<string>;
}

export interface PostTagRow {
  post_id: string;
  tag: string;
  /** The post's `is_local` (migration 0020): the hashtag page lists local posts only. */
  is_local: Defaulted<number>;
}

export interface MediaRow {
  id: string;
  actor_id: string;
  post_id: Nullable<string>;
  position: Defaulted<number>;
  kind: string;
  mime_type: Nullable<string>;
  remote_url: Nullable<string>;
  file_path: Nullable<string>;
  width: Nullable<number>;
  height: Nullable<number>;
  size_bytes: Nullable<number>;
  blurhash: Nullable<string>;
  description: Nullable<string>;
  created_at: string;
}

export interface FollowRow {
  id: string;
  follower_id: string;
  followee_id: string;
  state: string;
  uri: Nullable<string>;
  created_at: string;
  accepted_at: Nullable<string>;
  updated_at: string;
}

/** The follow history (migration 0003): one row per transition, never updated. */
export interface FollowEventRow {
  id: string;
  follower_id: string;
  followee_id: string;
  kind: string;
  reason: Nullable<string>;
  was_accepted: Defaulted<number>;
  created_at: string;
}

export interface InteractionRow {
  id: string;
  kind: string;
  post_id: string;
  actor_id: string;
  activity_uri: string;
  object_uri: Nullable<string>;
  content: Nullable<string>;
  created_at: string;
  undone_at: Nullable<string>;
}

export interface NotificationRow {
  id: string;
  actor_id: string;
  kind: string;
  from_actor_id: string;
  post_id: Nullable<string>;
  interaction_id: Nullable<string>;
  created_at: string;
  read_at: Nullable<string>;
}

export interface BlockRow {
  id: string;
  actor_id: string;
  target_id: string;
  uri: Nullable<string>;
  created_at: string;
}

export interface DomainBlockRow {
  domain: string;
  reason: Nullable<string>;
  created_at: string;
}

export interface ReportRow {
  id: string;
  uri: string;
  reporter_id: string;
  target_actor_id: Nullable<string>;
  object_uris_json: Defaulted<string>;
  content: Nullable<string>;
  created_at: string;
  resolved_at: Nullable<string>;
}

export interface FeaturedRow {
  actor_id: string;
  post_uri: string;
  created_at: string;
}

export interface OutboxActivityRow {
  id: string;
  uri: string;
  actor_id: string;
  type: string;
  object_uri: Nullable<string>;
  visibility: string;
  json: string;
  created_at: string;
}

export interface InboxSeenRow {
  uri: string;
  /** SHA-256 of the activity's canonical JSON (`activityDigest`); '' for rows from before migration 0011. */
  digest: string;
  received_at: string;
}

export interface JobRow {
  id: string;
  queue: string;
  payload: string;
  run_at: string;
  attempts: Defaulted<number>;
  locked_until: Nullable<string>;
  locked_by: Nullable<string>;
  last_error: Nullable<string>;
  dedupe_key: Nullable<string>;
  /** Who the job is on behalf of, for fair shares of a queue (`EnqueueItem.group`). */
  group_key: Nullable<string>;
  created_at: string;
}

export interface HostRow {
  domain: string;
  software: Nullable<string>;
  signature_spec: Nullable<string>;
  failure_days_json: Defaulted<string>;
  unavailable_since: Nullable<string>;
  last_success_at: Nullable<string>;
  last_failure_at: Nullable<string>;
  /** Why the last delivery to this host failed (migration 0005). */
  last_error: Nullable<string>;
  updated_at: string;
}

export interface KvRow {
  key: string;
  value: string;
  expires_at: Nullable<string>;
}

/** People who sign in to the web app (migration 0006). */
export interface UserRow {
  id: string;
  email: string;
  username: Nullable<string>;
  display_name: string;
  password_hash: string;
  time_zone: Nullable<string>;
  created_at: string;
  updated_at: string;
}

export interface SessionRow {
  id: string;
  user_id: string;
  account_id: Nullable<string>;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

/** One-time first-run setup tokens, by the SHA-256 of the token (migration 0012). */
/** Slotted counter deltas (migrations/0013_counters.ts, db/counters.ts); PostgreSQL returns bigint as text. */
export interface CounterRow {
  scope: string;
  name: string;
  slot: number;
  value: ColumnType<string | number, number, number>;
}

/** A local actor's home timeline, materialised (migrations/0014_home_feed.ts, post/home-feed.ts). */
export interface HomeFeedRow {
  feed_id: string;
  published_at: string;
  post_id: string;
  author_id: string;
}

export interface SetupTokenRow {
  id: string;
  created_at: string;
  expires_at: string;
}

export interface MembershipRow {
  id: string;
  user_id: string;
  account_id: string;
  role: string;
  created_at: string;
  updated_at: string;
  /** Where the home's "since your last visit" starts (migration 0022); null before a second visit. */
  home_seen_at: Defaulted<string | null>;
  /** The person's latest visit of the home for this account (migration 0022). */
  home_visited_at: Defaulted<string | null>;
}

export interface PostAuthorRow {
  post_id: string;
  user_id: Nullable<string>;
  created_at: string;
}

export interface ProfileLinkCheckRow {
  account_id: string;
  url: string;
  verified: Defaulted<number>;
  detail: Nullable<string>;
  checked_at: string;
}

/** A post's Create at one inbox (migration 0018, delivery module): pending, delivered or failed. */
export interface DeliveryOutcomeRow {
  activity_id: string;
  inbox: string;
  host: string;
  post_id: string;
  state: string;
  updated_at: string;
}

/** Views of an account's public pages per 15-minute UTC bucket (migration 0018, pages module); no visitor data. */
export interface PageViewRow {
  account_id: string;
  /** Start of the quarter hour, ISO-8601 UTC. */
  bucket: string;
  /** profile | post | feed */
  kind: string;
  crawler: number;
  views: number;
}

/** A remote server's NodeInfo software (migration 0018, federation module), or the error fetching it. */
export interface ServerSoftwareRow {
  host: string;
  software: Nullable<string>;
  version: Nullable<string>;
  fetched_at: string;
  error: Nullable<string>;
}

/** The instance actor's key pair (migration 0002): one row, id "main". */
export interface InstanceActorRow {
  id: string;
  rsa_public_pem: string;
  rsa_private_pem: string;
  created_at: string;
}

export interface DraftRow {
  id: string;
  account_id: string;
  user_id: Nullable<string>;
  state: string;
  text: string;
  content_warning: Nullable<string>;
  visibility: string;
  language: Nullable<string>;
  reply_to: Nullable<string>;
  quote: Nullable<string>;
  media_json: Defaulted<string>;
  scheduled_at: Nullable<string>;
  time_zone: Nullable<string>;
  claimed_at: Nullable<string>;
  post_id: Nullable<string>;
  error: Nullable<string>;
  created_at: string;
  updated_at: string;
  /** The person behind the current content or state (migration 0008); null: the worker or the CLI. */
  updated_by: Nullable<string>;
  /** Counts content changes (migration 0008). */
  revision: Defaulted<number>;
  /** The poll to publish with the post, a `PollDraft` as JSON (migration 0021). */
  poll_json: Nullable<string>;
  /** Media marked sensitive, 0/1 (migration 0021). */
  sensitive: Defaulted<number>;
}

/** An image uploaded with a refused submit or a preview, not in a draft yet (migration 0019). */
export interface ComposeUploadRow {
  media_id: string;
  account_id: string;
  user_id: string;
  created_at: string;
}

/** One change to a draft, who made it and when (migration 0008). */
export interface DraftChangeRow {
  id: string;
  draft_id: string;
  account_id: string;
  user_id: Nullable<string>;
  kind: string;
  revision: number;
  content_json: Nullable<string>;
  scheduled_at: Nullable<string>;
  created_at: string;
}

/** Insights rollups (migration 0017, owned by src/insights/): per local account and local day. */
export interface InsightsDayRow {
  actor_id: string;
  day: number;
  likes: Defaulted<number>;
  boosts: Defaulted<number>;
  replies: Defaulted<number>;
  quotes: Defaulted<number>;
  reactions: Defaulted<number>;
  followers_gained: Defaulted<number>;
  followers_lost: Defaulted<number>;
}

export interface InsightsHostRow {
  actor_id: string;
  day: number;
  host: string;
  interactions: Defaulted<number>;
}

export interface InsightsFollowersRow {
  actor_id: string;
  host: string;
  followers: Defaulted<number>;
}

export interface InsightsHeatRow {
  actor_id: string;
  hour_of_week: number;
  interactions: Defaulted<number>;
}

export interface InsightsPostRow {
  post_id: string;
  actor_id: string;
  published_at: string;
  likes: Defaulted<number>;
  boosts: Defaulted<number>;
  replies: Defaulted<number>;
  quotes: Defaulted<number>;
  reactions: Defaulted<number>;
  interactions: Defaulted<number>;
  accounts: Nullable<number>;
  servers: Nullable<number>;
  folded_at: Nullable<string>;
}
