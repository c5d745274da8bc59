// Reports import circles among the TypeScript files under src/ (or the directory given).
// Usage: npm exec -- node scripts/import-circles.ts [dir]   Exit code 1 when there is a circle.
import { importCircles, importGraph } from "../src/testing/import-graph.ts";

const root = process.argv[2] ?? "src";
const graph = importGraph(root);
const circles = importCircles(graph);
if (circles.length === 0) console.log(`no import circles among ${graph.size} files`);
for (const circle of circles) console.log(`circle through ${circle.length} files:\n${circle.map((f) => `  ${f}`).join("\n")}`);
if (circles.length > 0) process.exitCode = 1;
