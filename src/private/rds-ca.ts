import { Aws, CfnMapping, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { RDS_CA_RSA2048_G1 } from './rds-ca-certificates';

/**
 * The PEM of the root CA that signs the stack region's RDS server certificates
 * (rds-ca-rsa2048-g1): from the vendored table, or `override`. In a region-agnostic
 * stack a lazy mapping resolves it at deploy; a region the table lacks then fails the
 * deploy at that lookup (give the stack its region, or pass `override`).
 */
export function rdsCaCertificatePem(scope: Construct, override?: string): string {
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
      throw new Error(`cdk-litellm has no RDS CA certificate for ${stack.region}: pass \`database.caCertificatePem\`, the "Amazon RDS ${stack.region} Root CA RSA2048 G1" certificate from https://truststore.pki.rds.amazonaws.com/${stack.region}/${stack.region}-bundle.pem`);
    }
    return pem;
  }
  const id = 'LiteLlmRdsCaRsa2048G1';
  const mapping = stack.node.tryFindChild(id) as CfnMapping | undefined ?? new CfnMapping(stack, id, {
    mapping: Object.fromEntries(Object.entries(RDS_CA_RSA2048_G1).map(([region, pem]) => [region, { pem }])),
    lazy: true,
  });
  return mapping.findInMap(Aws.REGION, 'pem');
}
