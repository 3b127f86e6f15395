import * as fs from 'fs';
import * as YAML from 'yaml';
import { Section, SECTIONS, Settings } from './settings';
import { LiteLlmModel } from '../models';
import { envReference, envReferences, literalCredentials } from '../private/credentials';

export interface ConfigFile {
  readonly models: LiteLlmModel[];
  readonly settings: Partial<Record<Section, Settings>>;
}

/** A Bedrock `model` (`bedrock/<id>`, `bedrock/converse/<id>`, `bedrock/invoke/<id>`) and its model id. */
const BEDROCK_MODEL = /^bedrock\/(?:converse\/|invoke\/)?(.+)$/;

export function readConfigFile(path: string): ConfigFile {
  let doc: any;
  try {
    // LiteLLM reads its config with PyYAML: YAML 1.1.
    doc = YAML.parse(fs.readFileSync(path, 'utf8'), { version: '1.1' }) ?? {};
  } catch (e) {
    throw new Error(`\`config.configFile\` (${path}) cannot be read: ${(e as Error).message}`);
  }
  const literals = literalCredentials(doc, 'configFile');
  if (literals.length > 0) {
    throw new Error(`\`config.configFile\` (${path}) holds a credential at \`${literals[0].replace(/^configFile\./, '')}\`; it would be written into the template. `
      + 'Write "os.environ/NAME" instead: NAME becomes a field of the provider keys secret');
  }
  const unsupported = Object.keys(doc).filter(k => !['model_list', ...SECTIONS].includes(k));
  if (unsupported.length > 0) {
    throw new Error(`\`config.configFile\` (${path}) has ${unsupported.join(', ')}, which the platform does not carry over: `
      + 'remove them, or keep only model_list, litellm_settings, general_settings and router_settings');
  }
  const models = ((doc.model_list ?? []) as any[]).map((entry, i) => {
    const params = entry?.litellm_params;
    if (typeof entry?.model_name !== 'string' || params === null || typeof params !== 'object' || typeof params.model !== 'string') {
      throw new Error(`\`config.configFile\` (${path}): model_list[${i}] needs a model_name and litellm_params with a model`);
    }
    const bedrock = BEDROCK_MODEL.exec(params.model);
    const region = typeof params.aws_region_name === 'string' ? params.aws_region_name : undefined;
    const internet = !bedrock && params.mock_response === undefined;
    return LiteLlmModel._fromConfigFile(entry.model_name, { ...params }, entry.model_info, envReferences(params), internet,
      bedrock ? { modelId: bedrock[1], region: envReference(region) === undefined ? region : undefined } : undefined);
  });
  const settings: Partial<Record<Section, Settings>> = {};
  for (const section of SECTIONS) settings[section] = doc[section] ?? {};
  return { models, settings };
}
