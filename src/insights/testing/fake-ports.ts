import type { DeliveryReach, PageViewCounts, ReachFigures, ServerSoftware } from "../insights.ports.ts";

/** In-memory stand-ins for the ports other modules implement, settable by tests. */
export class FakeReach implements DeliveryReach {
  readonly figures = new Map<string, ReachFigures>();
  reachOf(postIds: readonly string[]): Promise<ReadonlyMap<string, ReachFigures>> {
    return Promise.resolve(new Map(postIds.flatMap((id) => (this.figures.has(id) ? [[id, this.figures.get(id)!] as const] : []))));
  }
  /** The cutoffs insights asked to fold at. */
  readonly folds: string[] = [];
  foldSettledBefore(cutoff: string): Promise<number> {
    this.folds.push(cutoff);
    return Promise.resolve(0);
  }
}

export class FakePageViews implements PageViewCounts {
  /** `accountId|YYYY-MM-DD` → counts. */
  readonly views = new Map<string, { views: number; crawlerViews: number }>();
  viewsByDay(accountId: string, fromDay: string, toDay: string): Promise<ReadonlyMap<string, { views: number; crawlerViews: number }>> {
    const out = new Map<string, { views: number; crawlerViews: number }>();
    for (const [key, v] of this.views) {
      const [id, day] = key.split("|") as [string, string];
      if (id === accountId && day >= fromDay && day <= toDay) out.set(day, v);
    }
    return Promise.resolve(out);
  }
}

export class FakeSoftware implements ServerSoftware {
  readonly known = new Map<string, string>();
  readonly refreshed: string[][] = [];
  softwareOf(hosts: readonly string[]): Promise<ReadonlyMap<string, string>> {
    return Promise.resolve(new Map(hosts.flatMap((h) => (this.known.has(h) ? [[h, this.known.get(h)!] as const] : []))));
  }
  refresh(hosts: readonly string[]): Promise<void> {
    this.refreshed.push([...hosts]);
    return Promise.resolve();
  }
}
