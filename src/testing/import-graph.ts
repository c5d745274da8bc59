import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * The relative imports between the TypeScript files under a directory, type-only imports included
 * (they tie the design together as much as value imports do). Paths are relative to `root`.
 */
export function importGraph(root: string): Map<string, string[]> {
  const base = resolve(root);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) files.push(path);
    }
  };
  walk(base);
  const known = new Set(files);
  // import … from "x", import "x", export … from "x", import("x")
  const specifier = /(?:^|[\s;])(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const edges = new Set<string>();
    for (const m of readFileSync(file, "utf8").matchAll(specifier)) {
      const spec = m[1] ?? m[2] ?? m[3]!;
      if (!spec.startsWith(".")) continue;
      const target = resolve(dirname(file), spec);
      if (known.has(target)) edges.add(relative(base, target));
    }
    graph.set(relative(base, file), [...edges]);
  }
  return graph;
}

/** Every import circle (strongly connected component of two or more files), each sorted. */
export function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's algorithm.
  let index = 0;
  const stack: string[] = [];
  const state = new Map<string, { index: number; low: number; onStack: boolean }>();
  const circles: string[][] = [];
  const connect = (v: string) => {
    const sv = { index, low: index, onStack: true };
    state.set(v, sv);
    index++;
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      const sw = state.get(w);
      if (sw === undefined) {
        connect(w);
        sv.low = Math.min(sv.low, state.get(w)!.low);
      } else if (sw.onStack) {
        sv.low = Math.min(sv.low, sw.index);
      }
    }
    if (sv.low === sv.index) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        state.get(w)!.onStack = false;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) circles.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!state.has(file)) connect(file);
  return circles;
}
