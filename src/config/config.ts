import { isAbsolute, resolve } from "node:path";

/**
 * Herold's configuration, parsed and validated once at start (see `loadConfig`) and then passed into
 * the composition root. Nothing below `src/app/context.ts` reads `process.env`.
 */
export interface Config {
  /** Public origin as peers and browsers see it, without a trailing slash (e.g. https://social.example.org). */
  readonly origin: URL;
  /** Host name part of the origin, used in handles (`user@host`). */
  readonly domain: string;
  readonly host: string;
  readonly port: number;
  readonly database: DatabaseConfig;
  /** Directory for media and the generated instance secret. */
  readonly dataDir: string;
  readonly role: Role;
  /** Dev/test only: lets Herold fetch from and deliver to loopback and private addresses. */
  readonly allowPrivateAddress: boolean;
  /** Require HTTP-signed GETs for ActivityPub documents (Mastodon's "secure mode"). */
  readonly authorizedFetch: boolean;
  readonly logLevel: LogLevel;
  readonly logFormat: "text" | "json";
  readonly limits: Limits;
  readonly delivery: DeliveryConfig;
  /** `PATH`, where the external tools Herold may run are looked up (pg_dump and pg_restore for backups). */
  readonly toolSearchPath: string;
  /**
   * `HEROLD_ANALYTICS_RAW_DAYS` (default 90): after this many days a post's distinct interacting
   * accounts and servers are stored as counts, and insights stops reading who interacted with it.
   */
  readonly analyticsRawDays: number;
}

export type Role = "web" | "worker" | "all";
export const ROLES: readonly Role[] = ["web", "worker", "all"];
export type LogLevel = "debug" | "info" | "warning" | "error";

export type DatabaseConfig =
  | { readonly kind: "sqlite"; readonly path: string; readonly url: string }
  | { readonly kind: "postgres"; readonly url: string; readonly schema: string | undefined };

/** Caps applied to untrusted input. Defaults follow Mastodon where it publishes one. */
export interface Limits {
  readonly activityBodyBytes: number;
  readonly fetchResponseBytes: number;
  readonly fetchTimeoutMs: number;
  readonly jsonDepth: number;
  readonly maxStringLength: number;
  readonly maxAttachments: number;
  readonly maxPollOptions: number;
  readonly maxTags: number;
  readonly postMaxChars: number;
  readonly collectionPagesFetched: number;
  readonly replyFetchDepth: number;
  readonly fetchesPerActivity: number;
  readonly signatureWindowSeconds: number;
  readonly inboxQueueCapacity: number;
}

export interface DeliveryConfig {
  readonly maxAttempts: number;
  readonly concurrency: number;
  readonly perHostConcurrency: number;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly retryAfterCapSeconds: number;
  readonly unavailableAfterDays: number;
  readonly circuitBreakerFailures: number;
  readonly circuitBreakerCooldownSeconds: number;
}

/** A configuration problem an operator can fix; its message names the variable and the reason. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses configuration from environment variables and command-line flags (`--role`, `--port`, `--host`).
 * Flags win over variables. Throws `ConfigError` with one operator-readable line.
 */
export function loadConfig(env: Env, argv: readonly string[] = [], cwd: string = process.cwd()): Config {
  const flags = parseFlags(argv);
  const read = (name: string, flag?: string): string | undefined => {
    const value = (flag !== undefined ? flags[flag] : undefined) ?? env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };

  const port = int(read("HEROLD_PORT", "port"), "HEROLD_PORT", 8080, 1, 65535);
  const host = read("HEROLD_HOST", "host") ?? "127.0.0.1";
  if (!/^[0-9a-zA-Z.:\-[\]]+$/.test(host)) throw new ConfigError(`HEROLD_HOST: not a host name or address: ${JSON.stringify(host)}`);

  const originText = read("HEROLD_ORIGIN") ?? `http://localhost:${port}`;
  let origin: URL;
  try {
    origin = new URL(originText);
  } catch {
    throw new ConfigError(`HEROLD_ORIGIN: not a URL: ${JSON.stringify(originText)} (expected e.g. https://social.example.org)`);
  }
  if (origin.protocol !== "https:" && origin.protocol !== "http:") {
    throw new ConfigError(`HEROLD_ORIGIN: must use https:// (or http:// for local development), got ${origin.protocol}`);
  }
  if (origin.pathname !== "/" || origin.search !== "" || origin.hash !== "" || origin.username !== "") {
    throw new ConfigError(`HEROLD_ORIGIN: must be an origin only, without path, query or credentials: ${JSON.stringify(originText)}`);
  }

  const dataDir = absolute(read("HEROLD_DATA_DIR") ?? "./data", cwd);
  const database = parseDatabaseUrl(read("HEROLD_DATABASE_URL") ?? "sqlite:./data/herold.db", cwd);

  const roleText = read("HEROLD_ROLE", "role") ?? "all";
  if (!ROLES.includes(roleText as Role)) {
    throw new ConfigError(`HEROLD_ROLE: must be one of ${ROLES.join(", ")}, got ${JSON.stringify(roleText)}`);
  }

  const logLevel = oneOf(read("HEROLD_LOG_LEVEL"), "HEROLD_LOG_LEVEL", ["debug", "info", "warning", "error"] as const, "info");
  const logFormat = oneOf(read("HEROLD_LOG_FORMAT"), "HEROLD_LOG_FORMAT", ["text", "json"] as const, "text");

  const limits: Limits = {
    activityBodyBytes: int(read("HEROLD_LIMIT_ACTIVITY_BYTES"), "HEROLD_LIMIT_ACTIVITY_BYTES", 1_048_576, 1024, 100_000_000),
    fetchResponseBytes: int(read("HEROLD_LIMIT_FETCH_BYTES"), "HEROLD_LIMIT_FETCH_BYTES", 1_048_576, 1024, 100_000_000),
    fetchTimeoutMs: int(read("HEROLD_LIMIT_FETCH_TIMEOUT_MS"), "HEROLD_LIMIT_FETCH_TIMEOUT_MS", 30_000, 100, 600_000),
    jsonDepth: int(read("HEROLD_LIMIT_JSON_DEPTH"), "HEROLD_LIMIT_JSON_DEPTH", 32, 4, 1000),
    maxStringLength: int(read("HEROLD_LIMIT_STRING_LENGTH"), "HEROLD_LIMIT_STRING_LENGTH", 100_000, 100, 10_000_000),
    maxAttachments: int(read("HEROLD_LIMIT_ATTACHMENTS"), "HEROLD_LIMIT_ATTACHMENTS", 16, 1, 1000),
    maxPollOptions: int(read("HEROLD_LIMIT_POLL_OPTIONS"), "HEROLD_LIMIT_POLL_OPTIONS", 20, 2, 1000),
    maxTags: int(read("HEROLD_LIMIT_TAGS"), "HEROLD_LIMIT_TAGS", 100, 1, 10_000),
    postMaxChars: int(read("HEROLD_POST_MAX_CHARS"), "HEROLD_POST_MAX_CHARS", 500, 10, 100_000),
    collectionPagesFetched: int(read("HEROLD_LIMIT_COLLECTION_PAGES"), "HEROLD_LIMIT_COLLECTION_PAGES", 5, 1, 1000),
    replyFetchDepth: int(read("HEROLD_LIMIT_REPLY_DEPTH"), "HEROLD_LIMIT_REPLY_DEPTH", 5, 0, 100),
    fetchesPerActivity: int(read("HEROLD_LIMIT_FETCHES_PER_ACTIVITY"), "HEROLD_LIMIT_FETCHES_PER_ACTIVITY", 10, 1, 1000),
    signatureWindowSeconds: int(read("HEROLD_SIGNATURE_WINDOW_SECONDS"), "HEROLD_SIGNATURE_WINDOW_SECONDS", 3600, 30, 86_400),
    inboxQueueCapacity: int(read("HEROLD_INBOX_QUEUE_CAPACITY"), "HEROLD_INBOX_QUEUE_CAPACITY", 100_000, 10, 100_000_000),
  };

  const delivery: DeliveryConfig = {
    maxAttempts: int(read("HEROLD_DELIVERY_MAX_ATTEMPTS"), "HEROLD_DELIVERY_MAX_ATTEMPTS", 18, 1, 100),
    concurrency: int(read("HEROLD_DELIVERY_CONCURRENCY"), "HEROLD_DELIVERY_CONCURRENCY", 256, 1, 10_000),
    perHostConcurrency: int(read("HEROLD_DELIVERY_PER_HOST"), "HEROLD_DELIVERY_PER_HOST", 8, 1, 1000),
    connectTimeoutMs: int(read("HEROLD_DELIVERY_CONNECT_TIMEOUT_MS"), "HEROLD_DELIVERY_CONNECT_TIMEOUT_MS", 5_000, 100, 120_000),
    responseTimeoutMs: int(read("HEROLD_DELIVERY_RESPONSE_TIMEOUT_MS"), "HEROLD_DELIVERY_RESPONSE_TIMEOUT_MS", 10_000, 100, 300_000),
    totalTimeoutMs: int(read("HEROLD_DELIVERY_TOTAL_TIMEOUT_MS"), "HEROLD_DELIVERY_TOTAL_TIMEOUT_MS", 30_000, 100, 600_000),
    retryAfterCapSeconds: int(read("HEROLD_DELIVERY_RETRY_AFTER_CAP"), "HEROLD_DELIVERY_RETRY_AFTER_CAP", 6 * 3600, 1, 7 * 86_400),
    unavailableAfterDays: int(read("HEROLD_DELIVERY_UNAVAILABLE_DAYS"), "HEROLD_DELIVERY_UNAVAILABLE_DAYS", 7, 1, 365),
    circuitBreakerFailures: int(read("HEROLD_DELIVERY_BREAKER_FAILURES"), "HEROLD_DELIVERY_BREAKER_FAILURES", 10, 1, 10_000),
    circuitBreakerCooldownSeconds: int(read("HEROLD_DELIVERY_BREAKER_COOLDOWN"), "HEROLD_DELIVERY_BREAKER_COOLDOWN", 60, 1, 86_400),
  };

  return {
    origin: new URL(origin.origin),
    domain: origin.host,
    host,
    port,
    database,
    dataDir,
    role: roleText as Role,
    allowPrivateAddress: bool(read("HEROLD_ALLOW_PRIVATE_ADDRESS"), "HEROLD_ALLOW_PRIVATE_ADDRESS", false),
    authorizedFetch: bool(read("HEROLD_AUTHORIZED_FETCH"), "HEROLD_AUTHORIZED_FETCH", false),
    logLevel,
    logFormat,
    limits,
    delivery,
    toolSearchPath: env.PATH ?? "",
    analyticsRawDays: int(read("HEROLD_ANALYTICS_RAW_DAYS"), "HEROLD_ANALYTICS_RAW_DAYS", 90, 1, 36_500),
  };
}

/** `sqlite:./path.db`, `sqlite:/abs/path.db`, `sqlite::memory:` or `postgres://…[?schema=name]`. */
export function parseDatabaseUrl(text: string, cwd: string): DatabaseConfig {
  if (text.startsWith("sqlite:")) {
    const rest = text.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (rest === "") throw new ConfigError(`HEROLD_DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/herold.db`);
    const path = rest === ":memory:" ? rest : absolute(rest, cwd);
    return { kind: "sqlite", path, url: `sqlite:${path}` };
  }
  if (text.startsWith("postgres://") || text.startsWith("postgresql://")) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ConfigError(`HEROLD_DATABASE_URL: not a valid postgres:// URL`);
    }
    const schema = url.searchParams.get("schema") ?? undefined;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new ConfigError(`HEROLD_DATABASE_URL: schema must match [a-z_][a-z0-9_]*, got ${JSON.stringify(schema)}`);
    }
    url.searchParams.delete("schema");
    return { kind: "postgres", url: url.toString(), schema };
  }
  throw new ConfigError(
    `HEROLD_DATABASE_URL: must start with sqlite: or postgres://, got ${JSON.stringify(text.replace(/\/\/[^@/]*@/, "//***@"))}`,
  );
}

function parseFlags(argv: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--(role|port|host)(?:=(.*))?$/.exec(arg);
    if (!match) throw new ConfigError(`unknown option ${JSON.stringify(arg)} (known: --role web|worker|all, --port N, --host ADDR)`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new ConfigError(`option --${match[1]} needs a value`);
    flags[match[1]!] = value;
  }
  return flags;
}

function int(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new ConfigError(`${name}: must be a whole number, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (value < min || value > max) throw new ConfigError(`${name}: must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(text: string | undefined, name: string, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  const lower = text.toLowerCase();
  if (["1", "true", "yes", "on"].includes(lower)) return true;
  if (["0", "false", "no", "off"].includes(lower)) return false;
  throw new ConfigError(`${name}: must be true or false, got ${JSON.stringify(text)}`);
}

function oneOf<T extends string>(text: string | undefined, name: string, values: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!values.includes(text as T)) throw new ConfigError(`${name}: must be one of ${values.join(", ")}, got ${JSON.stringify(text)}`);
  return text as T;
}

function absolute(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}
