import { AsyncLocalStorage } from "node:async_hooks";
import { configure, getConsoleSink, getJsonLinesFormatter, getLogger, getTextFormatter, reset, type Logger } from "@logtape/logtape";
import type { LogLevel } from "../config/config.ts";

let configured = false;

/**
 * Structured logging through LogTape. Every log line of a request carries its request id through
 * `withContext` (AsyncLocalStorage), so a line can be traced back without storing visitor IPs.
 */
export async function setupLogging(level: LogLevel, format: "text" | "json"): Promise<void> {
  if (configured) await reset();
  configured = true;
  await configure({
    sinks: {
      console: getConsoleSink({ formatter: format === "json" ? getJsonLinesFormatter() : getTextFormatter() }),
    },
    loggers: [
      { category: ["herold"], lowestLevel: level, sinks: ["console"] },
      { category: ["fedify"], lowestLevel: level === "debug" ? "info" : "warning", sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
    contextLocalStorage: new AsyncLocalStorage(),
  });
}

export function logger(...category: string[]): Logger {
  return getLogger(["herold", ...category]);
}
