/**
 * The inbox fuzzer (test support; run by bench/fuzz.ts and, briefly, by src/hostile-inputs/fuzz.test.ts).
 *
 * Each case is generated from (seed, index) alone: a fixture from src/testing/fixtures/activitypub,
 * structural, textual and byte-level mutations, and — for cases sent over HTTP — signature headers
 * that are genuine or mutated (mutate-signature.ts). Cases go to the fuzz instance (target.ts) over
 * HTTP with signatures, or directly to the receiver and handlers with verification bypassed.
 *
 * Checked after every case: no unexpected status (5xx, a status the inbox never sends), no
 * unexpected exception, no error logged, and a refused activity never reserves its id. After every
 * batch: the database invariants (invariants.ts), and RSS against the baseline. Uncaught exceptions
 * and unhandled rejections anywhere in the process are findings too. Every finding names the seed
 * and case index that reproduce it.
 */
import { isObject } from "../../content/validate.ts";
import type { LogCapture } from "../logs.ts";
import { mutateBytes, mutateStructure, mutateText, type MutationContext } from "./mutate-json.ts";
import { signedCase } from "./mutate-signature.ts";
import { Rng } from "./random.ts";
import { startFuzzTarget, type FuzzTarget } from "./target.ts";
import type { Engine } from "../../testing/databases.ts";

export interface FuzzOptions {
  readonly count: number;
  readonly seed: number;
  readonly engine?: Engine;
  /** Cases between invariant checks and RSS samples (default 250). */
  readonly batch?: number;
  /** RSS growth over the baseline that counts as a finding (default 512 MiB). */
  readonly maxRssGrowthMb?: number;
  /** Share of cases sent over HTTP with signatures (default 0.4); the rest bypass verification. */
  readonly httpShare?: number;
  /** Only this case (a reproducer); `count` is ignored. */
  readonly only?: number;
  readonly logs?: LogCapture;
  readonly onProgress?: (done: number, report: FuzzReport) => void;
  /** Prints each case before it runs (with `only`). */
  readonly onCase?: (description: CaseDescription) => void;
}

export interface Finding {
  readonly seed: number;
  readonly caseIndex: number;
  readonly kind: "uncaught" | "unhandled-rejection" | "http-status" | "exception" | "error-logged" | "invariant" | "id-reserved" | "memory";
  readonly detail: string;
  readonly reproduce: string;
}

export interface FuzzReport {
  cases: number;
  seconds: number;
  outcomes: Record<string, number>;
  mutations: Record<string, number>;
  findings: Finding[];
  rss: { baselineMb: number; peakMb: number; lastMb: number };
}

export interface CaseDescription {
  readonly index: number;
  readonly mode: "http" | "direct";
  readonly fixture: string;
  readonly mutations: readonly string[];
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly id: string | null;
}

const INBOX_STATUSES = new Set([202, 400, 401, 403, 404, 413, 415, 503]);

/** Builds case `index` of run `seed` against `target` (deterministic apart from signature bytes and times). */
export function generateCase(seed: number, index: number, target: FuzzTarget, httpShare: number): CaseDescription {
  const rng = new Rng(seed, index);
  const fixture = rng.pick(target.fixtures);
  const document = structuredClone(fixture.json) as Record<string, any>;
  const ctx: MutationContext = { ids: target.ids, localIds: target.localIds, maxString: target.config.limits.maxStringLength };
  const mode = rng.chance(httpShare) ? "http" : "direct";
  const mutations: string[] = [];
  const signer = rng.pick(target.signers);
  if (mode === "http" && rng.chance(0.75)) {
    // Re-home the activity on the signer, so a genuine signature gets it past the door.
    document["actor"] = signer.id;
    if (rng.chance(0.8)) document["id"] = `${signer.id}/activities/${seed}-${index}`;
    if (isObject(document["object"]) && rng.chance(0.6)) {
      document["object"] = { ...document["object"], attributedTo: signer.id, id: `${signer.id}/objects/${seed}-${index}` };
    }
    mutations.push("rehomed");
  } else if (rng.chance(0.5) && typeof document["id"] === "string") {
    // A fresh id, so the case is not just a duplicate of the fixture.
    document["id"] = `${document["id"]}${document["id"].includes("#") ? "-" : "#"}fuzz-${seed}-${index}`;
  }
  if (rng.chance(0.85)) mutations.push(...mutateStructure(rng, document, ctx));
  let text = JSON.stringify(document);
  if (rng.chance(0.08)) {
    const mutated = mutateText(rng, text, ctx);
    text = mutated.text;
    mutations.push(mutated.name);
  }
  let body: Uint8Array = new TextEncoder().encode(text);
  if (rng.chance(0.04)) {
    const mutated = mutateBytes(rng, body);
    body = mutated.bytes;
    mutations.push(mutated.name);
  }
  const id = typeof document["id"] === "string" ? document["id"] : null;
  if (mode === "direct") {
    return { index, mode, fixture: fixture.name, mutations, url: "", headers: {}, body, id };
  }
  const toCarol = rng.chance(0.6);
  const url = `${target.origin}${toCarol ? "/users/carol/inbox" : "/inbox"}`;
  const other = target.signers.find((s) => s !== signer)!;
  const signed = signedCase(rng, { url, body, keyId: signer.keyId, privateKey: signer.privateKey, otherKeyId: other.keyId, localKeyId: `${target.origin}/users/carol#main-key`, now: new Date() });
  mutations.push(`sig:${signed.name}`);
  const headers = rng.chance(0.02) ? { ...signed.headers, "content-type": rng.pick(["text/plain", "application/x-www-form-urlencoded", "", "application/activity+json; charset=latin1"]) } : signed.headers;
  return { index, mode, fixture: fixture.name, mutations, url: signed.url, headers, body, id };
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const batch = options.batch ?? 250;
  const maxGrowth = (options.maxRssGrowthMb ?? 512) * 1024 * 1024;
  const httpShare = options.httpShare ?? 0.4;
  const report: FuzzReport = { cases: 0, seconds: 0, outcomes: {}, mutations: {}, findings: [], rss: { baselineMb: 0, peakMb: 0, lastMb: 0 } };
  let current = -1;
  const reproduce = (index: number) => `npm run fuzz -- --seed ${options.seed} --case ${index}   (in sequence: --seed ${options.seed} --count ${index + 1})`;
  const find = (kind: Finding["kind"], detail: string, index = current): void => {
    if (report.findings.length < 500) report.findings.push({ seed: options.seed, caseIndex: index, kind, detail: detail.slice(0, 2000), reproduce: reproduce(index) });
  };
  const onUncaught = (error: Error) => find("uncaught", `${error.name}: ${error.message}\n${error.stack ?? ""}`);
  const onRejection = (reason: unknown) => find("unhandled-rejection", reason instanceof Error ? `${reason.message}\n${reason.stack ?? ""}` : String(reason));
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onRejection);
  const count = (map: Record<string, number>, key: string) => {
    map[key] = (map[key] ?? 0) + 1;
  };

  const target = await startFuzzTarget(options.engine ?? "sqlite");
  const started = performance.now();
  let baseline = 0;
  // Invariants are checked on what each batch wrote (a little overlap: clocks are coarse).
  let checkpoint = "";
  try {
    const indexes = options.only !== undefined ? [options.only] : Array.from({ length: options.count }, (_, i) => i);
    for (const [position, index] of indexes.entries()) {
      current = index;
      const description = generateCase(options.seed, index, target, httpShare);
      options.onCase?.(description);
      for (const mutation of description.mutations) count(report.mutations, mutation.replace(/^sig:.*/, "signature-variant"));
      count(report.mutations, description.mode);
      const mark = options.logs?.mark() ?? 0;
      const seenBefore = description.id !== null && description.mode === "http" ? await target.seen(description.id) : true;
      const result = description.mode === "http"
        ? await target.http(description.url, description.headers, description.body)
        : await target.direct(description.body, index % 2 === 0);
      count(report.outcomes, `${description.mode} ${result.status}`);
      for (const outcome of result.outcomes) count(report.outcomes, outcome.split(":")[0]!);
      if (!INBOX_STATUSES.has(result.status)) find(description.mode === "http" ? "http-status" : "exception", `status ${result.status}: ${result.errors.join("; ")}`);
      for (const error of result.errors) find("exception", error);
      if (result.status !== 202 && !seenBefore && description.id !== null && (await target.seen(description.id))) {
        find("id-reserved", `refused with ${result.status}, yet ${description.id} is in inbox_seen`);
      }
      for (const line of options.logs?.errors(mark) ?? []) find("error-logged", `${line.category}: ${line.text}`);
      report.cases++;
      if ((position + 1) % batch === 0 || position === indexes.length - 1) {
        const next = new Date(Date.now() - 1000).toISOString();
        for (const violation of await target.invariants(checkpoint)) find("invariant", `${violation.rule} — ${violation.row}: ${violation.detail}`);
        checkpoint = next;
        global.gc?.();
        const rss = process.memoryUsage().rss;
        if (baseline === 0 && position + 1 >= Math.min(2 * batch, indexes.length)) baseline = rss;
        report.rss.peakMb = Math.max(report.rss.peakMb, rss / 1048576);
        report.rss.lastMb = rss / 1048576;
        report.rss.baselineMb = baseline / 1048576;
        if (baseline > 0 && rss - baseline > maxGrowth) find("memory", `RSS ${Math.round(rss / 1048576)} MiB, baseline ${Math.round(baseline / 1048576)} MiB`);
        report.seconds = (performance.now() - started) / 1000;
        options.onProgress?.(position + 1, report);
      }
    }
    // Once more over everything, in case a later case changed a row an earlier batch checked.
    for (const violation of await target.invariants("")) find("invariant", `${violation.rule} — ${violation.row}: ${violation.detail} (final check)`);
  } finally {
    report.seconds = (performance.now() - started) / 1000;
    await target.close();
    process.off("uncaughtException", onUncaught);
    process.off("unhandledRejection", onRejection);
  }
  return report;
}

/** Summary lines for a report. */
export function formatReport(report: FuzzReport, seed: number): string {
  const lines = [
    `seed ${seed}: ${report.cases} cases in ${report.seconds.toFixed(1)} s (${(report.cases / Math.max(report.seconds, 0.001)).toFixed(0)} cases/s)`,
    `RSS: baseline ${report.rss.baselineMb.toFixed(0)} MiB, peak ${report.rss.peakMb.toFixed(0)} MiB, last ${report.rss.lastMb.toFixed(0)} MiB`,
    `outcomes: ${Object.entries(report.outcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    `mutations: ${Object.entries(report.mutations).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    `findings: ${report.findings.length}`,
  ];
  const byKind = new Map<string, Finding[]>();
  for (const finding of report.findings) byKind.set(`${finding.kind} ${finding.detail.split("\n")[0]!.slice(0, 120)}`, [...(byKind.get(`${finding.kind} ${finding.detail.split("\n")[0]!.slice(0, 120)}`) ?? []), finding]);
  for (const [key, findings] of byKind) {
    lines.push(`  [${findings.length}×] ${key}`);
    lines.push(`      first at case ${findings[0]!.caseIndex}: ${findings[0]!.reproduce}`);
    for (const detailLine of findings[0]!.detail.split("\n").slice(1, 4)) lines.push(`      ${detailLine}`);
  }
  return lines.join("\n");
}
