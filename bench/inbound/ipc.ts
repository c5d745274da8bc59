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

/** The next message of `type` from `child`; rejects when the child exits first or after `timeoutMs`. */
export function nextMessage<T extends Message>(child: ChildProcess, type: string, timeoutMs = 600_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: Message) => {
      if (message?.type === "error") finish(() => reject(new Error(`child failed: ${String(message["message"])}`)));
      else if (message?.type === type) finish(() => resolve(message as T));
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
  const answer = nextMessage<T>(child, reply, timeoutMs);
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
