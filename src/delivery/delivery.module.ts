import type { AppBase, ModuleContributions } from "../app/base.ts";
import type { DeliveryPort } from "./delivery.port.ts";

// SKELETON (lead): the delivery-engine engineer replaces this body with the real engine.
export interface DeliveryModule extends ModuleContributions {
  readonly port: DeliveryPort;
}

export function createDeliveryModule(_base: AppBase): DeliveryModule {
  return {
    port: {
      enqueue: async () => {
        throw new Error("delivery engine not wired yet");
      },
    },
  };
}
