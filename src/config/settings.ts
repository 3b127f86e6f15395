// The three sections of LiteLLM's config.yaml and how layers of them merge.

export type Settings = { [key: string]: any };
export type Section = 'litellm_settings' | 'general_settings' | 'router_settings';
export const SECTIONS: Section[] = ['litellm_settings', 'general_settings', 'router_settings'];
/** The prop that holds each section's raw settings. */
export const RAW_PROP: Record<Section, 'litellmSettings' | 'generalSettings' | 'routerSettings'> = {
  litellm_settings: 'litellmSettings', general_settings: 'generalSettings', router_settings: 'routerSettings',
};

/** `litellm_settings` lists every layer adds to rather than replaces. */
export const CALLBACK_LISTS = ['callbacks', 'success_callback', 'failure_callback'];

/** Later layers win key by key; callback lists are joined, each name once. */
export function merge(...layers: Settings[]): Settings {
  const out: Settings = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (CALLBACK_LISTS.includes(key) && Array.isArray(out[key]) && Array.isArray(value)) {
        out[key] = [...new Set([...out[key], ...value])];
      } else {
        out[key] = value;
      }
    }
  }
  return out;
}
