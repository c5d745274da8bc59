/**
 * A delivery worker in its own process, for the crash test (fanout.test.ts): configured only by
 * HEROLD_* variables, it runs the `deliver` handler on the configured database until SIGTERM, and
 * tells its parent (IPC) its worker id so the parent can see which jobs it held when killed.
 * Test support only.
 */
import { loadConfig } from "../../config/config.ts";
import { openDatabase } from "../../db/database.ts";
import { setupLogging } from "../../lib/logger.ts";
import { systemClock } from "../../lib/time.ts";
import { runWorkers } from "../../queue/worker.ts";
import { createDeliveryModule } from "../delivery.module.ts";
import { OutboxRepository } from "../../federation/outbound/outbox.repository.ts";
import { createTestBase } from "./harness.ts";

const config = loadConfig(process.env);
// Warnings and errors (lost leases, failed deletes) reach the test's stderr.
await setupLogging("warning", "text");
const database = await openDatabase(config.database);
const base = createTestBase(database, config, systemClock);
const delivery = createDeliveryModule(base, { outbox: new OutboxRepository(base.database.db) });
const stop = new AbortController();
process.on("SIGTERM", () => stop.abort());

const workerId = `${process.pid}-delivery-child`;
const workers = runWorkers(base.queue, delivery.jobs, { workerId, signal: stop.signal, clock: systemClock });
process.send?.({ type: "ready", workerId });
await workers;
await delivery.close();
await base.queue.close();
await database.close();
process.disconnect?.();
