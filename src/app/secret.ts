import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The instance secret lives in the data directory (not the database, not the environment), is
 * created with mode 0600 on first start and never logged. Losing it only signs everybody out.
 */
export function loadOrCreateSecret(dataDir: string): Buffer {
  const path = join(dataDir, "secret");
  try {
    const text = readFileSync(path, "utf8").trim();
    if (/^[0-9a-f]{64}$/.test(text)) return Buffer.from(text, "hex");
    throw new Error(`${path} is not a 64-character hex secret; remove it to generate a new one`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32);
  try {
    writeFileSync(path, secret.toString("hex") + "\n", { mode: 0o600, flag: "wx" });
    return secret;
  } catch (error) {
    // Another process (web and worker starting together) created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return loadOrCreateSecret(dataDir);
    throw error;
  }
}
