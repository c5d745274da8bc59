/**
 * A self-signed certificate for `ok.test` (valid 2000–2100), for tests only: it lets the TLS tests prove
 * that the guarded connector verifies the certificate for the requested name while connecting to the
 * checked address. The key is public by being here; never trust this certificate outside tests.
 */
export const OK_TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBVzCB/qADAgECAgEBMAoGCCqGSM49BAMCMBIxEDAOBgNVBAMMB29rLnRlc3Qw
IBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBaMBIxEDAOBgNVBAMMB29r
LnRlc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARO8vsOTGrLy++yQYdhfIIY
a95oRJW5C//VM9IDVz6wOm4XtOPaGB96eKcWwV/w61Gz4kRIA4IeSoqBHgTGOPP9
o0MwQTASBgNVHREECzAJggdvay50ZXN0MAwGA1UdEwEB/wQCMAAwHQYDVR0OBBYE
FPyzydy5eK5ll77tFIcnsu+sEZPRMAoGCCqGSM49BAMCA0gAMEUCIQCyMI45hWnG
JIxFHX/x/s7VT5WEAyNr892gzUgPZsocjgIgWj57vvHW37h9KoxTmb2uioNVLlJs
9cN4ECx9HS1jp4k=
-----END CERTIFICATE-----
`;

export const OK_TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg69TkUxDjgu9Sz9zB
WDsCjjDptayadCekebWfre1OGj6hRANCAARO8vsOTGrLy++yQYdhfIIYa95oRJW5
C//VM9IDVz6wOm4XtOPaGB96eKcWwV/w61Gz4kRIA4IeSoqBHgTGOPP9
-----END PRIVATE KEY-----
`;
