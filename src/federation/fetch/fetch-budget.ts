/**
 * How many remote fetches one inbound activity may still cause (hostile-inputs case 16: "hosts
 * fetched per activity"). One budget is created per inbound request or job from
 * `config.limits.fetchesPerActivity` and passed to every resolver and fetcher call made for it, so a
 * single activity naming hundreds of actors or objects cannot turn Herold into a crawler.
 */
export class FetchBudget {
  #remaining: number;
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
    this.#remaining = limit;
  }

  get remaining(): number {
    return this.#remaining;
  }

  /** Takes one fetch from the budget; false (and nothing taken) when it is used up. */
  take(): boolean {
    if (this.#remaining <= 0) return false;
    this.#remaining--;
    return true;
  }

  /** A budget with no practical limit, for operator actions (CLI lookups) that are not driven by remote input. */
  static unlimited(): FetchBudget {
    return new FetchBudget(Number.MAX_SAFE_INTEGER);
  }
}
