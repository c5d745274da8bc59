import { html, type Html } from "../pages/html.ts";
import { timeZoneNames } from "./time-zone.ts";

/** The zone picker: every IANA zone, works without JavaScript; the script preselects the browser's zone while none is confirmed. */
export function zoneSelect(id: string, selected: string, detect: boolean, describedBy: string): Html {
  return html`<select id="${id}" name="time_zone" data-zone-select${detect && html` data-detect`} aria-describedby="${describedBy}">${timeZoneNames().map((z) => html`<option${z === selected && html` selected`}>${z}</option>`)}</select>`;
}

/**
 * Shown on every page while the person has confirmed no zone: times read "UTC" until then, and
 * the script preselects the zone the browser reports, so one press confirms it (issue #12, item 1).
 */
export function zoneBanner(csrf: string, next: string): Html {
  return html`<form method="post" action="/app/settings/time-zone" class="zone-banner" aria-labelledby="zone-banner-h">
<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="next" value="${next}">
<p id="zone-banner-h"><strong>Which time zone do you work in?</strong> Until you confirm it, times are shown in UTC.</p>
<label for="banner_zone">Your time zone</label> ${zoneSelect("banner_zone", "UTC", true, "zone-banner-h")}
<button type="submit">Confirm time zone</button>
</form>`;
}
