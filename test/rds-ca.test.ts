// The vendored RDS CA table and how a stack picks its region's certificate.
import { X509Certificate } from 'crypto';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LiteLlmModel, LiteLlmPlatform } from '../src';
import { rdsCaCertificatePem } from '../src/private/rds-ca';
import { RDS_CA_RSA2048_G1 } from '../src/private/rds-ca-certificates';

describe('the vendored rds-ca-rsa2048-g1 roots', () => {
  test.each(Object.entries(RDS_CA_RSA2048_G1))('%s: a self-signed CA named for its region, valid for decades', (region, pem) => {
    const cert = new X509Certificate(pem);
    expect(cert.subject).toContain(`CN=Amazon RDS ${region} Root CA RSA2048 G1`);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.ca).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(new Date(cert.validTo).getFullYear()).toBeGreaterThanOrEqual(2061);
  });

  test('cover the regions the README names', () => {
    expect(Object.keys(RDS_CA_RSA2048_G1)).toEqual(expect.arrayContaining(['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2']));
  });
});

describe('rdsCaCertificatePem', () => {
  test('a stack with a region gets its region\'s certificate as a literal', () => {
    const stack = new Stack(new App(), 'S', { env: { region: 'eu-central-1' } });
    expect(rdsCaCertificatePem(stack)).toBe(RDS_CA_RSA2048_G1['eu-central-1']);
  });

  test('a region-agnostic stack looks it up by AWS::Region in one mapping of every region', () => {
    // GIVEN
    const stack = new Stack(new App(), 'S');

    // WHEN
    const value = stack.resolve(rdsCaCertificatePem(stack));
    rdsCaCertificatePem(stack);

    // THEN
    expect(value).toEqual({ 'Fn::FindInMap': ['LiteLlmRdsCaRsa2048G1', { Ref: 'AWS::Region' }, 'pem'] });
    const mappings = Template.fromStack(stack).toJSON().Mappings;
    expect(Object.keys(mappings)).toEqual(['LiteLlmRdsCaRsa2048G1']);
    expect(mappings.LiteLlmRdsCaRsa2048G1['us-east-1'].pem).toBe(RDS_CA_RSA2048_G1['us-east-1']);
    expect(Object.keys(mappings.LiteLlmRdsCaRsa2048G1)).toHaveLength(Object.keys(RDS_CA_RSA2048_G1).length);
  });

  test('a region the table lacks fails at synth and says where the certificate is', () => {
    const stack = new Stack(new App(), 'S', { env: { region: 'mx-central-1' } });
    expect(() => rdsCaCertificatePem(stack)).toThrow('cdk-litellm has no RDS CA certificate for mx-central-1: pass `database.caCertificatePem`, the "Amazon RDS mx-central-1 Root CA RSA2048 G1" certificate from https://truststore.pki.rds.amazonaws.com/mx-central-1/mx-central-1-bundle.pem');
  });

  test('an override wins, and must be one PEM certificate', () => {
    const stack = new Stack(new App(), 'S', { env: { region: 'mx-central-1' } });
    const pem = RDS_CA_RSA2048_G1['us-east-1'];
    expect(rdsCaCertificatePem(stack, pem)).toBe(pem);
    expect(() => rdsCaCertificatePem(stack, 'not a certificate')).toThrow('`caCertificatePem` must be one PEM certificate');
  });
});

describe('the database and its CA', () => {
  const platform = (region: string, caCertificatePem?: string) => {
    const stack = new Stack(new App(), 'Db', { env: { account: '123456789012', region } });
    new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'm' })], database: { caCertificatePem } });
    return Template.fromStack(stack);
  };

  test('the instance is pinned to rds-ca-rsa2048-g1, the authority whose root the tasks carry', () => {
    platform('eu-west-1').hasResourceProperties('AWS::RDS::DBInstance', { CACertificateIdentifier: 'rds-ca-rsa2048-g1' });
  });

  test('a region the table lacks fails at synth, and works with `database.caCertificatePem`, which the task then carries', () => {
    expect(() => platform('mx-central-1')).toThrow('cdk-litellm has no RDS CA certificate for mx-central-1');
    const pem = RDS_CA_RSA2048_G1['us-east-1'];
    const config = Object.values(platform('mx-central-1', pem).findResources('AWS::ECS::TaskDefinition'))[0]
      .Properties.ContainerDefinitions.find((c: any) => c.Name === 'config');
    expect(config.Environment).toEqual(expect.arrayContaining([{ Name: 'DATABASE_CA_PEM', Value: pem }]));
  });
});
