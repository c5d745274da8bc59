/**
 * Log capture for the hostile-input suite (test support, not imported by production code).
 *
 * Every refusal must be visible to an operator, so the suite asserts on the log line Herold writes,
 * not only on the HTTP status. LogTape is configured once per test process with an in-memory sink
 * (test files run in separate processes under `node --test`). The buffer is a bounded ring: the
 * fuzzer and the flood tests log hundreds of thousands of lines.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { configure, type LogRecord } from "@logtape/logtape";

const CAPACITY = 20_000;

export interface CapturedLine {
  readonly seq: number;
  readonly level: string;
  readonly category: string;
  readonly text: string;
}

export class LogCapture {
  readonly #lines: CapturedLine[] = [];
  #seq = 0;

  add(record: LogRecord): void {
    const text = record.message.map((part) => (typeof part === "string" ? part : render(part))).join("");
    this.#lines.push({ seq: ++this.#seq, level: record.level, category: record.category.join("."), text });
    if (this.#lines.length > CAPACITY) this.#lines.splice(0, this.#lines.length - CAPACITY);
  }

  /** A position to look from: lines logged after it are "since" it. */
  mark(): number {
    return this.#seq;
  }

  since(mark: number): CapturedLine[] {
    return this.#lines.filter((line) => line.seq > mark);
  }

  /** The first line since `mark` at `minLevel` or above whose text matches `pattern`; fails the test if there is none. */
  expect(mark: number, pattern: RegExp, what = "a log line", minLevel: "debug" | "info" = "info"): CapturedLine {
    const lines = this.since(mark);
    const low = minLevel === "debug" ? ["trace"] : ["trace", "debug"];
    const found = lines.find((line) => !low.includes(line.level) && pattern.test(line.text));
    if (found === undefined) {
      const tail = lines.slice(-12).map((l) => `  [${l.level}] ${l.category}: ${l.text.slice(0, 300)}`).join("\n");
      throw new Error(`expected ${what} matching ${pattern} since mark ${mark}; logged:\n${tail || "  (nothing)"}`);
    }
    return found;
  }

  /** Herold's error-level lines since `mark`: an unhandled error in a request or a job. */
  errors(mark: number): CapturedLine[] {
    return this.since(mark).filter((line) => (line.level === "error" || line.level === "fatal") && line.category.startsWith("herold"));
  }
}

function render(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  } catch {
    return String(value);
  }
}

let capture: LogCapture | undefined;

/**
 * Routes Herold's logs into one process-wide capture; idempotent (the first call's level wins).
 * The fuzzer asks for "warning" only: formatting hundreds of thousands of debug lines costs time.
 */
export async function captureLogs(lowestLevel: "debug" | "warning" = "debug"): Promise<LogCapture> {
  if (capture !== undefined) return capture;
  const sink = new LogCapture();
  await configure({
    sinks: { memory: (record: LogRecord) => sink.add(record) },
    loggers: [
      { category: ["herold"], lowestLevel, sinks: ["memory"] },
      { category: ["fedify"], lowestLevel: "warning", sinks: ["memory"] },
      { category: ["logtape", "meta"], lowestLevel: "error", sinks: ["memory"] },
    ],
    contextLocalStorage: new AsyncLocalStorage(),
  });
  capture = sink;
  return sink;
}
