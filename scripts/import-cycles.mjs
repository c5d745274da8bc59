#!/usr/bin/env node
// Reports import circles among the TypeScript files under src/ (type-only imports included: they
// tie the design together as much as value imports do). Follows relative specifiers only.
// Usage: node scripts/import-cycles.mjs [dir]   Exit code 1 when there is a circle.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(process.argv[2] ?? "src");
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) files.push(path);
  }
};
walk(root);
const known = new Set(files);

// import … from "x", import "x", export … from "x", import("x")
const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;
const graph = new Map();
for (const file of files) {
  const text = readFileSync(file, "utf8");
  const edges = new Set();
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec.startsWith(".")) continue;
    const target = resolve(dirname(file), spec);
    if (known.has(target)) edges.add(target);
  }
  graph.set(file, [...edges]);
}

// Tarjan's strongly connected components: every component of two or more files is a circle.
let index = 0;
const stack = [];
const state = new Map();
const components = [];
const connect = (v) => {
  state.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v)) {
    if (!state.has(w)) {
      connect(w);
      state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
    } else if (state.get(w).onStack) {
      state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
    }
  }
  if (state.get(v).low === state.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) components.push(component);
  }
};
for (const file of files) if (!state.has(file)) connect(file);

if (components.length === 0) {
  console.log(`no import circles among ${files.length} files`);
} else {
  for (const component of components) {
    console.log(`circle through ${component.length} files:`);
    for (const file of component.sort()) console.log(`  ${relative(process.cwd(), file)}`);
  }
  process.exitCode = 1;
}
