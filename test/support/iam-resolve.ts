// CloudFormation intrinsics resolved as a deploy would, with a fixed account, region and
// partition and fake physical names shaped like the ones AWS generates, so the IAM policies
// of a synthesized app can be evaluated against the ARNs real API calls carry.
import { createHash } from 'node:crypto';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';

type Json = any;

/** A short hex digest: fake ids are stable per stack and logical id. */
function digest(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** The templates of one app, resolved together (`Fn::ImportValue` reads the other stacks' exports). */
export class TemplateResolver {
  private readonly exports = new Map<string, { stack: string; value: Json }>();

  constructor(public readonly templates: Record<string, Json>) {
    for (const [stack, template] of Object.entries(templates)) {
      for (const output of Object.values<Json>(template.Outputs ?? {})) {
        if (output.Export) this.exports.set(this.resolve(stack, output.Export.Name), { stack, value: output.Value });
      }
    }
  }

  /** The resources of a stack. */
  public resources(stack: string): Record<string, Json> {
    return this.templates[stack].Resources;
  }

  /** A template value with every intrinsic replaced by what CloudFormation would put there. */
  public resolve(stack: string, value: Json): Json {
    if (Array.isArray(value)) return value.map(v => this.resolve(stack, v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [fn] = keys;
      const arg = value[fn];
      switch (fn) {
        case 'Ref': return this.ref(stack, arg);
        case 'Fn::GetAtt': return this.getAtt(stack, arg[0], arg[1]);
        case 'Fn::Join': return (this.resolve(stack, arg[1]) as string[]).join(arg[0]);
        case 'Fn::Select': return this.resolve(stack, arg[1])[Number(this.resolve(stack, arg[0]))];
        case 'Fn::Split': return String(this.resolve(stack, arg[1])).split(arg[0]);
        case 'Fn::Sub': return this.sub(stack, arg);
        case 'Fn::ImportValue': {
          const name = this.resolve(stack, arg);
          const exported = this.exports.get(name);
          if (!exported) throw new Error(`no stack exports ${name}`);
          return this.resolve(exported.stack, exported.value);
        }
        default:
          if (fn.startsWith('Fn::')) throw new Error(`${fn} is not resolved by test/support/iam-resolve.ts`);
      }
    }
    return Object.fromEntries(keys.map(k => [k, this.resolve(stack, value[k])]));
  }

  private sub(stack: string, arg: Json): string {
    const [text, vars] = typeof arg === 'string' ? [arg, {}] : arg;
    return text.replace(/\$\{([^}]+)\}/g, (_: string, name: string) => {
      if (name in vars) return this.resolve(stack, vars[name]);
      const [id, attr] = name.split('.');
      return attr ? this.getAtt(stack, id, attr) : this.ref(stack, id);
    });
  }

  private resource(stack: string, id: string): Json {
    const resource = this.resources(stack)[id];
    if (!resource) throw new Error(`no resource ${id} in stack ${stack}`);
    return resource;
  }

  /** The name CloudFormation generates for a resource without one: `<stack>-<logical id>-<suffix>`. */
  private generatedName(stack: string, id: string): string {
    return `${stack}-${id}-${digest(`${stack}/${id}`, 12).toUpperCase()}`;
  }

  public ref(stack: string, id: string): string {
    switch (id) {
      case 'AWS::Partition': return PARTITION;
      case 'AWS::Region': return REGION;
      case 'AWS::AccountId': return ACCOUNT;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return stack;
      case 'AWS::StackId': return `arn:${PARTITION}:cloudformation:${REGION}:${ACCOUNT}:stack/${stack}/${fakeUuid(stack)}`;
      default:
    }
    const template = this.templates[stack];
    if (template.Parameters?.[id]) return template.Parameters[id].Default ?? `param-${id}`;
    const resource = this.resource(stack, id);
    const p = resource.Properties ?? {};
    const name = (explicit: Json) => (explicit !== undefined ? this.resolve(stack, explicit) : this.generatedName(stack, id));
    switch (resource.Type) {
      case 'AWS::SecretsManager::Secret':
        // Secrets Manager appends a hyphen and six random characters to the name.
        return `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:${name(p.Name)}-${digest(id, 6)}`;
      case 'AWS::SecretsManager::SecretTargetAttachment':
        return this.resolve(stack, p.SecretId);
      case 'AWS::Logs::LogGroup': return name(p.LogGroupName);
      case 'AWS::ECS::Cluster': return name(p.ClusterName);
      case 'AWS::ECS::TaskDefinition':
        return `arn:${PARTITION}:ecs:${REGION}:${ACCOUNT}:task-definition/${name(p.Family)}:${TASK_DEFINITION_REVISION}`;
      case 'AWS::ECS::Service': return this.getAtt(stack, id, 'ServiceArn');
      case 'AWS::IAM::Role': return name(p.RoleName);
      case 'AWS::KMS::Key': return fakeUuid(`${stack}/${id}`);
      case 'AWS::RDS::DBInstance': return String(name(p.DBInstanceIdentifier)).toLowerCase();
      case 'AWS::Lambda::Function': return name(p.FunctionName);
      case 'AWS::S3::Bucket': return String(name(p.BucketName)).toLowerCase();
      case 'AWS::SNS::Topic': return `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${name(p.TopicName)}`;
      case 'AWS::StepFunctions::StateMachine': return `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:stateMachine:${name(p.StateMachineName)}`;
      case 'AWS::EC2::SecurityGroup': return `sg-${digest(id, 17)}`;
      case 'AWS::EC2::Subnet': return `subnet-${digest(id, 17)}`;
      case 'AWS::EC2::VPC': return `vpc-${digest(id, 17)}`;
      case 'AWS::CloudWatch::Dashboard': return name(p.DashboardName);
      case 'AWS::ElasticLoadBalancingV2::TargetGroup':
        return `arn:${PARTITION}:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${digest(id, 20)}/${digest(`${id}/tg`, 16)}`;
      default: throw new Error(`Ref of ${resource.Type} (${id}) is not resolved by test/support/iam-resolve.ts`);
    }
  }

  public getAtt(stack: string, id: string, attribute: string): string {
    const resource = this.resource(stack, id);
    const p = resource.Properties ?? {};
    const key = `${resource.Type}.${attribute}`;
    switch (key) {
      case 'AWS::Logs::LogGroup.Arn': return `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${this.ref(stack, id)}:*`;
      case 'AWS::ECS::Cluster.Arn': return `arn:${PARTITION}:ecs:${REGION}:${ACCOUNT}:cluster/${this.ref(stack, id)}`;
      case 'AWS::ECS::Service.Name': return p.ServiceName ? this.resolve(stack, p.ServiceName) : this.generatedName(stack, id);
      case 'AWS::ECS::Service.ServiceArn': {
        const cluster = String(this.resolve(stack, p.Cluster)).split('/').pop();
        return `arn:${PARTITION}:ecs:${REGION}:${ACCOUNT}:service/${cluster}/${this.getAtt(stack, id, 'Name')}`;
      }
      case 'AWS::IAM::Role.Arn': return `arn:${PARTITION}:iam::${ACCOUNT}:role/${this.ref(stack, id)}`;
      case 'AWS::KMS::Key.Arn': return `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/${this.ref(stack, id)}`;
      case 'AWS::RDS::DBInstance.DbiResourceId': return `db-${digest(`${stack}/${id}`, 26).toUpperCase()}`;
      case 'AWS::RDS::DBInstance.Endpoint.Address': return `${this.ref(stack, id)}.c0abcdefghij.${REGION}.rds.amazonaws.com`;
      case 'AWS::RDS::DBInstance.Endpoint.Port': return '5432';
      case 'AWS::Lambda::Function.Arn': return `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${this.ref(stack, id)}`;
      case 'AWS::S3::Bucket.Arn': return `arn:${PARTITION}:s3:::${this.ref(stack, id)}`;
      case 'AWS::EC2::SecurityGroup.GroupId': return this.ref(stack, id);
      case 'AWS::Events::Rule.Arn': return `arn:${PARTITION}:events:${REGION}:${ACCOUNT}:rule/${p.Name ? this.resolve(stack, p.Name) : this.generatedName(stack, id)}`;
      default: throw new Error(`Fn::GetAtt ${key} (${id}) is not resolved by test/support/iam-resolve.ts`);
    }
  }
}

/** The revision the template's task definitions resolve to; a deploy with a new image makes the next one. */
export const TASK_DEFINITION_REVISION = 7;

function fakeUuid(seed: string): string {
  const h = digest(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
