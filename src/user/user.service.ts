import { randomBytes } from "node:crypto";
import type { AccountService, CreateAccountError } from "../account/account.service.ts";
import type { AccountRepository } from "../account/account.repository.ts";
import { err, ok, type Result } from "../lib/result.ts";
import type { Clock } from "../lib/time.ts";
import type { LoginThrottle } from "./login-throttle.ts";
import { hashToken } from "./session.store.ts";
import { dummyPasswordHash, hashPassword, needsRehash, verifyPassword, type Argon2Params } from "./password.ts";
import type { UserRepository } from "./user.repository.ts";
import {
  EMAIL_PATTERN, LOGIN_NAME_PATTERN, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH,
  type Role, type User,
} from "./user.entity.ts";

export type NewUserError = "invalid-email" | "invalid-username" | "weak-password" | "invalid-name" | "taken";
export type SetupError = NewUserError | "already-set-up" | "invalid-setup-token" | CreateAccountError;
export type CreateUserError = NewUserError | "no-such-account";
export type SignInError = "throttled" | "busy" | "invalid-credentials";
export type ChangePasswordError = "throttled" | "busy" | "wrong-password" | "weak-password" | "unknown-person";

export interface NewUserInput {
  readonly email: string;
  readonly username?: string | undefined;
  readonly displayName?: string | undefined;
  readonly password: string;
}

export interface SetupInput extends NewUserInput {
  /** The one-time token printed at start (`issueSetupToken`): without it, setup makes nobody owner. */
  readonly setupToken: string;
  /** The organisation account to create with the owner (optional: an existing account may be adopted). */
  readonly account?: { readonly username: string; readonly name?: string | undefined; readonly type?: string | undefined } | undefined;
}

/** A setup token is good for a day; every start while no person exists prints a fresh one. */
const SETUP_TOKEN_LIFETIME_MS = 24 * 3600_000;
const BAD_SETUP_TOKEN =
  "The setup token is missing, wrong, used or expired. Herold prints a fresh one to its console each time it starts while nobody is set up; or create the owner with herold user create.";

/**
 * People: first-run setup, `herold user create`, sign-in. Validation is here, not in the routes,
 * so the browser and the CLI give the same answers.
 */
export class UserService {
  readonly #users: UserRepository;
  readonly #accounts: AccountRepository;
  readonly #accountService: AccountService;
  readonly #throttle: LoginThrottle;
  readonly #clock: Clock;
  readonly #hashParams: Argon2Params | undefined;
  /** Setups in this process run one after another, so a racing second one sees the first owner. */
  #setupChain: Promise<unknown> = Promise.resolve();

  constructor(deps: {
    users: UserRepository;
    accounts: AccountRepository;
    accountService: AccountService;
    throttle: LoginThrottle;
    clock: Clock;
    hashParams?: Argon2Params;
  }) {
    this.#users = deps.users;
    this.#accounts = deps.accounts;
    this.#accountService = deps.accountService;
    this.#throttle = deps.throttle;
    this.#clock = deps.clock;
    this.#hashParams = deps.hashParams;
  }

  /** True until the first person exists: only then is the setup page open. */
  async needsSetup(): Promise<boolean> {
    return (await this.#users.count()) === 0;
  }

  /**
   * A new one-time setup token while no person exists (null otherwise), for the start banner. Only
   * its hash is stored, in the database, so any web process sharing it accepts the token; it is spent
   * by the setup that uses it, and every token dies when the first owner exists.
   */
  async issueSetupToken(): Promise<string | null> {
    if (!(await this.needsSetup())) return null;
    const token = randomBytes(32).toString("base64url");
    const now = this.#clock.now();
    await this.#users.addSetupToken(hashToken(token), now.toISOString(), new Date(now.getTime() + SETUP_TOKEN_LIFETIME_MS).toISOString());
    return token;
  }

  /**
   * Creates the owner, and optionally the first organisation account, while no person exists and
   * only with a valid setup token. The owner becomes owner of every existing account too (accounts
   * made with the CLI before setup).
   */
  setup(input: SetupInput): Promise<Result<User, SetupError>> {
    const run = this.#setupChain.then(() => this.#setup(input));
    this.#setupChain = run.catch(() => undefined);
    return run;
  }

  async #setup(input: SetupInput): Promise<Result<User, SetupError>> {
    if (!(await this.needsSetup())) return err("already-set-up", "Herold is already set up; sign in instead.");
    // Checked first: without the token nothing else happens, no password is hashed, no account made.
    const tokenHash = hashToken(input.setupToken.trim());
    if (!(await this.#users.hasSetupToken(tokenHash, this.#now()))) return err("invalid-setup-token", BAD_SETUP_TOKEN);
    const checked = await this.#validate(input);
    if (!checked.ok) return checked;
    if (input.account !== undefined && input.account.username.trim() !== "") {
      const created = await this.#accountService.create({ username: input.account.username, name: input.account.name, type: input.account.type });
      if (!created.ok) return created;
    }
    const accounts = await this.#accounts.list();
    const user = await this.#users.createOwner({ ...checked.value, memberships: accounts.map((a) => ({ accountId: a.id, role: "owner" as const })) }, this.#now(), tokenHash);
    switch (user) {
      case "users-exist":
        return err("already-set-up", "Herold is already set up; sign in instead.");
      case "bad-token":
        return err("invalid-setup-token", BAD_SETUP_TOKEN);
      default:
        return ok(user);
    }
  }

  /** `herold user create`: a person with a role for one account. */
  async create(input: NewUserInput & { accountUsername: string; role: Role }): Promise<Result<User, CreateUserError>> {
    const account = await this.#accounts.findByUsername(input.accountUsername.trim());
    if (account === null) return err("no-such-account", `there is no local account ${JSON.stringify(input.accountUsername)}`);
    const checked = await this.#validate(input);
    if (!checked.ok) return checked;
    try {
      return ok(await this.#users.create({ ...checked.value, memberships: [{ accountId: account.id, role: input.role }] }, this.#now()));
    } catch (error) {
      if (await this.#users.emailOrUsernameTaken(checked.value.email, checked.value.username)) return err("taken", "this e-mail address or name is already in use");
      throw error;
    }
  }

  /**
   * Checks a sign-in. Unknown names cost a full hash too (no timing oracle for which names exist).
   * The attempt is reserved with both throttles before any hashing, so parallel guesses are counted
   * as they arrive, not after their hashes are done; "busy" means too many checks are in flight.
   */
  async signIn(login: string, password: string, clientAddress: string): Promise<Result<User, SignInError>> {
    const person = login.length <= 320 ? await this.#users.findCredentials(login) : null;
    // One counter per person: a person's e-mail address and sign-in name share it, so alternating
    // between them does not double the guesses (rate-limit key confusion, hostile-inputs case 22;
    // src/hostile-inputs/pages.test.ts). Unknown names are counted as typed.
    const throttleName = person?.user.email ?? login;
    const decision = this.#throttle.reserve(throttleName, clientAddress);
    if (!decision.allowed) {
      return decision.key === "busy"
        ? err("busy", "Too many sign-ins are being checked right now. Try again in a few seconds.")
        : err("throttled", `Too many failed sign-ins. Try again in ${Math.ceil(decision.retryAfterSeconds / 60)} minute(s).`);
    }
    const { reservation } = decision;
    let valid = false;
    try {
      const found = password.length <= MAX_PASSWORD_LENGTH ? person : null;
      valid = (await verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), found?.passwordHash ?? (await dummyPasswordHash()))) && found !== null;
      if (!valid || found === null) return err("invalid-credentials", "The e-mail address or name and the password do not match.");
      if (needsRehash(found.passwordHash, this.#hashParams)) {
        await this.#users.setPasswordHash(found.user.id, await hashPassword(password, this.#hashParams), this.#now());
      }
      return ok(found.user);
    } finally {
      // Settled only now: the rehash above is Argon2 work too, so it stays inside the in-flight bound.
      if (valid) reservation.succeeded();
      else reservation.failed();
    }
  }

  /**
   * Changes a signed-in person's password. The current one is required and checked under the same
   * throttle as signing in (the person's counter and the client's), so a stolen session cannot
   * guess it faster than the sign-in form allows; every other session of the person ends with it.
   */
  async changePassword(input: { userId: string; sessionId: string; current: string; next: string; clientAddress: string }): Promise<Result<{ endedSessions: number }, ChangePasswordError>> {
    const user = await this.#users.findById(input.userId);
    const person = user === null ? null : await this.#users.findCredentials(user.email);
    if (person === null) return err("unknown-person", "This person no longer exists.");
    if (input.next.length < MIN_PASSWORD_LENGTH || input.next.length > MAX_PASSWORD_LENGTH) {
      return err("weak-password", `The new password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
    }
    const decision = this.#throttle.reserve(person.user.email, input.clientAddress);
    if (!decision.allowed) {
      return decision.key === "busy"
        ? err("busy", "Too many passwords are being checked right now. Try again in a few seconds.")
        : err("throttled", `Too many wrong passwords. Try again in ${Math.ceil(decision.retryAfterSeconds / 60)} minute(s).`);
    }
    let valid = false;
    try {
      valid = input.current.length <= MAX_PASSWORD_LENGTH && (await verifyPassword(input.current, person.passwordHash));
      if (!valid) return err("wrong-password", "The current password is not right.");
      const hash = await hashPassword(input.next, this.#hashParams);
      return ok({ endedSessions: await this.#users.changePassword(person.user.id, hash, input.sessionId, this.#now()) });
    } finally {
      if (valid) decision.reservation.succeeded();
      else decision.reservation.failed();
    }
  }

  async #validate(input: NewUserInput): Promise<Result<{ email: string; username: string | null; displayName: string; passwordHash: string }, NewUserError>> {
    const email = input.email.trim().toLowerCase();
    if (!EMAIL_PATTERN.test(email) || email.length > 254) return err("invalid-email", "Enter an e-mail address such as anna@example.org.");
    const usernameText = (input.username ?? "").trim().toLowerCase();
    const username = usernameText === "" ? null : usernameText;
    if (username !== null && !LOGIN_NAME_PATTERN.test(username)) {
      return err("invalid-username", "A sign-in name has 2–30 letters a–z, digits and _ (dots and dashes allowed inside).");
    }
    const displayName = (input.displayName ?? "").trim() || username || email.split("@")[0]!;
    if (displayName.length > 100) return err("invalid-name", "The name may have at most 100 characters.");
    if (input.password.length < MIN_PASSWORD_LENGTH || input.password.length > MAX_PASSWORD_LENGTH) {
      return err("weak-password", `The password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
    }
    if (await this.#users.emailOrUsernameTaken(email, username)) return err("taken", "This e-mail address or name is already in use.");
    return ok({ email, username, displayName, passwordHash: await hashPassword(input.password, this.#hashParams) });
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }
}
