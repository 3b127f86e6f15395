// The price table the cost model reads: AWS's published list prices in one region,
// on-demand, in USD, written down on the date below from the pricing pages each entry names
// (the build machine cannot reach them: check the figures there when you change the date).
// Free tiers (the first 10 alarms, 3 dashboards…) are left out: the model is per platform,
// and an account's free tier is shared by everything in it.

export const PRICES = {
  asOf: '2026-12-01',
  region: 'us-east-1',
  hoursPerMonth: 730,

  /** aws.amazon.com/vpc/pricing: NAT gateway per hour (data processed per GB is traffic). */
  natGatewayHour: 0.045,
  /** aws.amazon.com/vpc/pricing: each public IPv4 address (NAT's Elastic IP, each AZ of an internet-facing ALB). */
  publicIpv4Hour: 0.005,
  /** aws.amazon.com/privatelink/pricing: interface endpoint per AZ per hour. Gateway endpoints (S3) are free. */
  interfaceEndpointAzHour: 0.01,
  /** aws.amazon.com/elasticloadbalancing/pricing: Application Load Balancer per hour (LCUs are traffic). */
  albHour: 0.0225,

  /** aws.amazon.com/fargate/pricing: Linux x86 on-demand. */
  fargateVcpuHour: 0.04048,
  fargateGbHour: 0.004445,
  /**
   * Fargate Spot follows supply and demand (AWS: "up to 70 %" off, the live rate on the same
   * page): modeled at that discount, so a real bill may be somewhat higher.
   */
  fargateSpotDiscount: 0.7,

  /** aws.amazon.com/rds/postgresql/pricing: single-AZ instance per hour; Multi-AZ (one standby) doubles it. */
  rdsPostgresHour: {
    'db.t4g.micro': 0.016,
    'db.t4g.small': 0.032,
    'db.t4g.medium': 0.065,
    'db.t4g.large': 0.129,
    'db.m7g.large': 0.168,
    'db.r7g.large': 0.239,
  } as Record<string, number>,
  /** gp3 (and gp2) storage per GB-month, single-AZ; Multi-AZ doubles it. */
  rdsStorageGbMonth: 0.115,

  /** aws.amazon.com/elasticache/pricing: node per hour, Valkey (20 % below Redis OSS). */
  elastiCacheValkeyHour: {
    'cache.t4g.micro': 0.0128,
    'cache.t4g.small': 0.0256,
    'cache.t4g.medium': 0.052,
    'cache.m7g.large': 0.1264,
  } as Record<string, number>,
  /** Redis OSS nodes. */
  elastiCacheRedisHour: {
    'cache.t4g.micro': 0.016,
    'cache.t4g.small': 0.032,
    'cache.t4g.medium': 0.065,
    'cache.m7g.large': 0.158,
  } as Record<string, number>,

  /** aws.amazon.com/kms/pricing: customer managed key per month. */
  kmsKeyMonth: 1,
  /** aws.amazon.com/secrets-manager/pricing: secret per month. */
  secretMonth: 0.4,
  /** aws.amazon.com/cloudwatch/pricing: standard-resolution alarm per month. */
  alarmMonth: 0.1,
  /** Dashboard per month. */
  dashboardMonth: 3,
  /** Custom metric per month (Container Insights publishes its metrics as custom metrics). */
  customMetricMonth: 0.3,
  /**
   * Metrics ECS Container Insights (standard) publishes for a cluster with one service and
   * one task family: per cluster, per service and per task family (docs: "Amazon ECS
   * Container Insights metrics"). An estimate: the list grows with services and families.
   */
  containerInsightsMetrics: 38,
  /** aws.amazon.com/waf/pricing: web ACL per month, and each rule or managed rule group in it. */
  wafWebAclMonth: 5,
  wafRuleMonth: 1,

  /**
   * aws.amazon.com/cloudfront/pricing: a distribution, its VPC origin (no charge: "VPC origins"
   * launch post) and its functions have no monthly fee; requests, data out and function
   * invocations are traffic, priced at the "United States, Mexico, and Canada" and "Europe" edge
   * rates. The always-free tier ("1 TB of data transfer out to the internet per month;
   * 10,000,000 HTTP or HTTPS Requests per month; 2,000,000 CloudFront Function invocations per
   * month") is per account, like the other free tiers this table leaves out, but it is large
   * enough to cover a DEVELOPMENT platform whole, so the traffic figures below count it.
   */
  cloudFront: {
    /** HTTPS requests (GET and POST alike), per 10,000. */
    httpsRequests10k: 0.01,
    /** Data transfer out to the internet, per GB (first 10 TB). */
    dataOutGb: 0.085,
    /** CloudFront Functions, per million invocations. */
    functionMillionInvocations: 0.1,
    freeRequests: 10_000_000,
    /** "1 TB", counted as 1,000 GB. */
    freeDataOutGb: 1_000,
    freeFunctionInvocations: 2_000_000,
  },

  /** What traffic adds on top of the model (not in the monthly figures). */
  traffic: {
    /** NAT gateway data processed, per GB (provider calls, image pulls through NAT). */
    natGb: 0.045,
    /** CloudWatch Logs ingestion per GB (LiteLLM's JSON lines, flow logs, access logs aside). */
    logsIngestGb: 0.5,
    /** Interface endpoint data processed per GB. */
    endpointGb: 0.01,
    /** ALB per LCU-hour. */
    albLcuHour: 0.008,
    /** WAF per million requests. */
    wafMillionRequests: 0.6,
  },
};

/**
 * Typical create times in seconds by resource type, for the modeled fresh-deploy critical
 * path: what CloudFormation waits for before it creates a resource that depends on it.
 * Estimates, not measurements of this library's stacks: RDS within the 10–25 minutes the
 * integration runs report (CONTRIBUTING.md), the migration step's one-off task (placement,
 * image pull, LiteLLM's imports, `prisma migrate deploy` on a new database, 30 s polls), the
 * ECS service's wait for a steady state (image pull, health checks), the rest common
 * CloudFormation timings. Anything not listed takes `default`.
 */
export const CREATE_SECONDS: Record<string, number> = {
  'default': 10,
  'AWS::RDS::DBInstance': 720,
  'AWS::RDS::DBInstance/MultiAZ': 1200,
  'AWS::ElastiCache::ReplicationGroup': 600,
  'AWS::ElastiCache::ReplicationGroup/MultiAZ': 900,
  'AWS::ECS::Service': 300,
  'Custom::LiteLlmMigration': 180,
  'AWS::EC2::NatGateway': 120,
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 180,
  'AWS::EC2::VPCEndpoint': 120,
  'AWS::EC2::VPCEndpoint/Gateway': 10,
  'AWS::CertificateManager::Certificate': 180,
  'AWS::Route53::RecordSet': 60,
  'AWS::KMS::Key': 30,
  'AWS::IAM::Role': 20,
  'AWS::IAM::Policy': 20,
  'AWS::Lambda::Function': 30,
  'AWS::SecretsManager::RotationSchedule': 60,
  'AWS::CloudFormation::Stack': 120,
  'AWS::CloudFormation::CustomResource': 30,
  'Custom::': 30,
  'AWS::WAFv2::WebACL': 30,
  // A CloudFront VPC origin reaches "Deployed" in minutes; terraform-aws-modules/terraform-aws-cloudfront#163
  // saw one still "Deploying" after 15 (an estimate of 10). A distribution: AWS reports "reliably pushing these
  // changes within 5 minutes" (aws.amazon.com/blogs/networking-and-content-delivery/slashing-cloudfront-change-
  // propagation-times-in-2020-recent-changes-and-looking-forward). The VPC origin waits for the load balancer, the
  // distribution for the VPC origin, and the service for the distribution (its URL is LiteLLM's PROXY_BASE_URL).
  'AWS::CloudFront::VpcOrigin': 600,
  'AWS::CloudFront::Distribution': 300,
  'AWS::WAFv2::WebACLAssociation': 60,
  'AWS::ECS::ClusterCapacityProviderAssociations': 30,
  'AWS::EC2::VPCGatewayAttachment': 20,
};
