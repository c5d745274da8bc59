import assert from "node:assert/strict";
import { connect, createServer, type AddressInfo } from "node:net";
import { test } from "node:test";
import { listenOnLoopback } from "./test-server.ts";

/** Opens a connection: `greeted` once the server wrote to it (it was accepted), `closed` once the server closed it. */
function open(port: number): { greeted: Promise<void>; closed: Promise<"closed"> } {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => undefined);
  return {
    greeted: new Promise((resolve) => socket.once("data", () => resolve())),
    closed: new Promise((resolve) => socket.on("close", () => resolve("closed"))),
  };
}

test("the one loopback core: binds 127.0.0.1 only, counts connections, refuses when told, drops open ones", async () => {
  let refuse = true;
  const server = createServer((socket) => {
    socket.on("error", () => undefined);
    socket.write("hi");
  });
  const listener = await listenOnLoopback(server, () => !refuse);
  try {
    assert.equal((server.address() as AddressInfo).address, "127.0.0.1");
    assert.equal(await open(listener.port).closed, "closed", "a refused connection is closed at once");
    assert.equal(listener.connections(), 1);
    refuse = false;
    const kept = open(listener.port);
    await kept.greeted;
    listener.dropConnections();
    assert.equal(await kept.closed, "closed");
    assert.equal(listener.connections(), 2);
  } finally {
    await listener.close();
  }
  assert.equal(server.listening, false);
});
