/**
 * Every public URL Herold mints, in one place. Ids of actors, posts and activities must never change
 * once published (peers store them), so the layout lives here and nowhere else.
 *
 * One URL per thing: the same id answers ActivityPub JSON to servers and HTML to browsers.
 */
export class Urls {
  readonly origin: string;

  constructor(origin: URL) {
    this.origin = origin.origin;
  }

  actor(username: string): string {
    return `${this.origin}/users/${username}`;
  }
  profile(username: string): string {
    return `${this.origin}/@${username}`;
  }
  rsaKeyId(username: string): string {
    return `${this.actor(username)}#main-key`;
  }
  ed25519KeyId(username: string): string {
    return `${this.actor(username)}#ed25519-key`;
  }
  inbox(username: string): string {
    return `${this.actor(username)}/inbox`;
  }
  sharedInbox(): string {
    return `${this.origin}/inbox`;
  }
  outbox(username: string): string {
    return `${this.actor(username)}/outbox`;
  }
  followers(username: string): string {
    return `${this.actor(username)}/followers`;
  }
  following(username: string): string {
    return `${this.actor(username)}/following`;
  }
  liked(username: string): string {
    return `${this.actor(username)}/liked`;
  }
  featured(username: string): string {
    return `${this.actor(username)}/featured`;
  }
  post(username: string, postId: string): string {
    return `${this.actor(username)}/posts/${postId}`;
  }
  activity(username: string, activityId: string): string {
    return `${this.actor(username)}/activities/${activityId}`;
  }
  tag(tag: string): string {
    return `${this.origin}/tags/${encodeURIComponent(tag)}`;
  }
  media(mediaId: string, fileName: string): string {
    return `${this.origin}/media/${mediaId}/${fileName}`;
  }
  /** The instance actor signs fetches that are not on behalf of one account. */
  instanceActor(): string {
    return `${this.origin}/actor`;
  }

  /** Recognises this instance's post URLs: returns the username and post id, or null. */
  parsePost(uri: string): { username: string; postId: string } | null {
    if (!uri.startsWith(this.origin + "/")) return null;
    const match = /^\/users\/([^/]+)\/posts\/([0-9a-z]{26})$/.exec(uri.slice(this.origin.length));
    return match ? { username: match[1]!, postId: match[2]! } : null;
  }

  /** Recognises this instance's actor URLs (`/users/name` and `/@name`). */
  parseActor(uri: string): string | null {
    if (!uri.startsWith(this.origin + "/")) return null;
    const match = /^\/(?:users\/|@)([a-z0-9_.-]+)$/.exec(uri.slice(this.origin.length));
    return match ? match[1]! : null;
  }

  isLocal(uri: string): boolean {
    return uri === this.origin || uri.startsWith(this.origin + "/");
  }
}
