import { Aws, CfnMapping, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { RDS_CA_RSA2048_G1 } from './rds-ca-certificates';

/**
 * Where RDS publishes a region's certificate bundle: per partition, as RDS's user guide
 * ("Certificate bundles by AWS Region", UsingWithRDS.SSL.html) lists them; the China
 * regions' bucket is the one docs.amazonaws.cn links (and gravitational/teleport's
 * TestRDSCAURLForDatabase holds all three forms).
 */
export function rdsCaBundleUrl(region: string): string {
  if (region.startsWith('us-gov-')) return `https://truststore.pki.us-gov-west-1.rds.amazonaws.com/${region}/${region}-bundle.pem`;
  if (region.startsWith('cn-')) return `https://rds-truststore.s3.cn-north-1.amazonaws.com.cn/${region}/${region}-bundle.pem`;
  return `https://truststore.pki.rds.amazonaws.com/${region}/${region}-bundle.pem`;
}

/**
 * The one RDS CA lookup. The PEM of the root CA (rds-ca-rsa2048-g1) that signs the stack
 * region's RDS server certificates: what the tasks (the proxy and the migration) verify the
 * database server against before they send it an IAM token, as a value of `scope`'s stack. From
 * the vendored table, or `override`. In a region-agnostic stack a lazy mapping resolves it at
 * deploy; its second-level key is named after the prop, so a region the table lacks fails the
 * deploy with "Unable to get mapping for LiteLlmRdsCaRsa2048G1::<region>::caCertificatePem"
 * (give the stack its region, or pass `caCertificatePem`).
 */
export function rdsServerCaPemFor(scope: Construct, override?: string): string {
  if (override !== undefined) {
    if (!Token.isUnresolved(override) && !/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/.test(override.trim() + '\n')) {
      throw new Error('`caCertificatePem` must be one PEM certificate ("-----BEGIN CERTIFICATE-----" … "-----END CERTIFICATE-----")');
    }
    return override;
  }
  const stack = Stack.of(scope);
  if (!Token.isUnresolved(stack.region)) {
    const pem = RDS_CA_RSA2048_G1[stack.region];
    if (!pem) {
      throw new Error(`cdk-litellm has no RDS CA certificate for ${stack.region}: pass \`database.caCertificatePem\`, the "Amazon RDS ${stack.region} Root CA RSA2048 G1" certificate from ${rdsCaBundleUrl(stack.region)}`);
    }
    return pem;
  }
  const id = 'LiteLlmRdsCaRsa2048G1';
  const mapping = stack.node.tryFindChild(id) as CfnMapping | undefined ?? new CfnMapping(stack, id, {
    mapping: Object.fromEntries(Object.entries(RDS_CA_RSA2048_G1).map(([region, pem]) => [region, { caCertificatePem: pem }])),
    lazy: true,
  });
  return mapping.findInMap(Aws.REGION, 'caCertificatePem');
}

/**
 * Validates early: the database calls this where it is declared, so a malformed
 * `caCertificatePem`, or a region the table lacks, fails the synth there rather than where a task
 * first asks for the CA. A region-agnostic stack without an override has nothing to check before
 * deploy (and gets no mapping from this check).
 */
export function validateRdsServerCa(scope: Construct, override?: string): void {
  if (override !== undefined || !Token.isUnresolved(Stack.of(scope).region)) rdsServerCaPemFor(scope, override);
}
