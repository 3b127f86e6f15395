import { Token } from 'aws-cdk-lib';
import * as YAML from 'yaml';
import { envReference } from './credentials';

/**
 * A TCP port other than 443 the proxy must reach, with every URL that needs it.
 */
export interface EgressPort {
  readonly port: number;
  /** The hosts reached on this port, each once. */
  readonly hosts: string[];
  /** The URLs on this port, each with where it was found. */
  readonly needs: EgressNeed[];
}

/** A URL the proxy calls and where the config or environment holds it. */
export interface EgressNeed {
  /** `model "llama" litellm_params.api_base`, `general_settings.pass_through_endpoints[0].target`, `OTEL_ENDPOINT`. */
  readonly source: string;
  readonly url: string;
}

/**
 * Variables whose value may lack a scheme, with the scheme LiteLLM then uses: it puts
 * `http://` before a Langfuse host without one (litellm/integrations/langfuse/langfuse.py:276-281);
 * an OTLP endpoint may be `host:port` (its exporters read OTEL_EXPORTER_OTLP_ENDPOINT, then
 * OTEL_ENDPOINT: litellm/integrations/opentelemetry.py:370-371). Any other value counts only
 * as a full URL: LiteLLM's HTTP clients refuse one without a scheme.
 */
const SCHEMELESS: { [name: string]: string | undefined } = {
  LANGFUSE_HOST: 'http',
  LANGFUSE_BASE_URL: 'http',
  OTEL_ENDPOINT: undefined,
  OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
};

/** How a value of `name` may be written: a URL only (null), or also `host:port` with, for a bare host, this scheme. */
function schemeless(name: string | undefined): string | null | undefined {
  return name !== undefined && name in SCHEMELESS ? SCHEMELESS[name] : null;
}

const DEFAULT_PORTS: { [scheme: string]: number } = { http: 80, ws: 80, https: 443, wss: 443 };

/** `scheme://[user@]host[:port][/…]`; the host may hold a deploy-time token (`${Token[…]}`). */
const URL_PATTERN = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/?#\s]*@)?(\[[^\]]*\]|[^:/?#\s]*)(?::(\d+))?(?:[/?#]|$)/i;
/** `host:port` with no scheme. */
const HOST_PORT_PATTERN = /^(\[[^\]]*\]|[^:/?#\s]+):(\d+)(?:[/?#]|$)/;
/** Keys and variables whose value is an endpoint, for references that cannot be read at synth. */
const ENDPOINT_NAME = /(^|_)(api_base|base_url|url|uri|endpoint|host)$/i;
/** The sections whose every URL is an address the proxy calls. */
const SETTINGS = ['litellm_settings', 'general_settings', 'router_settings'];
/** Params that hold text a model answers with, or describe an entry, never an address. */
const NOT_ADDRESSES = new Set(['mock_response', 'model_info', 'description', 'vector_store_description', 'guardrail_info', 'instructions']);

/** Addresses inside the task: its containers share one network namespace, which no security group filters. */
function isLoopback(host: string): boolean {
  return /^(localhost|127(\.\d+){3}|\[::1\]|0\.0\.0\.0)$/i.test(host);
}

/** The host and port `value` reaches, or undefined when it is no address, is in the task, or has no known port. */
function target(value: string, bare: string | null | undefined): { port: number; host: string } | undefined {
  const url = URL_PATTERN.exec(value);
  let found: { port: number | undefined; host: string } | undefined;
  if (url) {
    found = { host: url[2], port: url[3] !== undefined ? Number(url[3]) : DEFAULT_PORTS[url[1].toLowerCase()] };
  } else if (bare !== null && !value.includes('://')) {
    const hostPort = HOST_PORT_PATTERN.exec(value);
    if (hostPort) found = { host: hostPort[1], port: Number(hostPort[2]) };
    else if (bare !== undefined && /^[a-z0-9.-]+$/i.test(value)) found = { host: value, port: DEFAULT_PORTS[bare] };
  }
  const port = found?.port;
  if (found === undefined || port === undefined || port < 1 || port > 65535 || isLoopback(found.host)) return undefined;
  return { host: found.host, port };
}

/** Every string in `value` with its dotted path under `path`. */
function strings(value: unknown, path: string): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).filter(([k]) => !NOT_ADDRESSES.has(k)).flatMap(([k, v]) => strings(v, path ? `${path}.${k}` : k));
}

/** An address found, where, and how its value may be written. */
type Found = { source: string; value: string; bare: string | null | undefined };

/** What the config and environment hold, path by path, `os.environ/NAME` read from `environment` where it is there. */
function addresses(
  config: string | { [key: string]: any }, environment: { [name: string]: string }, wired: string[] = [],
): { found: Found[]; unresolved: string[] } {
  const doc = typeof config === 'string' ? YAML.parse(config, { version: '1.1' }) ?? {} : config;
  const inConfig: [string, string][] = [
    ...((doc.model_list ?? []) as any[]).flatMap((m, i) =>
      strings(m?.litellm_params, '').map(([p, v]): [string, string] => [`model "${m?.model_name ?? i}" litellm_params.${p}`, v])),
    // The settings: any URL (pass_through_endpoints' target, callback params…).
    ...Object.keys(doc).filter(s => SETTINGS.includes(s)).flatMap(s => strings(doc[s], s)),
    // Every other section (src/config/sections.ts): only values under an endpoint's key, which is how
    // they name what LiteLLM calls — MCP servers' `url`, `authorization_url`, `token_url`,
    // `registration_url`, `token_exchange_endpoint` and an OpenAPI `spec_path` it fetches
    // (litellm/proxy/_experimental/mcp_server/mcp_server_manager.py:2580, 2609-2615, 2837;
    // openapi_to_mcp_generator.py:252), guardrails', search tools' and credentials' `api_base`.
    // A keyword, pattern or prompt that happens to be a URL opens nothing.
    ...Object.keys(doc).filter(s => s !== 'model_list' && !SETTINGS.includes(s)).flatMap(s => strings(doc[s], s))
      .filter(([p]) => {
        const key = p.replace(/(\[\d+\])+$/, '').split('.').pop() ?? '';
        return ENDPOINT_NAME.test(key) || key === 'spec_path';
      }),
  ];
  const found: Found[] = [];
  const unresolved: string[] = [];
  const endpointName = (source: string) => ENDPOINT_NAME.test(source.replace(/\[\d+\]$/, '').split('.').pop() ?? '');
  const deployTime = (value: string) => Token.isUnresolved(value) && !URL_PATTERN.test(value);
  for (const [source, value] of inConfig) {
    const env = envReference(value);
    if (env === undefined) {
      if (!deployTime(value)) found.push({ source, value, bare: null });
      else if (endpointName(source)) unresolved.push(source);
    } else if (environment[env] !== undefined) {
      // LiteLLM resolves os.environ/NAME from its environment (litellm/proxy/proxy_server.py:5860-5900).
      found.push({ source: `${source} (${env})`, value: environment[env], bare: schemeless(env) });
    } else if (endpointName(source) && !wired.includes(env)) {
      unresolved.push(`${source} (os.environ/${env})`);
    }
  }
  for (const [name, value] of Object.entries(environment)) {
    if (!deployTime(value)) found.push({ source: name, value, bare: schemeless(name) });
    else if (endpointName(name) && !wired.includes(name)) unresolved.push(name);
  }
  return { found, unresolved };
}

/**
 * The TCP ports other than 443 the proxy must reach, ascending, each with the URLs that need
 * it: models' `api_base` (and any other URL in their params), URLs anywhere in the settings
 * (`pass_through_endpoints`, callback params…), and the environment the callbacks and
 * `service.environment` set (`OTEL_ENDPOINT`, `LANGFUSE_HOST`…). `http://` without a port is
 * 80, `https://` 443; addresses in the task (`localhost`) need no rule.
 *
 * @param config the rendered config.yaml (or its parsed document)
 * @param environment the proxy's plain environment variables
 */
export function egressPorts(config: string | { [key: string]: any }, environment: { [name: string]: string } = {}): EgressPort[] {
  const byPort = new Map<number, { hosts: string[]; needs: EgressNeed[] }>();
  for (const { source, value, bare } of addresses(config, environment).found) {
    const to = target(value, bare);
    if (to === undefined || to.port === 443) continue;
    const entry = byPort.get(to.port) ?? { hosts: [], needs: [] };
    if (!entry.hosts.includes(to.host)) entry.hosts.push(to.host);
    entry.needs.push({ source, url: value });
    byPort.set(to.port, entry);
  }
  return [...byPort.entries()].sort(([a], [b]) => a - b).map(([port, { hosts, needs }]) => ({ port, hosts, needs }));
}

/**
 * Endpoints whose address is only known at deploy or run time: an `os.environ/NAME` read
 * from a secret, or a deploy-time token, under an endpoint-like key (`api_base`, `*_host`,
 * `*_ENDPOINT`…). Their ports cannot be opened at synth. References to `wired` names (what
 * the platform sets and opens itself: the cache, the database) are not listed.
 */
export function unresolvedEndpoints(
  config: string | { [key: string]: any }, environment: { [name: string]: string } = {}, wired: string[] = [],
): string[] {
  return addresses(config, environment, wired).unresolved;
}

/** Adjacent ports of `egressPorts`, which one security group rule opens. */
export interface EgressRange {
  readonly fromPort: number;
  readonly toPort: number;
  /** The hosts reached on these ports, each once. */
  readonly hosts: string[];
}

/**
 * `ports` as few rules as open nothing more: each run of adjacent ports is one range.
 * A security group holds 60 outbound rules by default (IPv4 and IPv6 counted apart:
 * https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html).
 */
export function egressRanges(ports: EgressPort[]): EgressRange[] {
  const ranges: { fromPort: number; toPort: number; hosts: string[] }[] = [];
  for (const { port, hosts } of [...ports].sort((a, b) => a.port - b.port)) {
    const last = ranges[ranges.length - 1];
    if (last && last.toPort + 1 === port) {
      last.toPort = port;
      last.hosts.push(...hosts.filter(h => !last.hosts.includes(h)));
    } else {
      ranges.push({ fromPort: port, toPort: port, hosts: [...hosts] });
    }
  }
  return ranges;
}

/**
 * A security group rule description for `egress`: the ports and the hosts, in the characters
 * EC2 allows (a-z, A-Z, 0-9, spaces and `._-:/()#,@[]+=&;{}!$*`), at most 255 of them.
 */
export function egressRuleDescription(egress: EgressRange): string {
  const hosts = [...new Set(egress.hosts.map(h => (Token.isUnresolved(h) ? 'a deploy-time host' : h)))];
  const ports = egress.fromPort === egress.toPort ? `${egress.fromPort}` : `${egress.fromPort}-${egress.toPort}`;
  const text = `LiteLLM to TCP ${ports}: ${hosts.join(', ')}`.replace(/[^a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]/g, '_');
  return text.length <= 255 ? text : `${text.slice(0, 252)}...`;
}

/** An IPv4 literal as a 32-bit number, or undefined. */
function ipv4(host: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.some(o => o > 255) ? undefined : octets.reduce((n, o) => n * 256 + o, 0);
}

/** Whether the IPv4 literal `host` lies in `cidr` (`a.b.c.d/n`). */
export function inCidr(host: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const address = ipv4(host);
  const start = ipv4(base);
  const size = Number(bits);
  if (address === undefined || start === undefined || !Number.isInteger(size) || size < 0 || size > 32) return false;
  const block = 2 ** (32 - size);
  return Math.floor(address / block) === Math.floor(start / block);
}

/**
 * Whether `host` is a private address literal, which only a network of its own (the VPC, or
 * one peered or attached to it) reaches, never the internet: RFC 6598's 100.64/10 and RFC 1918's 10/8, 172.16/12 and
 * 192.168/16 (https://www.rfc-editor.org/rfc/rfc1918#section-3) and IPv6 unique local fc00::/7
 * (https://www.rfc-editor.org/rfc/rfc4193#section-3.1).
 */
export function isPrivateAddress(host: string): boolean {
  // RFC 1918, and RFC 6598's shared space, which VPCs may use as a secondary block.
  if (['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'].some(c => inCidr(host, c))) return true;
  return /^\[f[cd][0-9a-f]{0,2}:/i.test(host);
}

/** The host of an http(s) URL written at synth, or undefined. */
export function urlHost(value: unknown): string | undefined {
  if (typeof value !== 'string' || Token.isUnresolved(value) || envReference(value) !== undefined) return undefined;
  return URL_PATTERN.exec(value)?.[2];
}
