/**
 * Whether a Host value names `origin`'s host: compared as URL authorities, so letter case and an
 * explicit default port (`example.org:443` for https) do not matter; anything with userinfo, a path
 * or other characters a Host cannot carry does not match.
 */
export function sameAuthority(host: string, origin: URL): boolean {
  if (!/^[A-Za-z0-9.\-]+(?::[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$/.test(host)) return false;
  let parsed: URL;
  try {
    parsed = new URL(`${origin.protocol}//${host}`);
  } catch {
    return false;
  }
  return parsed.host === origin.host;
}
