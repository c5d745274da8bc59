import { Hono } from "hono";
import type { Clock } from "../lib/time.ts";
import { idFloor } from "../lib/id.ts";
import type { CalendarPost, PostRepository } from "../post/post.repository.ts";
import type { ScheduleService } from "../post/schedule/schedule.service.ts";
import { excerpt, htmlToPlainText } from "../content/text.ts";
import { html, type Html } from "../pages/html.ts";
import { zoneOf } from "./app.templates.ts";
import { sendPage } from "./respond.ts";
import { isId } from "../lib/id.ts";
import { daysInMonth, formatDate, formatTime, formatZoned, fromWallTime, parseWallTime, toWallTime } from "./time-zone.ts";
import type { WebEnv } from "./web.env.ts";
import { appLayout, type Shell } from "./web.layout.ts";

interface Day {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

interface Entry {
  readonly at: string;
  readonly kind: "scheduled" | "published";
  readonly label: string;
  readonly href: string;
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** Day arithmetic on calendar dates (no time zone involved: dates are the person's local dates). */
function addDays(d: Day, n: number): Day {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}
function weekday(d: Day): number {
  return (new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay() + 6) % 7; // Monday = 0
}
const key = (d: Day) => formatDate(d);

/**
 * Published posts shown per day; a day with more links on (the month to the week, the week to the
 * public profile from that day's end). An organisation that posts a hundred times a day would
 * otherwise fill a month with thousands of entries: unreadable, and each costs time to render.
 */
const PER_DAY = { month: 3, week: 12 } as const;

/** A post's label: its text as written when it is local, else its HTML's text (sanitize-html: ~0.2 ms a post). */
function labelOf(p: CalendarPost): string {
  return excerpt(p.summary ?? (p.sourceText ?? htmlToPlainText(p.contentHtml ?? "")).replace(/\s+/g, " "), 40) || "(images)";
}

/**
 * The calendar: scheduled and published posts of the account in a month grid or a week, in the
 * person's time zone. Plain links and a table: usable without JavaScript and with a screen reader.
 */
export interface CalendarRoutesDeps {
  readonly clock: Clock;
  readonly schedule: Pick<ScheduleService, "scheduledBetween" | "get">;
  readonly posts: Pick<PostRepository, "listLocalPublishedByDay">;
}

export function calendarRoutes(deps: CalendarRoutesDeps, shell: Shell): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get("/app/calendar", async (c) => {
    const member = c.get("member");
    const zone = zoneOf(member);
    const view = c.req.query("view") === "week" ? "week" : "month";
    const today = toWallTime(deps.clock.now(), zone);
    const parsed = parseWallTime(c.req.query("date") ?? "", "00:00");
    const anchor: Day = parsed ?? today;
    const first: Day = view === "month" ? addDays({ year: anchor.year, month: anchor.month, day: 1 }, -weekday({ year: anchor.year, month: anchor.month, day: 1 })) : addDays(anchor, -weekday(anchor));
    const weeks = view === "month" ? Math.ceil((weekday({ year: anchor.year, month: anchor.month, day: 1 }) + daysInMonth(anchor.year, anchor.month)) / 7) : 1;
    const last = addDays(first, weeks * 7);
    // Each day's bounds in the person's zone (a day is 23 or 25 hours when the clocks change).
    const gridDays = Array.from({ length: weeks * 7 }, (_, i) => addDays(first, i));
    const starts = [...gridDays, last].map((d) => fromWallTime({ ...d, hour: 0, minute: 0 }, zone));
    const from = starts[0]!;
    const to = starts.at(-1)!;
    const perDay = PER_DAY[view];

    const [scheduled, publishedByDay] = await Promise.all([
      deps.schedule.scheduledBetween(member.account, from, to),
      // One more than shown: whether the day has more.
      deps.posts.listLocalPublishedByDay(member.account.actorId, gridDays.map((_, i) => ({ from: starts[i]!, to: starts[i + 1]! })), perDay + 1),
    ]);
    const entries = new Map<string, Entry[]>();
    const more = new Map<string, Html>();
    const add = (e: Entry) => {
      const k = key(toWallTime(new Date(e.at), zone));
      entries.set(k, [...(entries.get(k) ?? []), e]);
    };
    for (const d of scheduled) add({ at: d.scheduledAt!, kind: "scheduled", label: excerpt(d.text.replace(/\s+/g, " "), 40) || "(images)", href: `/app/compose?draft=${d.id}` });
    for (const [i, published] of publishedByDay.entries()) {
      for (const p of published.slice(0, perDay)) add({ at: p.publishedAt, kind: "published", label: labelOf(p), href: `/app/posts/${p.id}` });
      if (published.length > perDay) {
        const d = gridDays[i]!;
        more.set(
          key(d),
          view === "month"
            ? html`<a class="more" href="/app/calendar?view=week&amp;date=${key(d)}">More posts this day</a>`
            : html`<a class="more" href="/@${member.account.username}?before=${idFloor(starts[i + 1]!.getTime())}">More public posts of this day on the profile</a>`,
        );
      }
    }
    for (const list of entries.values()) list.sort((a, b) => (a.at < b.at ? -1 : 1));

    const entryList = (d: Day): Html | null => {
      const list = entries.get(key(d)) ?? [];
      if (list.length === 0) return null;
      // Every time says its zone (issue #12, item 1): "18:00 Europe/Berlin".
      const overflow = more.get(key(d));
      return html`<ul>${list.map((e) => html`<li><a class="entry ${e.kind}" href="${e.href}"><time datetime="${e.at}">${formatTime(toWallTime(new Date(e.at), zone))} <span class="zone">${zone}</span></time> ${e.kind === "scheduled" ? "Scheduled" : "Published"}: ${e.label}</a></li>`)}${overflow === undefined ? null : html`<li>${overflow}</li>`}</ul>`;
    };
    const isToday = (d: Day) => key(d) === key(today);
    const prev = view === "month" ? { year: anchor.month === 1 ? anchor.year - 1 : anchor.year, month: anchor.month === 1 ? 12 : anchor.month - 1, day: 1 } : addDays(anchor, -7);
    const next = view === "month" ? { year: anchor.month === 12 ? anchor.year + 1 : anchor.year, month: anchor.month === 12 ? 1 : anchor.month + 1, day: 1 } : addDays(anchor, 7);
    const title = view === "month" ? `${MONTHS[anchor.month - 1]} ${anchor.year}` : `Week of ${first.day} ${MONTHS[first.month - 1]} ${first.year}`;

    const grid =
      view === "month"
        ? html`<table class="calendar"><caption class="visually-hidden">${title}</caption><thead><tr>${WEEKDAYS.map((w) => html`<th scope="col">${w}</th>`)}</tr></thead><tbody>${Array.from(
            { length: weeks },
            (_, w) => html`<tr>${Array.from({ length: 7 }, (_, i) => {
              const d = addDays(first, w * 7 + i);
              const list = entryList(d);
              const classes = [d.month !== anchor.month ? "other" : "", isToday(d) ? "today" : "", list === null ? "empty-day" : ""].filter(Boolean).join(" ");
              return html`<td${classes !== "" && html` class="${classes}"`}><span class="day">${WEEKDAYS[i]} ${d.day}</span>${list}</td>`;
            })}</tr>`,
          )}</tbody></table>`
        : html`<div class="week">${Array.from({ length: 7 }, (_, i) => {
            const d = addDays(first, i);
            return html`<section aria-label="${WEEKDAYS[i]} ${d.day} ${MONTHS[d.month - 1]}"><h2>${WEEKDAYS[i]} ${d.day}</h2>${entryList(d) ?? html`<p class="hint">—</p>`}</section>`;
          })}</div>`;

    // "Post scheduled for Sat, 27 Mar 2027, 18:00 Europe/Berlin": the time as booked, in the zone it was booked in.
    const done = c.req.query("done");
    const draftId = c.req.query("draft") ?? "";
    const booked = (done === "scheduled" || done === "rescheduled") && isId(draftId) ? await deps.schedule.get(member.account, draftId) : null;
    const noticeText =
      booked !== null && booked.state === "scheduled" && booked.scheduledAt !== null
        ? `Post ${done === "rescheduled" ? "rescheduled" : "scheduled"} for ${formatZoned(booked.scheduledAt, booked.timeZone ?? zone)}.${c.req.query("overlap") === "1" ? ` That time happens twice that night (the clocks go back); the first was taken, ${formatZoned(booked.scheduledAt, "UTC")}.` : ""}`
        : undefined;
    return sendPage(
      c,
      appLayout(shell, {
        title: "Calendar",
        nav: "calendar",
        member,
        notice: done,
        noticeText,
        body: html`<h1>Calendar: ${title}</h1>
<p class="hint">Times in ${zone}${member.session.user.timeZone === null ? " (confirm your time zone in Settings)" : ""}. <a href="/app/compose">New post</a> · <a href="/app/drafts">Drafts and scheduled posts</a></p>
<nav class="pager" aria-label="Calendar navigation">
<a href="/app/calendar?view=${view}&amp;date=${key(prev)}">Previous ${view}</a>
<span>${view === "month" ? html`<strong>Month</strong> · <a href="/app/calendar?view=week&amp;date=${key(anchor)}">Week</a>` : html`<a href="/app/calendar?view=month&amp;date=${key(anchor)}">Month</a> · <strong>Week</strong>`}</span>
<a href="/app/calendar?view=${view}&amp;date=${key(next)}">Next ${view}</a>
</nav>
${grid}`,
      }),
    );
  });

  return app;
}
