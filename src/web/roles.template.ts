import { html, type Html } from "../pages/html.ts";
import type { Role } from "../user/user.entity.ts";

/** What each role may do, in the words the app uses (the rules are `can` in src/user/user.entity.ts). */
export const ROLE_SUMMARIES: Record<Role, string> = {
  owner: "everything, including people and other owners",
  admin: "everything for the account: posts, the conversation, followers, the profile and people (not owners)",
  publisher: "publishes, schedules, edits and unschedules posts; answers the conversation; approves followers",
  author: "writes drafts and changes or deletes their own unscheduled drafts; a publisher publishes them",
};

/** The roles explained where people see their own (settings) and where roles are given. */
export const ROLE_EXPLANATIONS: Html = html`<details class="roles"><summary>What the roles allow</summary><dl>${(Object.keys(ROLE_SUMMARIES) as Role[]).map(
  (role) => html`<dt>${role}</dt><dd>${ROLE_SUMMARIES[role]}</dd>`,
)}</dl></details>`;
