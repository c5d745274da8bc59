import { html, type Html } from "../pages/html.ts";

/**
 * How Insights figures read: grouped digits, percentages with one decimal, and every change said in
 * words ("up 12 (+15.0 %) from 80") so that nobody needs the colour to tell a rise from a fall.
 */
const integer = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });

export function num(n: number): string {
  return integer.format(n);
}

/** A fraction as a percentage: 0.0234 → "2.3 %". */
export function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}

/** The change of a count against the previous period, in words; the class only adds colour. */
export function countChange(current: number, previous: number): Html {
  const diff = current - previous;
  if (diff === 0) return html`<p class="change same">No change from ${num(previous)} in the previous period</p>`;
  const direction = diff > 0 ? "up" : "down";
  const relative = previous === 0 ? "" : ` (${diff > 0 ? "+" : "−"}${((Math.abs(diff) / previous) * 100).toFixed(1)} %)`;
  return html`<p class="change ${direction}"><span aria-hidden="true">${diff > 0 ? "▲" : "▼"} </span>${direction === "up" ? "Up" : "Down"} ${num(Math.abs(diff))}${relative} from ${num(previous)} in the previous period</p>`;
}

/** The change of a rate, in percentage points (a relative change of a rate confuses more than it says). */
export function rateChange(current: number, previous: number): Html {
  const points = Math.round((current - previous) * 1000) / 10;
  if (points === 0) return html`<p class="change same">No change from ${pct(previous)} in the previous period</p>`;
  const up = points > 0;
  return html`<p class="change ${up ? "up" : "down"}"><span aria-hidden="true">${up ? "▲" : "▼"} </span>${up ? "Up" : "Down"} ${Math.abs(points).toFixed(1)} percentage points from ${pct(previous)} in the previous period</p>`;
}

/** A number with its sign, for gains and losses: "+3", "−2", "0". */
export function signed(n: number): string {
  return n > 0 ? `+${num(n)}` : n < 0 ? `−${num(-n)}` : "0";
}
