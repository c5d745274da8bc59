import { Hono } from "hono";
import type { JobQueue } from "../queue/queue.ts";
import type { DeliveryMetrics } from "./metrics.ts";

export const OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

export interface MetricsRouteDeps {
  readonly metrics: DeliveryMetrics;
  readonly queue: Pick<JobQueue, "depth">;
  readonly unavailableHosts: () => Promise<number>;
  readonly openCircuits: () => number;
}

/**
 * `GET /metrics`: OpenMetrics text for Prometheus-compatible scrapers. It lists peer host names
 * (the busiest and most failing ones), so operators who consider their audience's servers private
 * should restrict the path at their reverse proxy.
 */
export function metricsRoutes(deps: MetricsRouteDeps): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) => {
    const [depth, unavailableHosts] = await Promise.all([deps.queue.depth(), deps.unavailableHosts()]);
    const text = deps.metrics.render({ depth, unavailableHosts, openCircuits: deps.openCircuits() });
    return c.body(text, 200, { "content-type": OPENMETRICS_CONTENT_TYPE, "cache-control": "no-store" });
  });
  return app;
}
