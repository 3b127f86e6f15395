import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { SECTION_RULES, SectionKind, validateSectionNames } from './sections';
import { Section, SECTIONS, Settings } from './settings';
import { LiteLlmModel } from '../models';
import { envReference, envReferences, literalCredentials } from '../private/credentials';

export interface ConfigFile {
  readonly models: LiteLlmModel[];
  readonly settings: Partial<Record<Section, Settings>>;
  /** Every other section, raw: the typed ones (`guardrails`…) are parsed by `LiteLlmConfig`. */
  readonly sections: Settings;
}

/** A Bedrock `model` (`bedrock/<id>`, `bedrock/converse/<id>`, `bedrock/invoke/<id>`) and its model id. */
const BEDROCK_MODEL = /^bedrock\/(?:converse\/|invoke\/)?(.+)$/;

function readYaml(file: string, root: string): Settings {
  let doc: any;
  try {
    // LiteLLM reads its config with PyYAML: YAML 1.1.
    doc = YAML.parse(fs.readFileSync(file, 'utf8'), { version: '1.1' }) ?? {};
  } catch (e) {
    throw new Error(`\`config.configFile\` (${root}) cannot be read${file === root ? '' : ` (its include ${file})`}: ${(e as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`\`config.configFile\` (${file}) is not a YAML mapping`);
  return doc;
}

/**
 * The file with its `include`s merged as LiteLLM merges them at start: each path relative to
 * the file that names it, each file once, lists joined and any other value replaced
 * (litellm/proxy/common_utils/config_includes.py:11-21, 52-66, 91-130). The tasks get one
 * rendered file, so the merge happens here.
 */
function readWithIncludes(root: string): Settings {
  let doc: Settings = {};
  const loaded = new Set<string>([path.resolve(root)]);
  const pending: [string, string][] = [];
  const take = (file: Settings, declaredIn: string) => {
    const include = file.include;
    if (include !== undefined && (!Array.isArray(include) || include.some(e => typeof e !== 'string'))) {
      throw new Error(`\`config.configFile\` (${declaredIn}): \`include\` must be a list of file paths`);
    }
    for (const entry of (include ?? []) as string[]) pending.push([entry, declaredIn]);
    for (const [key, value] of Object.entries(file)) {
      if (key === 'include') continue;
      doc[key] = Array.isArray(doc[key]) && Array.isArray(value) ? [...doc[key], ...value] : value;
    }
  };
  take(readYaml(root, root), root);
  while (pending.length > 0) {
    const [entry, declaredIn] = pending.shift()!;
    // Next to the file that declares it; else next to the root config, where LiteLLM also looks
    // (litellm/proxy/common_utils/config_includes.py:11-43).
    const declared = path.resolve(path.dirname(declaredIn), entry);
    const fromRoot = path.resolve(path.dirname(root), entry);
    const file = !fs.existsSync(declared) && fs.existsSync(fromRoot) ? fromRoot : declared;
    if (loaded.has(file)) continue;
    loaded.add(file);
    if (!fs.existsSync(file)) throw new Error(`\`config.configFile\` (${root}): the included file ${entry} (${file}) does not exist`);
    take(readYaml(file, root), file);
  }
  return doc;
}

export function readConfigFile(file: string): ConfigFile {
  const doc = readWithIncludes(file);
  const literals = literalCredentials(doc, 'configFile');
  if (literals.length > 0) {
    throw new Error(`\`config.configFile\` (${file}) holds a credential at \`${literals[0].replace(/^configFile\./, '')}\`; it would be written into the template. `
      + 'Write "os.environ/NAME" instead: NAME becomes a field of the provider keys secret');
  }
  validateSectionNames(name => `\`config.configFile\` (${file}) \`${name}\``, doc, true);
  const models = ((doc.model_list ?? []) as any[]).map((entry, i) => {
    const params = entry?.litellm_params;
    if (typeof entry?.model_name !== 'string' || params === null || typeof params !== 'object' || typeof params.model !== 'string') {
      throw new Error(`\`config.configFile\` (${file}): model_list[${i}] needs a model_name and litellm_params with a model`);
    }
    const bedrock = BEDROCK_MODEL.exec(params.model);
    const region = typeof params.aws_region_name === 'string' ? params.aws_region_name : undefined;
    const internet = !bedrock && params.mock_response === undefined;
    return LiteLlmModel._fromConfigFile(entry.model_name, { ...params }, entry.model_info, envReferences(params), internet,
      bedrock ? { modelId: bedrock[1], region: envReference(region) === undefined ? region : undefined } : undefined);
  });
  const settings: Partial<Record<Section, Settings>> = {};
  for (const section of SECTIONS) settings[section] = doc[section] ?? {};
  const sections: Settings = {};
  for (const [name, value] of Object.entries(doc)) {
    if (SECTION_RULES[name].kind !== SectionKind.OWN_PROP) sections[name] = value;
  }
  return { models, settings, sections };
}
