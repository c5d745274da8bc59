import { createReadStream } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { unreachable } from "../lib/result.ts";
import { Hono, type Context } from "hono";
import type { Urls } from "../app/urls.ts";
import { htmlToPlainText } from "../content/text.ts";
import { isId } from "../lib/id.ts";
import { mimeTypeForFile } from "../media/media.entity.ts";
import { html } from "../pages/html.ts";
import { can } from "../user/user.entity.ts";
import type { AppViews } from "./app.views.ts";
import { readForm } from "./form.ts";
import { fieldValueText, MAX_FIELDS, type LinkCheck, type ProfileService } from "./profile.service.ts";
import { sendPage } from "./respond.ts";
import type { Member, WebEnv } from "./web.env.ts";
import { appLayout, csrfField, type Shell } from "./web.layout.ts";

/** Avatars and headers of local accounts, public (profiles and other servers load them). */
export function profileImageRoutes(dataDir: string, profiles: ProfileService): Hono {
  const app = new Hono();
  app.on(["GET", "HEAD"], "/media/profile/:id/:file", async (c) => {
    const { id, file } = c.req.param();
    const mimeType = mimeTypeForFile(file);
    if (!isId(id) || mimeType === null || !file.startsWith(`${id}.`)) return c.notFound();
    const relative = await profiles.profileImage(id, file);
    if (relative === null) return c.notFound();
    const body = c.req.method === "HEAD" ? null : (Readable.toWeb(createReadStream(join(dataDir, relative))) as ReadableStream<Uint8Array>);
    return new Response(body, {
      headers: { "Content-Type": mimeType, "Cache-Control": "public, max-age=31536000, immutable", "Content-Security-Policy": "default-src 'none'; sandbox", "X-Content-Type-Options": "nosniff" },
    });
  });

  return app;
}

/** Profile settings of the account acted for. */
export function profileRoutes(urls: Pick<Urls, "profile">, shell: Shell, views: AppViews, profiles: ProfileService): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  const page = async (c: Context<WebEnv>, member: Member, options: { error?: string; status?: 200 | 400 | 403 | 422 } = {}) => {
    const account = member.account;
    const checks = new Map((await profiles.linkChecks(account.id)).map((l) => [l.url, l]));
    const fields = [...account.fields.map((f) => ({ name: f.name, value: fieldValueText(f.value) }))];
    while (fields.length < MAX_FIELDS) fields.push({ name: "", value: "" });
    const avatar = views.image(account.iconUrl);
    const header = views.image(account.imageUrl);
    const status = (value: string) => {
      const check: LinkCheck | undefined = checks.get(value);
      if (check === undefined) return null;
      return check.verified
        ? html`<p class="verified">✓ Verified: ${value} links back to this profile</p>`
        : html`<p class="hint">Not verified: ${check.detail ?? ""}</p>`;
    };
    // What the role may not change is shown read-only with the reason, not refused after submit (issue #12, item 6).
    const mayEdit = can(member.membership.role, "profile");
    return sendPage(
      c,
      appLayout(shell, {
        title: "Profile",
        nav: "profile",
        member,
        error: options.error,
        notice: c.req.query("done"),
        body: html`<h1>Profile of @${account.username}</h1>
<p><a href="${urls.profile(account.username)}">View the public profile</a></p>
${!mayEdit && html`<p class="notice" id="profile-readonly">You can read the profile; your role (${member.membership.role}) does not change it. Owners and admins do.</p>`}
<form method="post" action="/app/profile" enctype="multipart/form-data" class="stack">${csrfField(member)}
<fieldset class="plain"${!mayEdit && html` disabled aria-describedby="profile-readonly"`}>
<label for="name">Display name</label>
<input id="name" name="name" maxlength="100" required value="${account.name}">
<label for="bio">Bio</label>
<textarea id="bio" name="bio" rows="4" maxlength="2000">${htmlToPlainText(account.summaryHtml)}</textarea>
<fieldset><legend>Avatar and header</legend>
${avatar !== null && html`<img src="${avatar}" alt="Current avatar" width="96" height="96">`}
<label for="avatar">New avatar</label><input id="avatar" name="avatar" type="file" accept="image/jpeg,image/png,image/webp,image/gif">
${header !== null && html`<img src="${header}" alt="Current header" height="96">`}
<label for="header">New header</label><input id="header" name="header" type="file" accept="image/jpeg,image/png,image/webp,image/gif">
</fieldset>
<fieldset><legend>Profile fields</legend>
<p class="hint">A link is verified when the linked page links back to ${urls.profile(account.username)} with rel="me".</p>
${fields.map(
  (f, i) => html`<div class="row"><div><label for="field_name_${i}">Label ${i + 1}</label><input id="field_name_${i}" name="field_name_${i}" maxlength="255" value="${f.name}"></div>
<div><label for="field_value_${i}">Content ${i + 1}</label><input id="field_value_${i}" name="field_value_${i}" maxlength="2048" value="${f.value}"></div></div>${f.value !== "" && status(f.value)}`,
)}
</fieldset>
<fieldset><legend>Followers and discovery</legend>
<label><input type="checkbox" name="manually_approves_followers" value="1"${account.manuallyApprovesFollowers && html` checked`}> Approve followers by hand</label>
<label><input type="checkbox" name="discoverable" value="1"${account.discoverable && html` checked`}> Suggest this account in directories and search</label>
</fieldset>
</fieldset>
${mayEdit && html`<button type="submit">Save profile</button>`}
</form>
${mayEdit && html`<form method="post" action="/app/profile/verify">${csrfField(member)}<button type="submit" class="secondary">Check links again</button></form>`}`,
      }),
      options.status ?? 200,
    );
  };

  app.get("/app/profile", (c) => page(c, c.get("member")));

  // The body's size limit is applied in front of every /app route (body-limits.ts).
  app.post("/app/profile", async (c) => {
    const member = c.get("member");
    if (!can(member.membership.role, "profile")) return page(c, member, { error: "Your role does not allow editing the profile.", status: 403 });
    const form = await readForm(c);
    const file = async (name: string) => {
      const f = form.file(name);
      return f === null ? null : Buffer.from(await f.arrayBuffer());
    };
    const result = await profiles.update(member.account, {
      name: form.text("name", 200),
      bio: form.text("bio", 4000),
      fields: Array.from({ length: MAX_FIELDS }, (_, i) => ({ name: form.text(`field_name_${i}`, 300), value: form.text(`field_value_${i}`, 3000) })),
      manuallyApprovesFollowers: form.text("manually_approves_followers", 2) === "1",
      discoverable: form.text("discoverable", 2) === "1",
      avatar: await file("avatar"),
      header: await file("header"),
    });
    if (!result.ok) {
      switch (result.error) {
        case "invalid-name":
        case "bio-too-long":
        case "invalid-field":
        case "image":
          return page(c, member, { error: result.message, status: 422 });
        default:
          return unreachable(result.error);
      }
    }
    await profiles.verifyLinks(result.value);
    return c.redirect("/app/profile?done=profile", 303);
  });

  app.post("/app/profile/verify", async (c) => {
    const member = c.get("member");
    if (!can(member.membership.role, "profile")) return page(c, member, { error: "Your role does not allow editing the profile.", status: 403 });
    await profiles.verifyLinks(member.account);
    return c.redirect("/app/profile?done=verified", 303);
  });

  return app;
}
