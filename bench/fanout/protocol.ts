/**
 * The simulated network of the fan-out benchmark: which servers exist, which followers live on them,
 * and the messages the benchmark's processes exchange over IPC.
 */
import type { ChildProcess } from "node:child_process";

export interface ServerSpec {
  readonly port: number;
  /** Several followers behind one shared inbox (one delivery), or one follower with a personal inbox. */
  readonly shared: boolean;
}

export interface FollowerSpec {
  readonly username: string;
  readonly actorUri: string;
  readonly inbox: string;
  readonly sharedInbox: string | null;
}

/** Followers per server with a shared inbox. */
export const FOLLOWERS_BEHIND_SHARED_INBOX = 3;

export function layout(ports: readonly number[], sharedEvery: number): ServerSpec[] {
  return ports.map((port, i) => ({ port, shared: sharedEvery > 0 && i % sharedEvery === 0 }));
}

export function followersOf(server: ServerSpec): FollowerSpec[] {
  const origin = `http://127.0.0.1:${server.port}`;
  const count = server.shared ? FOLLOWERS_BEHIND_SHARED_INBOX : 1;
  return Array.from({ length: count }, (_, i) => ({
    username: `f${i}`,
    actorUri: `${origin}/users/f${i}`,
    inbox: `${origin}/users/f${i}/inbox`,
    sharedInbox: server.shared ? `${origin}/inbox` : null,
  }));
}

/** The one inbox each server receives the activity at (shared inbox preferred). */
export function deliveryInboxOf(server: ServerSpec): string {
  const [first] = followersOf(server);
  return first!.sharedInbox ?? first!.inbox;
}

export type Message = { readonly type: string } & Record<string, unknown>;

/** Resolves with the next message of `type` from `child` (rejects if it exits first). */
export function nextMessage<T extends Message>(child: ChildProcess | NodeJS.Process, type: string, timeoutMs = 600_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no "${type}" message within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: unknown): void => {
      if ((message as Message | null)?.type === type) finish(undefined, message as T);
    };
    const onExit = (code: unknown): void => finish(new Error(`process exited (${String(code)}) before sending "${type}"`));
    const finish = (error: Error | undefined, message?: T): void => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(message!);
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

/** Peak resident set size of this process so far, in MiB (resourceUsage reports KiB). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Answers the orchestrator's "cpu" question: CPU time this process has used so far, in ms. */
export function cpuMessage(): Message {
  const usage = process.cpuUsage();
  return { type: "cpu", ms: (usage.user + usage.system) / 1000 };
}

/** Sends `message` to a benchmark child process and waits for its reply of type `reply`. */
export async function request<T extends Message>(child: ChildProcess, message: Message, reply: string, timeoutMs?: number): Promise<T> {
  const answer = nextMessage<T>(child, reply, timeoutMs);
  child.send(message);
  return await answer;
}

/** The median of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
