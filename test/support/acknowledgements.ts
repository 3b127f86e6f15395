// Every acknowledgement the library records on the constructs of a scenario.
import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

export interface Acknowledgement {
  readonly rule: string;
  readonly reason: string;
  /** Construct path below the scenario's LiteLlm root, e.g. `Security/SaltKey`. */
  readonly path: string;
}

export function acknowledgementsOf(root: IConstruct): Acknowledgement[] {
  const found: Acknowledgement[] = [];
  for (const construct of root.node.findAll()) {
    const entries = construct.node.metadata.filter(m => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    const last = entries.pop();
    for (const [rule, reason] of Object.entries<string>(last?.data ?? {})) {
      found.push({ rule: rule.replace(/^annotation::/i, ''), reason, path: construct.node.path });
    }
  }
  return found;
}
