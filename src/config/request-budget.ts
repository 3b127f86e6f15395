import { LiteLlmCloudFrontInput, LiteLlmConfigOptions, LiteLlmFallback } from './options';
import { Settings } from './settings';
import { fromLiteLlmFallbacks } from './typed';
import { LiteLlmModel } from '../models';
import { check } from '../private/validate';

/**
 * LiteLLM's longest wait before a retry: exponential back-off capped at MAX_RETRY_DELAY (8 s),
 * `retry_after` capped the same way, plus up to JITTER (0.75 s)
 * (litellm/utils.py:7695-7718, litellm/constants.py:549-551).
 */
const MAX_RETRY_WAIT_SECONDS = 8.75;

/**
 * The shortest time a provider attempt may be given: below it a long completion could never
 * finish. (A provider's Retry-After, which LiteLLM honours up to 60 s before a retry in a
 * group with one deployment or none healthy (litellm/router.py:8731-8770,
 * litellm/utils.py:7706-7708), is the provider asking to wait and is not budgeted.)
 */
const MIN_ATTEMPT_SECONDS = 30;

/** A whole request's time, split over the attempts LiteLLM may make for it. */
export interface AttemptBudget {
  /** Seconds the whole request may take (`service.requestTimeout`). */
  readonly requestSeconds: number;
  /** Seconds each provider attempt may take (`request_timeout`, `router_settings.timeout`). */
  readonly attemptSeconds: number;
  /**
   * LiteLLM's cap on a request (`num_retries_per_request`): it makes no provider call once
   * the request's retries and fallback hops together reach it, so it makes at most this many.
   */
  readonly maxAttempts: number;
}

/**
 * Nothing in LiteLLM bounds a whole request in time: a group is tried `num_retries` + 1
 * times (litellm/router.py:8386-8590), each attempt with the full `request_timeout` and a
 * back-off after each failure (router.py:8497-8505, 8570-8578), then each fallback group the
 * same way, and its fallbacks in turn (litellm/router_utils/fallback_event_handlers.py:723-866).
 * So the platform counts the attempts the config allows on the longest fallback walk, caps
 * LiteLLM at that count and gives each attempt its share of `requestSeconds`.
 *
 * LiteLLM counts one per retry and one per fallback hop (litellm/router.py:8485, 8530, 9138-9188;
 * fallback_event_handlers.py:815) and refuses a call once the count reaches the cap
 * (litellm/litellm_core_utils/core_helpers.py:367-374, litellm/utils.py:1757-1760). A walk
 * of S steps with R retries makes (R + 1) × S calls and counts (R + 1) × S + S − 1, the last
 * call at (R + 2) × S − 2: a cap of (R + 2) × S − 1 lets it through (S without retries, which
 * count nothing). Any walk under that cap makes at most cap calls, each followed by a
 * back-off of at most MAX_RETRY_WAIT_SECONDS.
 */
export function attemptBudget(models: LiteLlmModel[], router: Settings, requestSeconds: number, cloudFront?: LiteLlmCloudFrontInput): AttemptBudget {
  // A deployment's own num_retries replaces the router's for its errors (litellm/router.py:8427-8434).
  const count = (n: unknown) => (typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0);
  const retries = Math.max(count(router.num_retries), ...models.map(m => count(m.litellmParams.num_retries)));
  const walk = longestFallbackWalk(models, router);
  const steps = walk.steps.length;
  const maxAttempts = retries > 0 ? (retries + 2) * steps - 1 : steps;
  const attemptSeconds = Math.floor(requestSeconds / maxAttempts - MAX_RETRY_WAIT_SECONDS);
  if (attemptSeconds < MIN_ATTEMPT_SECONDS) {
    const where = steps === 1 ? 'in its group' : `at each of ${steps} steps of its fallbacks (${walk.steps.join(', ')})`;
    throw new Error(`\`service.requestTimeout\` (${requestSeconds} s) leaves ${Math.max(attemptSeconds, 0)} s per provider attempt, under the ${MIN_ATTEMPT_SECONDS} s an attempt needs: `
      + `a request to "${walk.from}" may be tried ${retries + 1} times (\`numRetries\` ${retries}) ${where}, `
      + `with up to ${MAX_RETRY_WAIT_SECONDS} s of back-off before each retry. Lower numRetries, shorten the fallbacks, or raise requestTimeout (and the load balancer's idleTimeout)`);
  }
  if (cloudFront !== undefined && attemptSeconds > cloudFront.originResponseTimeoutSeconds) {
    return { requestSeconds, attemptSeconds: fitCloudFront(cloudFront, requestSeconds, attemptSeconds, maxAttempts), maxAttempts };
  }
  return { requestSeconds, attemptSeconds, maxAttempts };
}

/**
 * CloudFront cuts an answer whose first byte (or next byte) takes longer than its origin response
 * timeout (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginResponseTimeout),
 * and a non-streamed completion sends nothing until the provider has answered: an attempt
 * LiteLLM would wait for longer than that is cut at the edge first, with a 504 instead of
 * LiteLLM's retry or fallback. The default request timeout gives each attempt the origin timeout
 * at most; an explicit one that would give more fails, with the ways out.
 */
function fitCloudFront(cloudFront: LiteLlmCloudFrontInput, requestSeconds: number, attemptSeconds: number, maxAttempts: number): number {
  const origin = cloudFront.originResponseTimeoutSeconds;
  if (cloudFront.requestTimeoutSet) {
    // The longest request timeout whose share, floor(r / attempts - back-off), stays within the origin timeout.
    const fits = Math.floor(maxAttempts * (origin + MAX_RETRY_WAIT_SECONDS));
    throw new Error(`\`service.requestTimeout\` (${requestSeconds} s) gives each of up to ${maxAttempts} provider attempts ${attemptSeconds} s, `
      + `longer than CloudFront waits for an answer (\`cloudFront.originResponseTimeout\`, ${origin} s): a non-streamed answer taking longer would be cut with a 504. `
      + `Lower requestTimeout to ${fits} s or less (clients that need longer answers stream them: CloudFront then waits ${origin} s between chunks only), `
      + 'raise the account\'s CloudFront quota "Response timeout per origin" and `cloudFront.originResponseTimeout` (up to 120 s, the most a VPC origin takes), '
      + 'or serve HTTPS from the load balancer\'s own domain (`loadBalancer.domainName`) with `cloudFront.enabled: false`');
  }
  return origin;
}

/**
 * The model group whose failing request goes through the most steps: itself, then each group
 * its fallbacks reach, each tried once per request (litellm/router_utils/fallback_event_handlers.py:174-196,
 * 786-812). A failing hop follows its own chain, else the chain of the group the request was
 * for, else the `*` chain (fallback_event_handlers.py:529-570); the same holds for
 * context-window and content-policy fallbacks (litellm/router.py:7968-8248). A group whose
 * deployments have several `order` values is one step per value (router.py:8022-8076).
 * `max_fallbacks: 0` stops every hop (fallback_event_handlers.py:762-764).
 */
function longestFallbackWalk(models: LiteLlmModel[], router: Settings): { from: string; steps: string[] } {
  const orders = new Map<string, Set<number>>();
  for (const m of models) {
    const order = m.litellmParams.order;
    const seen = orders.get(m.name) ?? new Set<number>();
    if (typeof order === 'number') seen.add(order);
    orders.set(m.name, seen);
  }
  const stepsOf = (group: string): string[] => {
    const levels = [...(orders.get(group) ?? [])].sort((a, b) => a - b);
    return levels.length > 1 ? levels.map(o => `${group} order ${o}`) : [group];
  };
  // default_fallbacks joins the fallbacks as a `*` entry (litellm/router.py:1447-1456).
  const defaults = Array.isArray(router.default_fallbacks) ? [{ '*': router.default_fallbacks }] : [];
  const lists = [
    fromLiteLlmFallbacks([...(Array.isArray(router.fallbacks) ? router.fallbacks : []), ...defaults]),
    fromLiteLlmFallbacks(router.context_window_fallbacks),
    fromLiteLlmFallbacks(router.content_policy_fallbacks),
  ];
  const chain = (list: LiteLlmFallback[], group: string, origin: string): unknown[] => (
    list.find(f => f.model === group) ?? list.find(f => f.model === origin) ?? list.find(f => f.model === '*')
  )?.fallbackModels ?? [];
  const stop = router.max_fallbacks === 0;
  let longest = { from: models[0].name, steps: [models[0].name] };
  for (const from of orders.keys()) {
    const reached = [from];
    for (let i = 0; i < reached.length && !stop; i++) {
      for (const n of lists.flatMap(list => chain(list, reached[i], from))) {
        if (typeof n === 'string' && !reached.includes(n)) reached.push(n);
      }
    }
    const steps = stop ? [from] : reached.flatMap(stepsOf);
    if (steps.length > longest.steps.length) longest = { from, steps };
  }
  return longest;
}

/**
 * A timeout set per stream or per deployment replaces the per-attempt one for its
 * requests (litellm/router.py:4577-4610), so it may not be longer.
 */
export function checkAttemptTimeouts(models: LiteLlmModel[], options: LiteLlmConfigOptions, router: Settings, budget: AttemptBudget): void {
  const limit = `the per-attempt timeout (${budget.attemptSeconds} s: \`service.requestTimeout\` ${budget.requestSeconds} s shared by up to ${budget.maxAttempts} attempts)`;
  const within = (n: unknown) => typeof n !== 'number' || n <= budget.attemptSeconds;
  const where = options.routerSettings?.stream_timeout !== undefined ? 'config.routerSettings' : 'configFile router_settings';
  check(router.stream_timeout, within,
    s => `\`${where}.stream_timeout\` (${s} s) exceeds ${limit}: a request's attempts would outlast the load balancer's idle timeout; lower it`);
  for (const m of models) {
    const params = m.litellmParams;
    const timeouts: [string, unknown][] = ['timeout', 'request_timeout', 'stream_timeout'].map(k => [k, params[k]]);
    for (const key of ['timeout_by_service_tier', 'stream_timeout_by_service_tier']) {
      const tiers = params[key];
      if (tiers !== null && typeof tiers === 'object') timeouts.push(...Object.entries(tiers).map(([t, v]): [string, unknown] => [`${key}.${t}`, v]));
    }
    for (const [key, value] of timeouts) {
      check(value, within, v => `model "${m.name}": \`litellm_params.${key}\` (${v} s) exceeds ${limit}: lower it or remove it`);
    }
    // The router builds its SDK clients with max_retries 0 unless a deployment sets it
    // (litellm/router.py:1475); set, the SDK retries inside one attempt, each try with the
    // attempt's whole timeout, so one attempt could take several shares of the budget.
    check(params.max_retries, (n: unknown) => n === 0 || n === null,
      n => `model "${m.name}": \`litellm_params.max_retries\` (${JSON.stringify(n)}) makes the provider's SDK retry inside one attempt, each try with ${limit}: `
        + 'remove it and retry with `config.numRetries`, which the platform budgets');
  }
}
