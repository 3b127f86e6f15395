import { LiteLlmConfigOptions } from './options';
import { SECTION_RULES, SectionKind, validateListedReferences, validateSectionCombinations } from './sections';
import { Settings } from './settings';
import { LiteLlmGuardrail } from '../guardrails';
import { LiteLlmMcpServer } from '../mcp-servers';
import { LiteLlmVectorStore } from '../vector-stores';

/** The sections beyond `model_list` and the settings: typed where AWS is involved, raw otherwise. */
export interface TypedSections {
  /** `guardrails`: the file's, `sections.guardrails`, then `config.guardrails`. */
  readonly guardrails: LiteLlmGuardrail[];
  /** `mcp_servers`: the file's, `sections.mcp_servers`, then `config.mcpServers`. */
  readonly mcpServers: LiteLlmMcpServer[];
  /** `vector_store_registry`: the file's, `sections.vector_store_registry`, then `config.vectorStores`. */
  readonly vectorStores: LiteLlmVectorStore[];
  /** Every other section, as written. */
  readonly raw: Settings;
  /** All of them as LiteLLM reads them, in the order above. */
  render(): Settings;
}

/**
 * Parses the typed sections of `merged` (the file's and `sections`' layers, merged) into the
 * same objects as the typed props, joins the props, and refuses a name used twice.
 */
export function typedSections(merged: Settings, options: LiteLlmConfigOptions): TypedSections {
  validateSectionCombinations(merged);
  const raw: Settings = {};
  for (const [name, value] of Object.entries(merged)) {
    if (SECTION_RULES[name]?.kind !== SectionKind.TYPED) raw[name] = value;
  }
  const list = (name: string): any[] => {
    const value = merged[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) throw new Error(`\`${name}\` (in \`config.configFile\` or \`config.sections\`) must be a list of entries`);
    return value;
  };
  const servers = merged.mcp_servers ?? {};
  if (servers === null || typeof servers !== 'object' || Array.isArray(servers)) {
    throw new Error('`mcp_servers` (in `config.configFile` or `config.sections`) must be a mapping of server names to their settings');
  }
  const guardrails = [
    ...list('guardrails').map((g, i) => LiteLlmGuardrail._fromEntry(g, `guardrails[${i}]`)),
    ...(options.guardrails ?? []),
  ];
  const mcpServers = [
    ...Object.entries(servers).map(([name, entry]) => LiteLlmMcpServer._fromEntry(name, entry as Settings, `mcp_servers.${name}`)),
    ...(options.mcpServers ?? []),
  ];
  const vectorStores = [
    ...list('vector_store_registry').map((v, i) => LiteLlmVectorStore._fromEntry(v, `vector_store_registry[${i}]`)),
    ...(options.vectorStores ?? []),
  ];
  unique('guardrails', 'config.guardrails', guardrails.map(g => g.name));
  unique('mcp_servers', 'config.mcpServers', mcpServers.map(m => m.name));
  unique('vector_store_registry', 'config.vectorStores', vectorStores.map(v => v.name));
  // The typed props' own entries (`custom()` takes any entry) are read by the same rules.
  validateListedReferences({
    'config.guardrails': (options.guardrails ?? []).map(g => g.configEntry),
    'config.mcpServers': Object.fromEntries((options.mcpServers ?? []).map(m => [m.name, m.configEntry])),
    'config.vectorStores': (options.vectorStores ?? []).map(v => v.configEntry),
  });
  return {
    guardrails,
    mcpServers,
    vectorStores,
    raw,
    render: () => ({
      ...(guardrails.length > 0 ? { guardrails: guardrails.map(g => g.configEntry) } : {}),
      ...(mcpServers.length > 0 ? { mcp_servers: Object.fromEntries(mcpServers.map(m => [m.name, m.configEntry])) } : {}),
      ...(vectorStores.length > 0 ? { vector_store_registry: vectorStores.map(v => v.configEntry) } : {}),
      ...raw,
    }),
  };
}

/** One name twice: LiteLLM would keep one of them, or refuse to start. */
function unique(section: string, prop: string, names: string[]): void {
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) {
    throw new Error(`\`${section}\` has "${twice}" twice (across \`config.configFile\`, \`config.sections\` and \`${prop}\`): give each a name of its own, or remove one`);
  }
}
