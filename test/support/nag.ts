// Runs cdk-nag 3 packs over a construct tree the way that works with aws-cdk-lib
// 2.257 (see DESIGN.md): validateScope directly, then read the violations.
// Acknowledgements made with Validations.of(x).acknowledge() are honoured.
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';

export interface NagFinding {
  readonly rule: string;
  readonly resource: string;
  readonly description: string;
}

export type NagPackName = 'AwsSolutions' | 'NIST.800.53.R5';

/** Unacknowledged findings of `pack` over `scope`, one per rule and resource. */
export function nagFindings(app: App, pack: NagPackName, scope: IConstruct = app): NagFinding[] {
  // The packs read the synthesized tree; make sure every aspect and lazy value ran.
  app.synth();
  const checks = pack === 'AwsSolutions' ? new AwsSolutionsChecks(app) : new NIST80053R5Checks(app);
  const report = checks.validateScope(scope);
  const findings: NagFinding[] = [];
  for (const violation of report.violations) {
    for (const resource of violation.violatingResources) {
      findings.push({
        rule: violation.ruleName,
        resource: (resource as { constructPath?: string }).constructPath ?? resource.resourceLogicalId ?? '?',
        description: violation.description.split('\n')[0],
      });
    }
  }
  return findings;
}
