export * from './cache';
export * from './callbacks';
export * from './cloudfront';
export { LiteLlmRoutingStrategy } from './config';
export type { LiteLlmConfigEntryOptions, LiteLlmConfigOptions, LiteLlmFallback } from './config';
export * from './database';
export * from './guardrails';
export * from './image';
export * from './load-balancer';
export * from './mcp-servers';
export { LiteLlmMetrics } from './metrics';
export type {
  LiteLlmMetricsOptions, LiteLlmMetricsProps, LiteLlmModelMathExpressionOptions, LiteLlmModelMetricOptions, LiteLlmServiceMetricsOptions,
} from './metrics';
export * from './migration';
export * from './models';
export * from './monitoring';
export * from './network';
export * from './outputs';
export * from './platform';
export * from './profile';
export * from './security';
export * from './service';
export * from './vector-stores';
