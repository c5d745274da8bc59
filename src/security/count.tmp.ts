import { XSS_PAYLOADS } from "./active-content.ts";
console.log("xss", XSS_PAYLOADS.length);
