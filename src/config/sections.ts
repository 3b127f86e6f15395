// The top-level sections of LiteLLM's config.yaml: which ones LiteLLM 1.108.7 reads at start,
// and how the platform carries each. Line numbers are litellm/proxy/proxy_server.py unless named.

import { Settings } from './settings';
import { isMapping } from '../private/validate';

/** How the platform carries a top-level key. */
export enum SectionKind {
  /** A prop of its own (`models`, `litellmSettings`…): refused in `config.sections`. */
  OWN_PROP = 'OWN_PROP',
  /** Parsed into typed objects (grants, egress, redacted headers), then rendered. */
  TYPED = 'TYPED',
  /** Rendered as written. */
  RAW = 'RAW',
  /** Refused, with the fix. */
  REFUSED = 'REFUSED',
}

export interface SectionRule {
  readonly kind: SectionKind;
  /** Where LiteLLM reads it. */
  readonly readAt: string;
  /** For OWN_PROP and REFUSED: what to do instead. */
  readonly fix?: string;
}

/**
 * Every top-level key LiteLLM 1.108.7 reads from its config at start. `ProxyConfig.get_config`
 * (6128-6191) loads the file, merges `include`d files (5618, common_utils/config_includes.py:8,
 * 117-130), resolves `os.environ/NAME` everywhere (5860-5899) and hands the document to
 * `load_config` (6352-7190) and `_init_non_llm_configs` (7193-7245). Besides these, at start the
 * CLI reads `litellm_settings.json_logs` and `general_settings.key_management_settings`
 * (proxy_cli.py:1285, 1297), the secret manager `general_settings.key_management_system` (5920),
 * the coordination Redis `general_settings` and `litellm_settings` (5982-5983), and the startup
 * event `litellm_settings` again (1557, 1621). No other top-level key is read.
 *
 * What LiteLLM moves to its database at runtime stays the admin UI's: guardrails, MCP servers,
 * vector stores, prompts, policies, agents, search tools and pass-through endpoints created there
 * are stored in the database and loaded beside the config's (`_init_guardrails_in_db` 8973,
 * `_init_mcp_servers_in_db` 9093, `_init_vector_stores_in_db` 9050, `_init_prompts_in_db` 8927,
 * `_init_policies_in_db` 9012, `_init_agents_in_db` 9160, `_init_search_tools_in_db` 9175,
 * `_init_pass_through_endpoints_in_db` 9256); a deploy never touches them.
 */
export const SECTION_RULES: { [section: string]: SectionRule } = {
  model_list: { kind: SectionKind.OWN_PROP, readAt: '7047', fix: 'use `models` (LiteLlmModel factories), or bring the file in `config.configFile`' },
  litellm_settings: { kind: SectionKind.OWN_PROP, readAt: '6405', fix: 'use `config.litellmSettings`' },
  general_settings: { kind: SectionKind.OWN_PROP, readAt: '6768', fix: 'use `config.generalSettings`' },
  router_settings: { kind: SectionKind.OWN_PROP, readAt: '7112', fix: 'use `config.routerSettings`' },
  guardrails: { kind: SectionKind.TYPED, readAt: '7159' },
  mcp_servers: { kind: SectionKind.TYPED, readAt: '7215' },
  vector_store_registry: { kind: SectionKind.TYPED, readAt: '7228' },
  callback_settings: { kind: SectionKind.RAW, readAt: '6400' },
  credential_list: { kind: SectionKind.RAW, readAt: '6215' },
  search_tools: { kind: SectionKind.RAW, readAt: '6235' },
  assistant_settings: { kind: SectionKind.RAW, readAt: '7078' },
  sandbox_tools: { kind: SectionKind.RAW, readAt: '7093' },
  finetune_settings: { kind: SectionKind.RAW, readAt: '7096' },
  files_settings: { kind: SectionKind.RAW, readAt: '7100' },
  default_vertex_config: { kind: SectionKind.RAW, readAt: '7108' },
  policies: { kind: SectionKind.RAW, readAt: '7269' },
  // Read only when `policies` is there (7269-7274): alone it is refused (validateSectionCombinations).
  policy_attachments: { kind: SectionKind.RAW, readAt: '7274' },
  prompts: { kind: SectionKind.RAW, readAt: '7177' },
  mcp_tools: { kind: SectionKind.RAW, readAt: '7198' },
  // `agents`, else `agent_list` (7207): both together are refused (validateSectionCombinations).
  agents: { kind: SectionKind.RAW, readAt: '7207' },
  agent_list: { kind: SectionKind.RAW, readAt: '7207' },
  // Premium only: LiteLLM refuses to start without a license (7239-7243); the service warns
  // (cdk-litellm:premiumSection) when LITELLM_LICENSE is not set.
  worker_registry: { kind: SectionKind.RAW, readAt: '7239' },
  environment_variables: {
    kind: SectionKind.REFUSED,
    readAt: '6301',
    // LiteLLM copies each entry into its process environment (6298-6335): a value would sit in the
    // template's plain text, and a variable the service sets itself would be silently replaced.
    fix: 'set plain variables in `service.environment`, and credentials as fields of the provider keys secret (reference them as "os.environ/NAME", or list them in `config.secretEnvNames`)',
  },
  include: {
    kind: SectionKind.REFUSED,
    readAt: '5618',
    fix: '`include` names files next to the config, and the tasks get one rendered file: write the included sections in `config.sections`, or keep `include` in `config.configFile`, whose included files are read and merged at synth',
  },
  // LiteLLM ignores both at the top level with a warning (6338-6350): JWT auth would silently stay off.
  enable_jwt_auth: { kind: SectionKind.REFUSED, readAt: '6340', fix: 'it belongs in general_settings: use `config.generalSettings.enable_jwt_auth`' },
  litellm_jwtauth: { kind: SectionKind.REFUSED, readAt: '6340', fix: 'it belongs in general_settings: use `config.generalSettings.litellm_jwtauth`' },
};

/** The known section nearest to `name` (edit distance), for a typo. */
export function closestSection(name: string): string {
  let best = '';
  let bestDistance = Infinity;
  for (const known of Object.keys(SECTION_RULES)) {
    const d = editDistance(name.toLowerCase(), known);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * Refuses what a layer may not carry: an unknown key (naming the closest known one), a refused
 * key, and, unless `ownPropsAllowed` (a file), a key with a prop of its own. `at(name)` names
 * where a section is written, e.g. `` `config.sections.include` ``.
 */
export function validateSectionNames(at: (name: string) => string, sections: Settings, ownPropsAllowed: boolean): void {
  for (const name of Object.keys(sections)) {
    const rule = SECTION_RULES[name];
    if (rule === undefined) {
      throw new Error(`${at(name)} is not a section LiteLLM reads: did you mean "${closestSection(name)}"? Fix the name or remove it`);
    }
    if (rule.kind === SectionKind.REFUSED || (rule.kind === SectionKind.OWN_PROP && !ownPropsAllowed)) {
      throw new Error(`${at(name)} is not carried: ${rule.fix}`);
    }
  }
}

/**
 * The raw sections of several layers in order, later wins: lists are joined, mappings merged
 * key by key (a server in two layers' `mcp_servers` is refused), anything else replaced.
 */
export function mergeSections(...layers: Settings[]): Settings {
  const out: Settings = {};
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer)) {
      const before = out[name];
      if (Array.isArray(before) && Array.isArray(value)) {
        out[name] = [...before, ...value];
      } else if (isMapping(before) && isMapping(value)) {
        // A server is named by its key: a second one would silently replace the first.
        const twice = name === 'mcp_servers' ? Object.keys(value).find(k => k in before) : undefined;
        if (twice !== undefined) {
          throw new Error(`\`mcp_servers\` has "${twice}" twice (across \`config.configFile\`, \`config.sections\` and \`config.mcpServers\`): give each a name of its own, or remove one`);
        }
        out[name] = { ...before, ...value };
      } else {
        out[name] = value;
      }
    }
  }
  return out;
}

/**
 * Refuses what LiteLLM would silently ignore or leave unresolved in the merged sections: `agents`
 * with `agent_list` (it reads `agents`, else `agent_list`: 7207), `policy_attachments` without
 * `policies` (read only after `policies`: 7269-7274), and `os.environ/NAME` as an item of a list
 * of strings (LiteLLM resolves references in mappings and in mappings inside lists, and leaves
 * any other list item as written: 5884-5893).
 */
export function validateSectionCombinations(sections: Settings): void {
  const present = (name: string) => sections[name] !== undefined && sections[name] !== null;
  if (present('agents') && present('agent_list')) {
    throw new Error('`agents` and `agent_list` are both set (in `config.configFile` or `config.sections`): LiteLLM reads `agents` and ignores `agent_list`: move the entries into one of them');
  }
  if (present('policy_attachments') && !present('policies')) {
    throw new Error('`policy_attachments` is set without `policies` (in `config.configFile` or `config.sections`): LiteLLM reads attachments only with policies, so these would be ignored: add the `policies` they attach, or remove them');
  }
  validateListedReferences(sections);
}

/** Refuses an `os.environ/NAME` that LiteLLM would pass on unresolved (see validateSectionCombinations). */
export function validateListedReferences(sections: Settings): void {
  const unresolved = listedReference(sections, '');
  if (unresolved !== undefined) {
    throw new Error(`\`${unresolved}\` is an "os.environ/" reference that is an item of a list, or inside a list in a list, which LiteLLM passes on as written, `
      + 'never resolved (it resolves mappings, and mappings that are items of a list): '
      + 'write the value itself if it is not a secret, or move it to a mapping key LiteLLM resolves (e.g. an MCP stdio server\'s `env`)');
  }
}

/** The path of the first "os.environ/" string anywhere in `value`, or undefined. */
function anyReference(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.startsWith('os.environ/') ? path : undefined;
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [`${path}[${i}]`, v])
    : isMapping(value) ? Object.entries(value).map(([k, v]) => [`${path}.${k}`, v]) : [];
  for (const [at, v] of entries) {
    const found = anyReference(v, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The path of the first "os.environ/" string that is an item of a list, or undefined. */
function listedReference(value: unknown, path: string): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const at = `${path}[${i}]`;
      if (typeof item === 'string' && item.startsWith('os.environ/')) return at;
      // A list inside a list is passed on whole, mappings in it included (proxy_server.py:5886-5892).
      const inner = Array.isArray(item) ? anyReference(item, at) : isMapping(item) ? listedReference(item, at) : undefined;
      if (inner !== undefined) return inner;
    }
  } else if (isMapping(value)) {
    for (const [k, v] of Object.entries(value)) {
      const inner = listedReference(v, path ? `${path}.${k}` : k);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}
