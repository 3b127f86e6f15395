/** The address and prefix of an IPv4 CIDR, or undefined for anything else. */
function ipv4(cidr: string): { address: number; prefix: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m || !m.slice(1, 5).every(o => Number(o) <= 255) || Number(m[5]) > 32) return undefined;
  return { address: m.slice(1, 5).reduce((a, o) => a * 256 + Number(o), 0), prefix: Number(m[5]) };
}

/** Whether the IPv4 CIDR `inner` lies inside `outer`; false when either is not an IPv4 CIDR. */
export function ipv4CidrWithin(inner: string, outer: string): boolean {
  const i = ipv4(inner);
  const o = ipv4(outer);
  if (!i || !o || i.prefix < o.prefix) return false;
  const size = 2 ** (32 - o.prefix);
  return Math.floor(i.address / size) === Math.floor(o.address / size);
}
