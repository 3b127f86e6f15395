/**
 * A set of defaults for a whole platform. Every explicit prop wins over its profile.
 *
 * | setting | DEVELOPMENT | PRODUCTION |
 * |---|---|---|
 * | Multi-AZ database | off | on |
 * | ECS capacity | Fargate Spot | Fargate |
 * | DB instance | db.t4g.small | db.t4g.medium |
 * | deletion protection (ALB, RDS), removal policy | off, destroy | on, snapshot/retain |
 * | WAF | off | on |
 * | Container Insights, Performance Insights | off | on |
 * | log retention | 14 days | 90 days |
 * | LITELLM_LOG | INFO | ERROR |
 */
export enum DeploymentProfile {
  /** Cheap and disposable: single-AZ database, Fargate Spot, everything destroyed with the stack. */
  DEVELOPMENT = 'DEVELOPMENT',
  /** Durable and observable: Multi-AZ, on-demand Fargate, deletion protection, WAF, retained data. */
  PRODUCTION = 'PRODUCTION',
}
