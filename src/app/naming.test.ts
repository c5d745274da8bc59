import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

/**
 * Issue #11, item 8: names a newcomer can trust. A file's name says what it is, with one scheme
 * across the modules, so that new code copies the scheme rather than an exception.
 */
const SRC = fileURLToPath(new URL("..", import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [relative(SRC, path).split(sep).join("/")];
  });
}

const files = filesUnder(SRC).filter((file) => file.endsWith(".ts"));
const isTest = (file: string) => file.endsWith(".test.ts");
/** Test support lives in `src/testing/` (shared) or a module's own `testing/` folder; the hostile-input suite is tests only. */
const isTestSupportPlace = (file: string) => file.startsWith("testing/") || file.startsWith("hostile-inputs/") || file.includes("/testing/");

test("inbox handlers are *.inbox.ts and queue handlers *.job.ts: no *.handler(s).ts means either", () => {
  assert.deepEqual(files.filter((file) => /\.handlers?\.ts$/.test(file)), []);
  // "worker" is the queue's runner (queue/worker.ts) and the worker role (app/worker.ts), not a job.
  assert.deepEqual(files.filter((file) => /\.worker(\.test)?\.ts$/.test(file)), []);
  const queueHandlerFactories = files.filter((file) => !isTest(file) && /\.(job|inbox)\.ts$/.test(file));
  assert.ok(queueHandlerFactories.some((file) => file.endsWith(".job.ts")) && queueHandlerFactories.some((file) => file.endsWith(".inbox.ts")));
});

test("test support sits in testing/ folders: no *.testkit.ts, *fixture*.ts or fixtures/ folders loose in modules", () => {
  const loose = files.filter((file) => !isTestSupportPlace(file) && (/\.testkit\.ts$/.test(file) || /(^|\/)testing\.ts$/.test(file) || /fixtures?[-.]/.test(file.split("/").at(-1)!.replace(/\.test\.ts$/, "")) || /(^|\/)fixtures\//.test(file)));
  assert.deepEqual(loose, []);
  // A file that is not a test but imports the test runner or its assertions is test support.
  const support = files.filter((file) => !isTest(file) && /from "node:(test|assert(\/strict)?)"/.test(readFileSync(join(SRC, file), "utf8")));
  assert.deepEqual(support.filter((file) => !isTestSupportPlace(file)), []);
});

test("the hostile-input suite's folder says what it holds, and holds no production code", () => {
  assert.ok(!files.some((file) => file.startsWith("security/")), "src/security/ reads as if the defences lived there");
  const suite = files.filter((file) => file.startsWith("hostile-inputs/"));
  assert.ok(suite.some(isTest));
  const production = files.filter((file) => !isTest(file) && !file.startsWith("hostile-inputs/") && !isTestSupportPlace(file));
  for (const file of production) assert.doesNotMatch(readFileSync(join(SRC, file), "utf8"), /from "[./]*\/hostile-inputs\//, `${file} imports the hostile-input suite`);
});

test("every service takes its dependencies as one object and keeps them in #private fields", () => {
  const services = files.filter((file) => file.endsWith(".service.ts"));
  assert.ok(services.length > 10);
  for (const file of services) {
    const source = readFileSync(join(SRC, file), "utf8");
    for (const [, params] of source.matchAll(/\bconstructor\(([^)]*)/g)) assert.match(params!, /^\s*deps\s*:/, `${file}: constructor(${params})`);
    assert.doesNotMatch(source, /\bconstructor\((private|public|readonly)\b/, file);
  }
});

/** Members of an exported interface, from its source (enough for the flat interfaces checked here). */
function membersOf(file: string, name: string): string[] {
  const source = readFileSync(join(SRC, file), "utf8");
  const body = new RegExp(`export interface ${name}\\b[^{]*\\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1] ?? "";
  return [...body.matchAll(/^ {2}readonly (\w+)\??:/gm)].map((m) => m[1]!);
}

test("Fedify, the federation module, its dispatchers and the two kinds of keys each have a name of their own", () => {
  const context = membersOf("app/context.ts", "AppContext");
  assert.ok(context.includes("federationModule") && context.includes("fedify"), context.join(", "));
  assert.ok(!context.includes("fed") && !context.includes("federation"));
  assert.deepEqual(membersOf("http/route-group.ts", "RouteContext"), ["fedify"]);
  const contributions = membersOf("app/base.ts", "ModuleContributions");
  assert.ok(contributions.includes("fedifyDispatchers") && !contributions.includes("federation"), contributions.join(", "));
  const base = membersOf("app/base.ts", "AppBase");
  assert.ok(base.includes("signingKeys") && !base.includes("keys"), base.join(", "));
  const federation = membersOf("federation/federation.module.ts", "FederationModule");
  assert.ok(federation.includes("remoteKeys") && !federation.includes("keys"), federation.join(", "));
});
