import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalAddress, isAddressAllowed, isForbiddenAddress } from "./address-policy.ts";

// Pure table tests: nothing here opens a connection.

const FORBIDDEN: readonly string[] = [
  // IPv4 special-use
  "0.0.0.0",
  "0.255.255.255",
  "10.0.0.1",
  "10.255.255.255",
  "100.64.0.1",
  "100.127.255.254",
  "127.0.0.1",
  "127.255.255.254",
  "169.254.169.254",
  "172.16.0.1",
  "172.31.255.255",
  "192.0.0.8",
  "192.0.2.1",
  "192.88.99.1",
  "192.168.0.1",
  "192.168.255.255",
  "198.18.0.1",
  "198.19.255.255",
  "198.51.100.7",
  "203.0.113.9",
  "224.0.0.1",
  "239.255.255.250",
  "240.0.0.1",
  "255.255.255.255",
  // IPv6 loopback / unspecified in many spellings
  "::",
  "::0",
  "0:0:0:0:0:0:0:0",
  "::1",
  "0:0:0:0:0:0:0:1",
  "0000:0000:0000:0000:0000:0000:0000:0001",
  "[::1]",
  "0::1",
  // IPv4-mapped forms of forbidden IPv4
  "::ffff:127.0.0.1",
  "::FFFF:127.0.0.1",
  "::ffff:7f00:1",
  "0:0:0:0:0:ffff:7f00:0001",
  "0:0:0:0:0:ffff:127.0.0.1",
  "::ffff:10.0.0.1",
  "::ffff:a9fe:a9fe", // 169.254.169.254
  "[::ffff:169.254.169.254]",
  "::ffff:0.0.0.0",
  // IPv4-compatible ::/96 (glitch-soc)
  "::127.0.0.1",
  "::7f00:1",
  "::8.8.8.8",
  "::a9fe:a9fe",
  // IPv4-translated (SIIT)
  "::ffff:0:127.0.0.1",
  "::ffff:0:808:808",
  // NAT64
  "64:ff9b::127.0.0.1",
  "64:ff9b::a9fe:a9fe",
  "64:ff9b::8.8.8.8",
  "64:ff9b:1::1",
  // 6to4, Teredo, documentation
  "2002:7f00:1::",
  "2002:a9fe:a9fe::1",
  "2002::1",
  "2001:0:4136:e378:8000:63bf:3fff:fdd2",
  "2001::1",
  "2001:db8::1",
  "2001:DB8:0:0:0:0:0:1",
  "3fff::1",
  // unique local, link-local, site-local, multicast, discard
  "fc00::1",
  "fd12:3456:789a::1",
  "fe80::1",
  "FE80::abcd:1",
  "febf:ffff::1",
  "fec0::1",
  "ff02::1",
  "ff05::1:3",
  "100::1",
  "5f00::1",
  // not IP literals at all, or non-canonical spellings we refuse to interpret
  "",
  "localhost",
  "example.com",
  "127.1",
  "0x7f.0.0.1",
  "0177.0.0.1",
  "2130706433",
  "127.0.0.01",
  "1.2.3.4.5",
  "256.0.0.1",
  "fe80::1%eth0",
  "::1%lo",
  "1::2::3",
  ":::1",
  "12345::1",
  " 8.8.8.8",
];

const ALLOWED: readonly string[] = [
  "1.1.1.1",
  "8.8.8.8",
  "9.255.255.255",
  "11.0.0.0",
  "100.63.255.255",
  "100.128.0.0",
  "126.255.255.255",
  "128.0.0.0",
  "169.253.255.255",
  "169.255.0.0",
  "172.15.255.255",
  "172.32.0.0",
  "192.0.1.1",
  "192.167.255.255",
  "192.169.0.0",
  "198.17.255.255",
  "198.20.0.0",
  "223.255.255.255",
  "93.184.215.14",
  "::ffff:8.8.8.8",
  "::FFFF:0808:0808",
  "[::ffff:1.1.1.1]",
  "2001:200::1",
  "2001:4860:4860::8888",
  "2606:4700:4700::1111",
  "2a00:1450:4001:82b::200e",
  "2A00:1450:4001:082B:0000:0000:0000:200E",
  "2003::1",
  "3ffe::1",
];

test("forbidden addresses, in many textual forms", () => {
  for (const ip of FORBIDDEN) assert.equal(isForbiddenAddress(ip), true, `expected forbidden: ${JSON.stringify(ip)}`);
});

test("public addresses are allowed", () => {
  for (const ip of ALLOWED) assert.equal(isForbiddenAddress(ip), false, `expected allowed: ${JSON.stringify(ip)}`);
});

test("canonical address unifies spellings", () => {
  assert.equal(canonicalAddress("::1"), canonicalAddress("0:0:0:0:0:0:0:1"));
  assert.equal(canonicalAddress("[::0001]"), canonicalAddress("::1"));
  assert.equal(canonicalAddress("::ffff:7f00:1"), "127.0.0.1");
  assert.equal(canonicalAddress("::ffff:127.0.0.1"), "127.0.0.1");
  assert.equal(canonicalAddress("2001:DB8::1"), "2001:db8:0:0:0:0:0:1");
  assert.equal(canonicalAddress("127.1"), undefined);
  assert.equal(canonicalAddress("example.com"), undefined);
});

test("policy: private addresses only with the dev switch or an exact endpoint exception", () => {
  const strict = { allowPrivateAddress: false };
  assert.equal(isAddressAllowed(strict, "127.0.0.1", 8080), false);
  assert.equal(isAddressAllowed(strict, "8.8.8.8", 443), true);

  const dev = { allowPrivateAddress: true };
  assert.equal(isAddressAllowed(dev, "127.0.0.1", 8080), true);
  assert.equal(isAddressAllowed(dev, "10.0.0.1", 80), true);
  assert.equal(isAddressAllowed(dev, "not-an-ip", 80), false, "non-IP text is never allowed");
  assert.equal(isAddressAllowed(dev, "0177.0.0.1", 80), false);

  const oneEndpoint = { allowPrivateAddress: false, allowedEndpoints: [{ address: "127.0.0.1", port: 4000 }] };
  assert.equal(isAddressAllowed(oneEndpoint, "127.0.0.1", 4000), true);
  assert.equal(isAddressAllowed(oneEndpoint, "::ffff:127.0.0.1", 4000), true, "same address, mapped spelling");
  assert.equal(isAddressAllowed(oneEndpoint, "127.0.0.1", 4001), false, "other port");
  assert.equal(isAddressAllowed(oneEndpoint, "127.0.0.2", 4000), false, "other address");
  assert.equal(isAddressAllowed(oneEndpoint, "10.0.0.1", 4000), false);
});
