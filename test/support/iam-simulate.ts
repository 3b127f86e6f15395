// Offline IAM evaluation of a synthesized app's roles with @cloud-copilot/iam-simulate
// (AGPL-3.0: a dev dependency of the tests only, never shipped with the library).
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { ACCOUNT, TemplateResolver } from './iam-resolve';

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** A role of the app: where it is, its name and ARN after the deploy. */
export interface RoleRef {
  readonly stack: string;
  readonly id: string;
  readonly name: string;
  readonly arn: string;
}

/** The app's templates, resolved together, and its roles found by construct path. */
export class IamApp {
  public readonly resolver: TemplateResolver;

  constructor(private readonly app: App) {
    const assembly = app.synth();
    const stacks = app.node.children.filter(Stack.isStack);
    this.resolver = new TemplateResolver(Object.fromEntries(stacks.map(s => [s.stackName, assembly.getStackByName(s.stackName).template])));
  }

  /**
   * The one CloudFormation resource whose construct path ends with `pathSuffix` or
   * `pathSuffix/Resource` (e.g. `Service/Logs`), as its stack and logical id.
   */
  public find(pathSuffix: string): { stack: string; id: string } {
    const found = this.app.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c)
      && (c.node.path.endsWith(`/${pathSuffix}`) || c.node.path.endsWith(`/${pathSuffix}/Resource`)));
    if (found.length !== 1) throw new Error(`expected one resource at …/${pathSuffix}, found ${found.length}`);
    const stack = Stack.of(found[0]);
    return { stack: stack.stackName, id: stack.resolve(found[0].logicalId) as string };
  }

  /** What `Ref` of the resource at `pathSuffix` gives after the deploy. */
  public ref(pathSuffix: string): string {
    const { stack, id } = this.find(pathSuffix);
    return this.resolver.ref(stack, id);
  }

  /** What `Fn::GetAtt` of the resource at `pathSuffix` gives after the deploy. */
  public getAtt(pathSuffix: string, attribute: string): string {
    const { stack, id } = this.find(pathSuffix);
    return this.resolver.getAtt(stack, id, attribute);
  }

  /** A template property of the resource at `pathSuffix`, resolved. */
  public property(pathSuffix: string, name: string): any {
    const { stack, id } = this.find(pathSuffix);
    return this.resolver.resolve(stack, this.resolver.resources(stack)[id].Properties[name]);
  }

  /** The role at `pathSuffix` (e.g. `Migration/StartFunctionRole`). */
  public role(pathSuffix: string): RoleRef {
    const { stack, id } = this.find(pathSuffix);
    if (this.resolver.resources(stack)[id].Type !== 'AWS::IAM::Role') throw new Error(`${pathSuffix} is not a role`);
    return { stack, id, name: this.resolver.ref(stack, id), arn: this.resolver.getAtt(stack, id, 'Arn') };
  }

  /** Every identity policy on the role, resolved: inline on the role and each `AWS::IAM::Policy` of any stack naming it. */
  public identityPolicies(role: RoleRef): { name: string; policy: any }[] {
    const policies: { name: string; policy: any }[] = [];
    const own = this.resolver.resources(role.stack)[role.id];
    for (const inline of own.Properties.Policies ?? []) {
      policies.push({ name: inline.PolicyName, policy: this.resolver.resolve(role.stack, inline.PolicyDocument) });
    }
    for (const [stack, template] of Object.entries<any>(this.resolver.templates)) {
      for (const [id, r] of Object.entries<any>(template.Resources)) {
        if (r.Type !== 'AWS::IAM::Policy') continue;
        const roles = (this.resolver.resolve(stack, r.Properties.Roles ?? []) as string[]);
        if (roles.includes(role.name)) policies.push({ name: `${stack}/${id}`, policy: this.resolver.resolve(stack, r.Properties.PolicyDocument) });
      }
    }
    return policies;
  }

  /** The resolved key policy of the app's KMS key whose ARN is `keyArn`. */
  public keyPolicy(keyArn: string): any {
    for (const [stack, template] of Object.entries<any>(this.resolver.templates)) {
      for (const [id, r] of Object.entries<any>(template.Resources)) {
        if (r.Type === 'AWS::KMS::Key' && this.resolver.getAtt(stack, id, 'Arn') === keyArn) return this.resolver.resolve(stack, r.Properties.KeyPolicy);
      }
    }
    throw new Error(`no key ${keyArn} in the app`);
  }

  /**
   * The function's resource policy as Lambda renders its `AWS::Lambda::Permission`s:
   * `SourceAccount` becomes an `aws:SourceAccount` condition, `SourceArn` an `aws:SourceArn` one.
   */
  public functionPolicy(functionArn: string): any {
    const statements: any[] = [];
    for (const [stack, template] of Object.entries<any>(this.resolver.templates)) {
      for (const r of Object.values<any>(template.Resources)) {
        if (r.Type !== 'AWS::Lambda::Permission') continue;
        const p = this.resolver.resolve(stack, r.Properties);
        if (p.FunctionName !== functionArn) continue;
        statements.push({
          Effect: 'Allow',
          Principal: { Service: p.Principal },
          Action: p.Action,
          Resource: functionArn,
          Condition: {
            ...(p.SourceAccount ? { StringEquals: { 'aws:SourceAccount': p.SourceAccount } } : {}),
            ...(p.SourceArn ? { ArnLike: { 'aws:SourceArn': p.SourceArn } } : {}),
          },
        });
      }
    }
    return { Version: '2012-10-17', Statement: statements };
  }

  /** What Lambda answers when `service` (e.g. `events.amazonaws.com`) invokes the function on behalf of `context`'s source. */
  public async serviceInvokes(service: string, functionArn: string, context: Record<string, string>): Promise<Decision> {
    const result = await runSimulation({
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: this.functionPolicy(functionArn),
      request: { action: 'lambda:InvokeFunction', principal: service, resource: { accountId: ACCOUNT, resource: functionArn }, contextVariables: context },
    } as any, {});
    if (result.resultType !== 'single') throw new Error(`unexpected simulation: ${JSON.stringify(result)}`);
    if ((result.result as any).ignoredContextKeys?.length) throw new Error(`the simulator ignored ${(result.result as any).ignoredContextKeys}`);
    return result.overallResult as Decision;
  }

  /**
   * What IAM answers when the role calls `action` on `resource` with `context`. A KMS call is
   * evaluated against the key's policy too (its account-root statement delegates to IAM).
   * Throws on what the simulator refuses (an ARN that is not of the action's resource type)
   * or ignores (a context key the action does not have), so a wrong test cannot pass by accident.
   */
  public async decide(role: RoleRef, action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<Decision> {
    const resourcePolicy = action.startsWith('kms:') ? this.keyPolicy(resource) : undefined;
    const result = await runSimulation({
      identityPolicies: this.identityPolicies(role),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
      request: {
        action,
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${role.name}/session`,
        resource: { accountId: ACCOUNT, resource },
        contextVariables: { 'aws:PrincipalArn': role.arn, 'aws:PrincipalAccount': ACCOUNT, ...context },
      },
    } as any, {});
    if (result.resultType === 'error') throw new Error(`the simulator refused ${action} on ${resource}: ${JSON.stringify(result.errors)}`);
    // The simulator drops context keys the action does not have: a condition on one could then
    // never match, and a "denied" answer would prove nothing.
    const results: any[] = result.resultType === 'single' ? [result.result] : result.results;
    const ignored = [...new Set(results.flatMap(r => r.ignoredContextKeys ?? []))];
    if (ignored.length > 0) throw new Error(`the simulator ignored the context keys ${ignored.join(', ')} of ${action}`);
    return result.overallResult as Decision;
  }
}
