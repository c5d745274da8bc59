import { readFileSync } from "node:fs";

/** Herold's version (package.json): NodeInfo, the User-Agent. Its own module so light processes (the CLI) need not load the composition root. */
export const VERSION: string = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
