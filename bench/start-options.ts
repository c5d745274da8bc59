import { readFileSync } from "node:fs";

/**
 * The Node options of `npm start` (package.json), so every benchmark runs Herold the way it is run:
 * `node <options> src/main.ts` → `<options>`.
 */
export function npmStartOptions(): string[] {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { scripts?: { start?: string } };
  const words = (pkg.scripts?.start ?? "").trim().split(/\s+/);
  const main = words.indexOf("src/main.ts");
  if (words[0] !== "node" || main < 0) throw new Error(`cannot read the Node options from the start script ${JSON.stringify(pkg.scripts?.start)}`);
  return words.slice(1, main);
}
