import { scaleBand, scaleLinear, type ScaleLinear } from "d3-scale";
import { area, line, stack } from "d3-shape";
import { html, type Html } from "../pages/html.ts";

/**
 * The Insights charts, drawn on the server as SVG: d3-scale and d3-shape compute the scales and the
 * paths (pure functions, no DOM), this file only places them. Each chart is `role="img"` with a
 * `<title>` and a `<desc>` that says what it shows in words; the page puts the same numbers in a
 * table beside it. Colours come from classes in app.css (light and dark schemes, no inline style —
 * the CSP forbids it); the viewBox lets a chart shrink to a phone's width.
 */
const WIDTH = 640;
const HEIGHT = 240;
const MARGIN = { top: 12, right: 12, bottom: 28, left: 48 } as const;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export interface ChartText {
  /** Unique on the page: the ids of the title and description derive from it. */
  readonly id: string;
  readonly title: string;
  readonly desc: string;
}

export interface Series {
  /** A class name (`k-likes` …) that colours the series; also the legend's swatch. */
  readonly key: string;
  readonly label: string;
  readonly values: readonly number[];
}

/** "3 Nov" for 2026-11-03: short enough for an axis. */
export function shortDate(date: string): string {
  const [, month, day] = date.split("-");
  return `${Number(day)} ${MONTHS[Number(month) - 1] ?? month}`;
}

/**
 * A line (with a light area below) of one value per slot: followers per day, a post's interactions
 * so far. Unless `zeroBased`, its axis spans the values, not 0 to the top, so that 12,000 → 12,075 is
 * visible as growth; the axis labels say where it starts. `labels` are what the x axis may show.
 */
export function lineChart(text: ChartText, labels: readonly string[], values: readonly number[], key: string, zeroBased = false): Html {
  const x = scaleBand<number>().domain(labels.map((_, i) => i)).range([MARGIN.left, WIDTH - MARGIN.right]).paddingInner(0);
  const y = zeroBased ? valueScale(values) : spanScale(values);
  const cx = (i: number) => (x(i) ?? 0) + x.bandwidth() / 2;
  const points = values.map((v, i) => [cx(i), y(v)] as [number, number]);
  const path = line()(points) ?? "";
  const fill = area().y0(y(y.domain()[0] ?? 0))(points) ?? "";
  return frame(text, html`${yAxis(y)}${xAxis(labels, cx)}
<path class="area ${key}" d="${fill}"></path><path class="line ${key}" d="${path}"></path>
${points.length <= 31 && points.map(([px, py]) => html`<circle class="dot ${key}" cx="${round(px)}" cy="${round(py)}" r="3"></circle>`)}`);
}

/** Stacked bars, one per day, one band per series: interactions by day and kind. */
export function stackedBars(text: ChartText, dates: readonly string[], series: readonly Series[]): Html {
  const rows = dates.map((_, i) => Object.fromEntries(series.map((s) => [s.key, s.values[i] ?? 0])) as Record<string, number>);
  const layers = stack<Record<string, number>>().keys(series.map((s) => s.key))(rows);
  const totals = rows.map((r) => series.reduce((sum, s) => sum + (r[s.key] ?? 0), 0));
  const x = scaleBand<number>().domain(dates.map((_, i) => i)).range([MARGIN.left, WIDTH - MARGIN.right]).padding(dates.length > 60 ? 0.05 : 0.2);
  const y = valueScale(totals);
  const cx = (i: number) => (x(i) ?? 0) + x.bandwidth() / 2;
  return frame(text, html`${yAxis(y)}${xAxis(dates.map(shortDate), cx)}
${layers.map((layer) => html`<g class="${layer.key}">${layer.map((segment, i) => {
    const height = y(segment[0]) - y(segment[1]);
    return height > 0 && html`<rect x="${round(x(i) ?? 0)}" y="${round(y(segment[1]))}" width="${round(x.bandwidth())}" height="${round(height)}"></rect>`;
  })}</g>`)}`);
}

/** Plain bars over labelled slots: a post's interactions by hour since publication. */
export function barChart(text: ChartText, labels: readonly string[], values: readonly number[], key: string, labelEvery: number): Html {
  const x = scaleBand<number>().domain(values.map((_, i) => i)).range([MARGIN.left, WIDTH - MARGIN.right]).padding(0.1);
  const y = valueScale(values);
  const ticks = labels.flatMap((label, i) => (i % labelEvery === 0 ? [{ label, at: (x(i) ?? 0) + x.bandwidth() / 2 }] : []));
  return frame(text, html`${yAxis(y)}${ticks.map((t) => html`<text class="tick" x="${round(t.at)}" y="${HEIGHT - 8}" text-anchor="middle">${t.label}</text>`)}
<g class="${key}">${values.map((v, i) => v > 0 && html`<rect x="${round(x(i) ?? 0)}" y="${round(y(v))}" width="${round(x.bandwidth())}" height="${round(y(0) - y(v))}"></rect>`)}</g>`);
}

/** The legend of a multi-series chart, in HTML (readable, wraps on a phone). */
export function legend(series: readonly Pick<Series, "key" | "label">[]): Html {
  return html`<ul class="legend">${series.map((s) => html`<li><span class="swatch ${s.key}" aria-hidden="true"></span>${s.label}</li>`)}</ul>`;
}

function frame(text: ChartText, body: Html): Html {
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${text.id}-title ${text.id}-desc">
<title id="${text.id}-title">${text.title}</title>
<desc id="${text.id}-desc">${text.desc}</desc>
${body}
</svg>`;
}

/** From 0 (counts never go below) to a round number above the largest value; 0–1 when all are 0. */
function valueScale(values: readonly number[]): ScaleLinear<number, number> {
  const max = Math.max(0, ...values);
  return scaleLinear().domain([0, max === 0 ? 1 : max]).nice(4).range([HEIGHT - MARGIN.bottom, MARGIN.top]);
}

/** From a round number below the smallest value to one above the largest; falls back to 0-based when flat. */
function spanScale(values: readonly number[]): ScaleLinear<number, number> {
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (values.length === 0 || min === max) return valueScale(values);
  return scaleLinear().domain([min, max]).nice(4).range([HEIGHT - MARGIN.bottom, MARGIN.top]);
}

function yAxis(y: ScaleLinear<number, number>): Html {
  // Whole numbers only: the charts count things.
  const ticks = y.ticks(4).filter((t) => Number.isInteger(t));
  return html`<g class="axis">${ticks.map((t) => html`<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${round(y(t))}" y2="${round(y(t))}"></line><text class="tick" x="${MARGIN.left - 6}" y="${round(y(t) + 4)}" text-anchor="end">${t.toLocaleString("en")}</text>`)}</g>`;
}

/** At most six labels, evenly spread, always the first and the last. */
function xAxis(labels: readonly string[], cx: (i: number) => number): Html {
  if (labels.length === 0) return html``;
  const count = Math.min(6, labels.length);
  const picks = count === 1 ? [0] : Array.from({ length: count }, (_, k) => Math.round((k * (labels.length - 1)) / (count - 1)));
  return html`<g class="axis">${[...new Set(picks)].map((i) => html`<text class="tick" x="${round(cx(i))}" y="${HEIGHT - 8}" text-anchor="${i === 0 && labels.length > 1 ? "start" : i === labels.length - 1 && labels.length > 1 ? "end" : "middle"}">${labels[i]!}</text>`)}</g>`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
