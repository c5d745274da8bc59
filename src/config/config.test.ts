import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { ConfigError, loadConfig, parseDatabaseUrl } from "./config.ts";

const CWD = "/srv/herold";

/** Loads with only `env` set; returns the ConfigError message, failing if anything else happens. */
function configError(env: Record<string, string>, argv: string[] = []): string {
  try {
    loadConfig(env, argv, CWD);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
    return error.message;
  }
  assert.fail(`accepted ${JSON.stringify(env)} ${argv.join(" ")}`);
}

/** Every integer variable; each refuses words, signs, fractions, exponents and absurd sizes. */
const INTEGER_VARIABLES = [
  "HEROLD_PORT",
  "HEROLD_LIMIT_ACTIVITY_BYTES", "HEROLD_LIMIT_FETCH_BYTES", "HEROLD_LIMIT_FETCH_TIMEOUT_MS", "HEROLD_LIMIT_JSON_DEPTH",
  "HEROLD_LIMIT_STRING_LENGTH", "HEROLD_LIMIT_ATTACHMENTS", "HEROLD_LIMIT_POLL_OPTIONS", "HEROLD_LIMIT_TAGS", "HEROLD_POST_MAX_CHARS",
  "HEROLD_LIMIT_COLLECTION_PAGES", "HEROLD_LIMIT_REPLY_DEPTH", "HEROLD_LIMIT_FETCHES_PER_ACTIVITY", "HEROLD_SIGNATURE_WINDOW_SECONDS",
  "HEROLD_INBOX_QUEUE_CAPACITY",
  "HEROLD_DELIVERY_MAX_ATTEMPTS", "HEROLD_DELIVERY_CONCURRENCY", "HEROLD_DELIVERY_PER_HOST", "HEROLD_DELIVERY_CONNECT_TIMEOUT_MS",
  "HEROLD_DELIVERY_RESPONSE_TIMEOUT_MS", "HEROLD_DELIVERY_TOTAL_TIMEOUT_MS", "HEROLD_DELIVERY_RETRY_AFTER_CAP",
  "HEROLD_DELIVERY_UNAVAILABLE_DAYS", "HEROLD_DELIVERY_BREAKER_FAILURES", "HEROLD_DELIVERY_BREAKER_COOLDOWN",
  "HEROLD_ANALYTICS_RAW_DAYS",
];

/** Variables with a fixed vocabulary or shape, and values they must refuse. */
const INVALID_VALUES: Record<string, string[]> = {
  HEROLD_ORIGIN: ["not a url", "social.example.org", "ftp://social.example.org", "https://social.example.org/path", "https://social.example.org/?q=1", "https://social.example.org/#x", "https://user:pw@social.example.org"],
  HEROLD_HOST: ["bad host", "local;host", "0.0.0.0/0", "host_name"],
  HEROLD_DATABASE_URL: ["mysql://herold@db/herold", "./herold.db", "sqlite:", "postgres://db/herold?schema=Bad-Name", "postgres://db/herold?schema=1x", "postgres://[broken/herold"],
  HEROLD_ROLE: ["both", "WEB", "web,worker"],
  HEROLD_ALLOW_PRIVATE_ADDRESS: ["maybe", "2", "enabled"],
  HEROLD_AUTHORIZED_FETCH: ["maybe", "2", "enabled"],
  HEROLD_LOG_LEVEL: ["verbose", "INFO", "warn"],
  HEROLD_LOG_FORMAT: ["xml", "JSON"],
};

/** Variables any text is valid for (a directory), tested separately below. */
const FREE_FORM = ["HEROLD_DATA_DIR"];

describe("configuration", () => {
  test("defaults: a first start needs no configuration", () => {
    const config = loadConfig({}, [], CWD);
    assert.equal(config.origin.href, "http://localhost:8080/");
    assert.equal(config.domain, "localhost:8080");
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.port, 8080);
    assert.deepEqual(config.database, { kind: "sqlite", path: "/srv/herold/data/herold.db", url: "sqlite:/srv/herold/data/herold.db" });
    assert.equal(config.dataDir, "/srv/herold/data");
    assert.equal(config.role, "all");
    assert.equal(config.allowPrivateAddress, false);
    assert.equal(config.authorizedFetch, false);
    assert.equal(config.logLevel, "info");
    assert.equal(config.logFormat, "text");
    assert.equal(config.analyticsRawDays, 90);
    assert.equal(loadConfig({ HEROLD_ANALYTICS_RAW_DAYS: "30" }, [], CWD).analyticsRawDays, 30);
    assert.equal(config.limits.activityBodyBytes, 1_048_576);
    assert.equal(config.limits.fetchResponseBytes, 1_048_576);
    assert.equal(config.limits.fetchTimeoutMs, 30_000);
    assert.equal(config.limits.postMaxChars, 500);
    assert.equal(config.limits.signatureWindowSeconds, 3600);
    assert.equal(config.delivery.maxAttempts, 18);
    assert.equal(config.delivery.connectTimeoutMs, 5_000);
    assert.equal(config.delivery.responseTimeoutMs, 10_000);
    assert.equal(config.delivery.circuitBreakerFailures, 10);
    assert.equal(config.delivery.circuitBreakerCooldownSeconds, 60);
  });

  test("the default origin follows the port; an explicit origin is reduced to its origin", () => {
    assert.equal(loadConfig({ HEROLD_PORT: "9000" }, [], CWD).origin.href, "http://localhost:9000/");
    const config = loadConfig({ HEROLD_ORIGIN: "https://Social.Example.org/" }, [], CWD);
    assert.equal(config.origin.origin, "https://social.example.org");
    assert.equal(config.domain, "social.example.org");
    assert.equal(loadConfig({ HEROLD_ORIGIN: "https://social.example.org:8443" }, [], CWD).domain, "social.example.org:8443");
  });

  test("values are read as set, paths are resolved against the working directory", () => {
    const config = loadConfig(
      {
        HEROLD_HOST: "::1",
        HEROLD_PORT: "8443",
        HEROLD_DATA_DIR: "var/herold",
        HEROLD_DATABASE_URL: "postgres://herold:secret@db.internal:5432/herold?schema=herold_a",
        HEROLD_ROLE: "worker",
        HEROLD_ALLOW_PRIVATE_ADDRESS: "yes",
        HEROLD_AUTHORIZED_FETCH: "on",
        HEROLD_LOG_LEVEL: "debug",
        HEROLD_LOG_FORMAT: "json",
        HEROLD_LIMIT_REPLY_DEPTH: "0",
        HEROLD_DELIVERY_MAX_ATTEMPTS: "100",
      },
      [],
      CWD,
    );
    assert.equal(config.host, "::1");
    assert.equal(config.port, 8443);
    assert.equal(config.dataDir, "/srv/herold/var/herold");
    assert.deepEqual(config.database, { kind: "postgres", url: "postgres://herold:secret@db.internal:5432/herold", schema: "herold_a" });
    assert.equal(config.role, "worker");
    assert.equal(config.allowPrivateAddress, true);
    assert.equal(config.authorizedFetch, true);
    assert.equal(config.logLevel, "debug");
    assert.equal(config.logFormat, "json");
    assert.equal(config.limits.replyFetchDepth, 0);
    assert.equal(config.delivery.maxAttempts, 100);
  });

  test("sqlite URLs: relative, absolute, file-URL style and in-memory", () => {
    assert.equal(parseDatabaseUrl("sqlite:./data/h.db", CWD).url, "sqlite:/srv/herold/data/h.db");
    assert.equal(parseDatabaseUrl("sqlite:/var/lib/herold/h.db", CWD).url, "sqlite:/var/lib/herold/h.db");
    assert.equal(parseDatabaseUrl("sqlite:///var/lib/herold/h.db", CWD).url, "sqlite:/var/lib/herold/h.db");
    assert.deepEqual(parseDatabaseUrl("sqlite::memory:", CWD), { kind: "sqlite", path: ":memory:", url: "sqlite::memory:" });
    assert.equal(parseDatabaseUrl("postgresql://db/herold", CWD).kind, "postgres");
  });

  test("empty and blank values mean the default", () => {
    const config = loadConfig({ HEROLD_PORT: "", HEROLD_ROLE: "   ", HEROLD_ORIGIN: " " }, [], CWD);
    assert.equal(config.port, 8080);
    assert.equal(config.role, "all");
    assert.equal(config.origin.origin, "http://localhost:8080");
  });

  for (const name of INTEGER_VARIABLES) {
    test(`${name}: invalid values give one error naming it`, () => {
      for (const value of ["ten", "-5", "1.5", "1e3", "0x10", "99999999999999999"]) {
        const message = configError({ [name]: value });
        assert.ok(message.startsWith(`${name}: `), message);
        assert.match(message, /whole number|between/);
      }
    });
  }

  for (const [name, values] of Object.entries(INVALID_VALUES)) {
    test(`${name}: invalid values give one error naming it`, () => {
      for (const value of values) {
        const message = configError({ [name]: value });
        assert.ok(message.startsWith(`${name}: `), `${value} → ${message}`);
      }
    });
  }

  test("ports outside 1–65535 are refused with the range", () => {
    assert.equal(configError({ HEROLD_PORT: "0" }), "HEROLD_PORT: must be between 1 and 65535, got 0");
    assert.equal(configError({ HEROLD_PORT: "65536" }), "HEROLD_PORT: must be between 1 and 65535, got 65536");
    assert.equal(configError({ HEROLD_PORT: "http" }), 'HEROLD_PORT: must be a whole number, got "http"');
  });

  test("a refused database URL never repeats its password", () => {
    const message = configError({ HEROLD_DATABASE_URL: "mysql://herold:hunter2@db/herold" });
    assert.ok(!message.includes("hunter2"), message);
    assert.match(message, /must start with sqlite: or postgres:\/\//);
  });

  test("command-line flags override variables; unknown or incomplete flags are refused", () => {
    const config = loadConfig({ HEROLD_ROLE: "all", HEROLD_PORT: "8080" }, ["--role", "web", "--port=9090", "--host", "0.0.0.0"], CWD);
    assert.equal(config.role, "web");
    assert.equal(config.port, 9090);
    assert.equal(config.host, "0.0.0.0");
    assert.match(configError({}, ["--verbose"]), /^unknown option "--verbose"/);
    assert.match(configError({}, ["--role"]), /^option --role needs a value$/);
    assert.match(configError({}, ["--role", "everything"]), /^HEROLD_ROLE: must be one of web, worker, all/);
    assert.match(configError({}, ["--port", "eighty"]), /^HEROLD_PORT: /);
  });

  test("every HEROLD_ variable the code reads is covered here and documented in the README", () => {
    const source = readFileSync(new URL("./config.ts", import.meta.url), "utf8");
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const variables = [...new Set(source.match(/HEROLD_[A-Z0-9_]+/g) ?? [])];
    assert.ok(variables.length >= 30);
    const covered = new Set([...INTEGER_VARIABLES, ...Object.keys(INVALID_VALUES), ...FREE_FORM]);
    for (const name of variables) {
      assert.ok(covered.has(name), `${name} has no invalid-value test`);
      assert.ok(readme.includes(`\`${name}\``), `${name} is not documented in README.md`);
    }
  });
});
