import { LiteLlmCloudFrontInput } from './options';
import { Settings } from './settings';
import type { LiteLlmModel } from '../models';

/**
 * What CloudFront's clock may count before LiteLLM's keep-alive timer starts: the request body's
 * upload and LiteLLM's authentication (a key lookup in the database on a cold cache).
 */
const KEEPALIVE_MARGIN_SECONDS = 15;

/**
 * The interval of LiteLLM's SSE keep-alive behind CloudFront: as late as CloudFront allows, the
 * origin response timeout less a margin, and at least half of it (45 s for the default 60 s).
 *
 * LiteLLM writes nothing for a streamed request until the provider's first chunk: the whole
 * time to first token is spent before the response starts (litellm/proxy/common_request_processing.py:1397-1416,
 * `open_sse_before_first_byte`), so CloudFront, which waits at most the origin response timeout
 * for the first byte, would answer 504 to a stream whose first token takes longer (a reasoning
 * model, a long prompt, a retry after a slow failure). With
 * `litellm_settings.sse_keepalive_ping_interval_seconds` set (litellm/__init__.py:270, off by
 * default), LiteLLM opens the response once an interval passes without an answer and writes
 * `: ping` comments, which SSE clients ignore, until the first chunk
 * (common_request_processing.py:1418-1470, wrapping the LLM routes: :2744-2805), and fills gaps
 * mid-stream the same way (litellm/proxy/proxy_server.py:9832-9860, 9942-9985, used at 10086-10095).
 * The price, LiteLLM's own reason to leave it off: a failure found after the first ping reaches
 * the client as a `data:` error frame under a 200, not as an HTTP error status
 * (common_request_processing.py:1149-1151, 1354-1359), which Anthropic-format clients skip
 * (anthropic_interface/exceptions/exception_mapping_utils.py:172-179). So the first ping comes
 * as late as it can: only requests that would otherwise get CloudFront's 504 pay it.
 */
export function streamKeepaliveSeconds(cloudFront: LiteLlmCloudFrontInput): number {
  const origin = cloudFront.originResponseTimeoutSeconds;
  return Math.max(origin / 2, origin - KEEPALIVE_MARGIN_SECONDS);
}

/**
 * A keep-alive written in the config, for all streams or for one model's (`keepalive_seconds`,
 * which replaces the global interval for its deployments: litellm/proxy/proxy_server.py:9888-9930,
 * litellm/proxy/common_utils/sse_keepalive.py:180-201), must let a ping through before CloudFront
 * gives up: a positive interval at least as long as the origin response timeout would not (nor
 * one LiteLLM stretches to 1 s mid-stream, proxy_server.py:9822, 9974, when the timeout is 1 s).
 * (Zero, a negative or no number turns it off, LiteLLM's `coerce_keepalive_interval`,
 * sse_keepalive.py:22-31: the user's choice, kept.)
 */
export function checkStreamKeepalive(litellmSettings: Settings, models: LiteLlmModel[], cloudFront: LiteLlmCloudFrontInput): void {
  const origin = cloudFront.originResponseTimeoutSeconds;
  const tooLong = (value: unknown): boolean => {
    const seconds = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
    return Number.isFinite(seconds) && seconds > 0 && Math.max(seconds, 1) >= origin;
  };
  const why = `is not shorter than CloudFront's origin response timeout (\`cloudFront.originResponseTimeout\`, ${origin} s): `
    + 'a stream whose first token takes longer would be cut with a 504 before LiteLLM\'s first ping.';
  const value = litellmSettings.sse_keepalive_ping_interval_seconds;
  if (tooLong(value)) {
    throw new Error(`\`litellm_settings.sse_keepalive_ping_interval_seconds\` (${JSON.stringify(value)}) ${why} `
      + `Remove it (the platform sets ${streamKeepaliveSeconds(cloudFront)} s behind CloudFront), or set it under ${origin} s`);
  }
  for (const m of models.filter(x => tooLong(x.litellmParams.keepalive_seconds))) {
    throw new Error(`model "${m.name}": \`keepalive_seconds\` (${JSON.stringify(m.litellmParams.keepalive_seconds)}) ${why} `
      + `Remove it (the platform's ${streamKeepaliveSeconds(cloudFront)} s then applies), or set it under ${origin} s`);
  }
}
