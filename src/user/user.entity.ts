/**
 * A person who signs in to the web app. People are not ActivityPub actors: they act *for* local
 * accounts (the organisation, brand accounts) through memberships.
 */
export interface User {
  readonly id: string;
  /** Lower case; sign-in name. */
  readonly email: string;
  /** Optional second sign-in name, lower case. */
  readonly username: string | null;
  readonly displayName: string;
  /** IANA time zone chosen in the settings; null: the browser's zone (sent by the page), else UTC. */
  readonly timeZone: string | null;
  readonly createdAt: string;
}

/**
 * Roles, most powerful first. The set is designed for the later approval workflow:
 * - owner: everything, including people and other owners;
 * - admin: everything for the account, people except owners;
 * - publisher: publishes, schedules and (later) approves posts, answers the conversation;
 * - author: writes drafts and may schedule nothing; with the approval issue an author's post waits for a publisher.
 */
export const ROLES = ["owner", "admin", "publisher", "author"] as const;
export type Role = (typeof ROLES)[number];

export function parseRole(text: string): Role | null {
  const lower = text.trim().toLowerCase();
  return (ROLES as readonly string[]).includes(lower) ? (lower as Role) : null;
}

export interface Membership {
  readonly id: string;
  readonly userId: string;
  readonly accountId: string;
  readonly role: Role;
  readonly createdAt: string;
}

/** What a person may do for an account. One table so the checks cannot drift between routes. */
export type Permission =
  | "read" // timeline, notifications, calendar
  | "draft" // write and edit own drafts
  | "publish" // publish now or schedule, edit or cancel scheduled posts
  | "interact" // like, boost, reply, follow
  | "followers" // approve or reject follow requests, remove followers
  | "profile" // edit the account's profile
  | "people" // manage memberships
  | "insights"; // the account's Insights pages and downloads (a later analyst role may get only this)

const GRANTS: Record<Role, readonly Permission[]> = {
  owner: ["read", "draft", "publish", "interact", "followers", "profile", "people", "insights"],
  admin: ["read", "draft", "publish", "interact", "followers", "profile", "people", "insights"],
  publisher: ["read", "draft", "publish", "interact", "followers", "insights"],
  author: ["read", "draft", "insights"],
};

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

/** E-mail addresses: one @, no spaces, a dot-free local host is allowed (intranets); 254 characters at most. */
export const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]{1,189}$/;
/** Sign-in names: like account usernames, 2–30 characters. */
export const LOGIN_NAME_PATTERN = /^[a-z0-9_](?:[a-z0-9_.-]{0,28}[a-z0-9_])$/;
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 1024;
