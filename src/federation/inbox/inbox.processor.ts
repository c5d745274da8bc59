import { logger } from "../../lib/logger.ts";
import { dispatchKey } from "./dispatch-key.ts";
import type { InboundActivity, InboxDispatcher, InboxOutcome } from "./inbox.types.ts";

const log = logger("federation", "inbox");

export interface DispatchResult {
  readonly key: string;
  readonly outcome: InboxOutcome;
}

/**
 * Routes a verified activity to the handler registered for its dispatcher key (dispatch-key.ts) and
 * logs what happened: processed at info, ignored (no handler: unknown types are not errors) at
 * debug, rejected at info with the reason. Handler exceptions propagate: the queue retries the job.
 */
export class InboxProcessor {
  readonly #dispatcher: InboxDispatcher;

  constructor(deps: { dispatcher: InboxDispatcher }) {
    this.#dispatcher = deps.dispatcher;
  }

  /** `nested`: the activity was unwrapped from an Announce; announces inside it are not unwrapped again. */
  async dispatch(activity: InboundActivity, options: { nested?: boolean } = {}): Promise<DispatchResult> {
    const key = await dispatchKey(activity.json, (uri) => this.#dispatcher.undoneType(uri));
    let outcome: InboxOutcome;
    if (options.nested === true && key.startsWith("Announce/")) {
      outcome = { kind: "rejected", reason: "an announced activity may not itself announce an activity" };
    } else {
      const handler = this.#dispatcher.get(key);
      outcome = handler !== undefined ? await handler(activity) : { kind: "ignored", reason: `no handler for ${key}` };
    }
    const fields = { key, id: activity.id, actor: activity.actor.uri, reason: "reason" in outcome ? outcome.reason : "" };
    switch (outcome.kind) {
      case "processed":
        log.info("processed {key} {id} from {actor}", fields);
        break;
      case "ignored":
        log.debug("ignored {key} {id} from {actor}: {reason}", fields);
        break;
      case "rejected":
        log.info("rejected {key} {id} from {actor}: {reason}", fields);
        break;
      default:
        outcome satisfies never;
    }
    return { key, outcome };
  }
}
