import type { Account } from "../account/account.entity.ts";
import type { Session } from "../user/session.store.ts";
import type { MembershipWithAccount } from "../user/user.repository.ts";

/** What the session middleware puts on every signed-in request of the web app. */
export interface Member {
  readonly session: Session;
  /** Every account this person may act for (the account switcher). */
  readonly memberships: readonly MembershipWithAccount[];
  /** The account acted for on this request; `membership.role` decides what is allowed. */
  readonly membership: MembershipWithAccount;
  readonly account: Account;
  /** Synchroniser token for this session's forms. */
  readonly csrf: string;
  /** Unread notifications of the account acted for (pages only; 0 on form posts). */
  readonly unread: number;
}

export interface WebEnv {
  Variables: {
    member: Member;
    /** The session of a signed-in person without any membership (only sees a notice). */
    bareSession: Session;
    /** Pre-session CSRF token (sign-in and setup forms). */
    preCsrf: string;
  };
}
