/**
 * The inbound benchmark's processes talk over Node's IPC channel with `{ type, … }` messages;
 * memory is read from /proc, as an operator's monitoring would.
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";

export interface Message {
  readonly type: string;
  readonly [key: string]: unknown;
}

/**
 * The next message of `type` from `child` (with `name`: the reply about that name, so that several
 * requests to one child can be in flight); rejects when the child exits first or after `timeoutMs`.
 */
export function nextMessage<T extends Message>(child: ChildProcess, type: string, timeoutMs = 600_000, name?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Message) => {
      if (message?.type === "error") finish(() => reject(new Error(`child failed: ${String(message["message"])}`)));
      else if (message?.type === type && (name === undefined || message["name"] === name)) finish(() => resolve(message as T));
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(() => reject(new Error(`child exited (${code ?? signal}) while waiting for "${type}"`)));
    const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for "${type}"`))), timeoutMs);
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      settle();
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

/** Sends `message` and waits for the reply of type `reply`. */
export async function ask<T extends Message>(child: ChildProcess, message: Message, reply: string, timeoutMs?: number): Promise<T> {
  const answer = nextMessage<T>(child, reply, timeoutMs, message["name"]);
  child.send(message);
  return await answer;
}

/** In a child: answers messages with `handler`, reporting failures as `{type: "error"}`. */
export function serve(handler: (message: Message) => Promise<Message | undefined>): void {
  process.on("message", (message: Message) => {
    handler(message).then(
      (reply) => {
        if (reply !== undefined) process.send!(reply);
      },
      (error: unknown) => process.send!({ type: "error", message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
}

export interface Memory {
  /** Resident set now. */
  readonly rssMiB: number;
  /** Peak resident set since the process started (the kernel's high-water mark). */
  readonly hwmMiB: number;
}

/** VmRSS and VmHWM of `pid` from /proc/<pid>/status; undefined once the process is gone. */
export function memoryOf(pid: number): Memory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMiB: kib("VmRSS") / 1024, hwmMiB: kib("VmHWM") / 1024 };
}

/**
 * CPU seconds (user + system, all threads) `pid` has used so far, from /proc/<pid>/stat. On a machine
 * shared with other work, CPU time per activity is the figure that does not depend on the neighbours.
 */
export function cpuSecondsOf(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return NaN;
  }
  // Fields after the command name (which may contain spaces) start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name; in clock ticks.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
