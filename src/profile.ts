/**
 * A set of defaults for a whole platform. Every explicit prop wins over its profile.
 *
 * | setting | DEVELOPMENT | PRODUCTION |
 * |---|---|---|
 * | NAT gateways (`network.natGateways`) | 1: provider calls stop if its AZ fails | 2, one per AZ |
 * | interface endpoints (`network.endpoints`) | none while a NAT gateway carries AWS API calls (still TLS); all without NAT | Secrets Manager, Logs, bedrock-runtime (Bedrock models), ECR (image in ECR) |
 * | tasks (`service.minCapacity` / `maxCapacity`) | 1 / 1: no cache, no autoscaling; a Spot interruption stops the proxy until a new task runs | 2 / 4, spread over both AZs |
 * | task size per worker (`service.cpu`) | 0.5 vCPU, 4 GiB: half the throughput of LiteLLM's sizing | 1 vCPU, 4 GiB |
 * | ECS capacity | Fargate Spot | Fargate |
 * | DB instance | db.t4g.micro (1 GiB, about 84 connections) | db.t4g.small |
 * | Multi-AZ database | off | on |
 * | deletion protection (ALB, RDS) | off | on |
 * | removal policy | database snapshot; key, salt key, database credentials retained; the rest destroyed | database snapshot; key, secrets, logs retained |
 * | WAF | off | on |
 * | Container Insights, Performance Insights | off | on |
 * | log retention (every log group) | 14 days | 90 days |
 * | LITELLM_LOG | INFO | ERROR |
 */
export enum LiteLlmDeploymentProfile {
  /**
   * Cheap: one Spot task, one NAT gateway, single-AZ database; destroyed with the stack except
   * the database's final snapshot and the key and salt key it needs (`removalPolicy: RemovalPolicy.DESTROY` deletes those too).
   */
  DEVELOPMENT = 'DEVELOPMENT',
  /** Durable and observable: a NAT gateway and a task per AZ, Multi-AZ database and cache, deletion protection, WAF, retained data. */
  PRODUCTION = 'PRODUCTION',
}
