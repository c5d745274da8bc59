import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { importCircles, importGraph } from "../testing/import-graph.ts";

/**
 * Issue #11, item 2: one wiring style. Route groups close over their module's own dependencies,
 * `RouteGroup` sits in a leaf file, and the composition root is in no import circle.
 */
const SRC = fileURLToPath(new URL("..", import.meta.url));
const graph = importGraph(SRC);

test("the composition root, the HTTP app and the web and page modules are in no import circle", () => {
  const mine = /^(app|http|web|pages)\//;
  const circles = importCircles(graph).filter((circle) => circle.some((file) => mine.test(file)));
  assert.deepEqual(circles, []);
});

test("there is no import circle anywhere in src/", () => {
  // Type-only imports count too: a circle of types still ties the files' designs together.
  assert.deepEqual(importCircles(graph), []);
});

test("no route file imports the application context; RouteGroup's file imports no module", () => {
  const routeFiles = [...graph.keys()].filter((file) => file.endsWith(".routes.ts"));
  assert.ok(routeFiles.length > 5);
  for (const file of routeFiles) assert.ok(!graph.get(file)!.includes("app/context.ts"), `${file} imports app/context.ts`);
  assert.deepEqual(graph.get("http/route-group.ts"), []);
});
