const m = () => JSON.stringify(Object.fromEntries(Object.entries(process.memoryUsage()).map(([k,v])=>[k,Math.round(v/1048576)])));
console.log("start", m());
await import("@fedify/fedify"); console.log("fedify", m());
(globalThis as any).gc(); console.log("fedify gc", m());
await import("../src/app/context.ts"); (globalThis as any).gc(); console.log("graph gc", m());
