import { CfnOutput } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmCloudFront } from './cloudfront';
import { LiteLlmDatabase } from './database';
import { LiteLlmLoadBalancer } from './load-balancer';
import { LiteLlmMonitoring } from './monitoring';
import { LiteLlmSecurity } from './security';
import { LiteLlmService } from './service';

/**
 * Properties of `LiteLlmOutputs`.
 */
export interface LiteLlmOutputsProps {
  /** The load balancer whose URL clients call. */
  readonly loadBalancer: LiteLlmLoadBalancer;
  /**
   * The CloudFront distribution in front of the load balancer, for its id (invalidations, its
   * metrics and logs). The URL outputs follow the load balancer's `url`, which is then the
   * distribution's.
   *
   * @default - no distribution output
   */
  readonly cloudFront?: LiteLlmCloudFront;
  /** The secrets an operator reads after deploy. */
  readonly security: LiteLlmSecurity;
  /** The service an operator redeploys and reads the logs of. */
  readonly service: LiteLlmService;
  /**
   * The alarm topic and dashboard.
   *
   * @default - no monitoring outputs
   */
  readonly monitoring?: LiteLlmMonitoring;
  /**
   * The database, for its instance identifier: what finds its final snapshot and its RDS log
   * groups (`/aws/rds/instance/<identifier>/…`) after a `cdk destroy`.
   *
   * @default - no database output
   */
  readonly database?: LiteLlmDatabase;
  /**
   * What every output key starts with (letters and digits), so they stay stable and two
   * platforms in one stack do not collide.
   *
   * @default - the construct's id
   */
  readonly prefix?: string;
}

/**
 * The stack outputs an operator needs after `cdk deploy`, under stable keys
 * (`<prefix>Url`, `<prefix>MasterKeySecretArn`…) that
 * `aws cloudformation describe-stacks --query "Stacks[0].Outputs[?OutputKey=='<prefix>Url'].OutputValue"`
 * can ask for. `LiteLlmPlatform` creates them with its own id as the prefix; in a split,
 * create them in the stack that holds the service.
 */
export class LiteLlmOutputs extends Construct {
  /** The output keys, by the name after the prefix (`Url`, `AdminUi`…). */
  public readonly keys: Record<string, string>;

  constructor(scope: Construct, id: string, props: LiteLlmOutputsProps) {
    super(scope, id);
    const prefix = props.prefix ?? id;
    if (!/^[A-Za-z0-9]+$/.test(prefix)) {
      throw new Error(`LiteLlmOutputs: the prefix "${prefix}" must be letters and digits only (CloudFormation output keys are alphanumeric); pass \`prefix\``);
    }
    const url = props.loadBalancer.url;
    const values: [string, string | undefined, string][] = [
      ['Url', url, 'Base URL of the LiteLLM proxy (OpenAI-compatible API under /v1)'],
      ['AdminUi', `${url}/ui`, 'URL of the LiteLLM admin UI: log in with the UI credentials secret'],
      ['MasterKeySecretArn', props.security.masterKeySecret.secretArn, 'Secret holding the LiteLLM master key (administrators only; it rotates)'],
      ['UiCredentialsSecretArn', props.security.uiCredentialsSecret.secretArn, 'Secret holding the admin UI login (UI_USERNAME, UI_PASSWORD)'],
      ['ProviderKeysSecretArn', props.security.providerKeysSecret?.secretArn, 'Secret holding the provider API keys, one field per environment variable'],
      ['ClusterName', props.service.cluster.clusterName, 'ECS cluster of the LiteLLM service'],
      ['ServiceName', props.service.service.serviceName, 'ECS service running the LiteLLM proxy'],
      ['LogGroupName', props.service.logGroup.logGroupName, 'Log group of the LiteLLM containers'],
      ['DatabaseInstanceId', props.database?.instance.instanceIdentifier,
        'RDS instance identifier: names its final snapshot and its log groups /aws/rds/instance/<id>/postgresql and /upgrade'],
      ['DistributionId', props.cloudFront?.distribution.distributionId, 'CloudFront distribution in front of the load balancer'],
      ['DashboardName', props.monitoring?.dashboard.dashboardName, 'CloudWatch dashboard of the platform'],
      ['AlarmTopicArn', props.monitoring?.alarmTopic.topicArn, 'SNS topic every alarm of the platform notifies'],
    ];
    const keys: Record<string, string> = {};
    for (const [name, value, description] of values) {
      if (value === undefined) continue;
      keys[name] = `${prefix}${name}`;
      new CfnOutput(this, name, { key: keys[name], value, description });
    }
    this.keys = keys;
  }
}
