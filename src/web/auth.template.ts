import { html, type Html } from "../pages/html.ts";
import { appLayout, type Shell } from "./web.layout.ts";

export interface SetupValues {
  readonly email: string;
  readonly username: string;
  readonly displayName: string;
  readonly accountUsername: string;
  readonly accountName: string;
  readonly hasAccounts: boolean;
  /** The one-time token from the console (prefilled from the banner's link). */
  readonly setupToken: string;
}

/** First run: the owner's sign-in and, optionally, the organisation account. */
export function setupPage(shell: Shell, csrf: string, values: SetupValues, error?: string): Html {
  return appLayout(shell, {
    title: "Set up Herold",
    error,
    body: html`<h1>Welcome to Herold</h1>
<p>Create the owner: the first person who signs in to this server. You can add colleagues later.</p>
<form method="post" action="/app/setup" class="stack">
<input type="hidden" name="csrf" value="${csrf}">
<label for="setup_token">Setup token</label>
<input id="setup_token" name="setup_token" autocomplete="off" spellcheck="false" required value="${values.setupToken}" aria-describedby="setup-token-hint">
<p id="setup-token-hint" class="hint">Herold printed it to its console when it started (the link there fills it in). It works once.</p>
<fieldset><legend>You</legend>
<label for="email">E-mail address</label>
<input id="email" name="email" type="email" autocomplete="email" required value="${values.email}">
<label for="username">Sign-in name <span class="hint">(optional)</span></label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" pattern="[a-z0-9_][a-z0-9_.\\-]{0,28}[a-z0-9_]" title="2–30 lower-case letters, digits, _ . or -" value="${values.username}" aria-describedby="username-hint">
<p id="username-hint" class="hint">2–30 lower-case letters (a–z), digits, _ . or -; no capitals or spaces.</p>
<label for="display_name">Your name</label>
<input id="display_name" name="display_name" autocomplete="name" maxlength="100" value="${values.displayName}">
<label for="password">Password <span class="hint">(at least 10 characters)</span></label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="10" required>
</fieldset>
<fieldset><legend>Your organisation's account${values.hasAccounts ? " (optional: accounts exist already)" : ""}</legend>
<label for="account_username">Username on the Fediverse</label>
<input id="account_username" name="account_username" autocapitalize="none" spellcheck="false" pattern="[a-z0-9_]([a-z0-9_.\\-]{0,28}[a-z0-9_])?" title="Lower-case letters, digits, _ . or -, up to 30" value="${values.accountUsername}" aria-describedby="account-hint">
<p id="account-hint" class="hint">Lower-case letters (a–z), digits, _ . or -, up to 30; the display name below can have capitals. People will follow it as @name@${shell.domain}.</p>
<label for="account_name">Display name</label>
<input id="account_name" name="account_name" maxlength="100" value="${values.accountName}">
</fieldset>
<button type="submit">Create owner</button>
</form>`,
  });
}

export function loginPage(shell: Shell, csrf: string, values: { login: string; next: string }, error?: string): Html {
  return appLayout(shell, {
    title: "Sign in",
    error,
    body: html`<h1>Sign in</h1>
<form method="post" action="/app/login" class="stack narrow">
<input type="hidden" name="csrf" value="${csrf}">
<input type="hidden" name="next" value="${values.next}">
<label for="login">E-mail address or sign-in name</label>
<input id="login" name="login" autocomplete="username" required value="${values.login}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  });
}
