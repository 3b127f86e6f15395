import {
  Annotations, Duration, Fn, Stack, Token,
  aws_certificatemanager as acm, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledgeCidrReference, unresolvedCidrReason } from './ingress';
import { fqdn } from './load-balancer-domain';
import { acknowledge } from './nag';
import { check } from './validate';
import type { LiteLlmLoadBalancerProps } from '../load-balancer';

/** The target group's nominal port (the tasks register on their container port). */
const TARGET_GROUP_PORT = 4000;

/**
 * The IP target group LiteLLM's tasks register into, probing `/health/liveliness`; a task
 * leaving keeps its open streams as long as the idle timeout allows.
 */
export function addTargetGroup(scope: Construct, vpc: ec2.IVpc, idleSeconds: number, fronted: boolean): elbv2.ApplicationTargetGroup {
  // An id of its own behind the platform's CloudFront. Turning CloudFront on or off changes the
  // scheme, which replaces the load balancer (`Scheme`: "Update requires: Replacement") and its
  // listener; a listener of the new load balancer cannot forward to the old group, which still
  // belongs to the old one ("target groups cannot be associated with more than one load
  // balancer", aws/aws-cdk#33253). A new id gives the new load balancer a new group, and the
  // service re-registers its tasks there. Keyed on CloudFront, not on the scheme: a load balancer
  // that was internal all along keeps its group (a new one would take traffic before the service
  // registered into it, and a split's service stack imports its name).
  return new elbv2.ApplicationTargetGroup(scope, fronted ? 'CloudFrontTargetGroup' : 'TargetGroup', {
    vpc,
    // ECS registers each task with its container port, so the group's own port is only a
    // default, and health checks go to the traffic port. Fixed, so that changing
    // containerPort does not replace the group: in a split, the service stack imports its
    // ARN, and CloudFormation refuses to change an export in use.
    port: TARGET_GROUP_PORT,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targetType: elbv2.TargetType.IP,
    // A task leaving (deploy, scale-in, redeploy after rotation) keeps serving its open
    // streams as long as the idle timeout allows; an idle task leaves at once.
    deregistrationDelay: Duration.seconds(Token.isUnresolved(idleSeconds) ? 600 : Math.min(idleSeconds, 3600)),
    healthCheck: {
      path: '/health/liveliness',
      interval: Duration.seconds(30),
      timeout: Duration.seconds(15),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 5,
      healthyHttpCodes: '200',
    },
  });
}

/** The certificate of the HTTPS listener: the one given, or a new one DNS-validated in `domainZone`. */
export function resolveCertificate(scope: Construct, props: LiteLlmLoadBalancerProps): acm.ICertificate | undefined {
  if (props.domainZone && props.domainName === undefined) {
    throw new Error('`domainZone` is set without `domainName`: set `domainName` to the name to serve in the zone (e.g. "llm"), or remove `domainZone`');
  }
  if (props.domainName !== undefined && !props.domainZone && !props.certificate) {
    throw new Error(`\`domainName\` ("${props.domainName}") needs \`certificate\` (an ACM certificate for that name, when its DNS record is yours) `
      + 'or `domainZone` (its Route 53 hosted zone: the record and a DNS-validated certificate are then created)');
  }
  check(props.domainName, n => /^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(n),
    n => `\`domainName\` ("${n}") must be a DNS name such as "llm" or "llm.example.com"`);
  if (props.certificate || !props.domainZone || props.domainName === undefined) return props.certificate;
  return new acm.Certificate(scope, 'Certificate', {
    domainName: fqdn(props.domainName, props.domainZone.zoneName),
    validation: acm.CertificateValidation.fromDns(props.domainZone),
  });
}

/**
 * Ports 80 and 443 from `allowedPeers`, by default anywhere when internet-facing, the VPC
 * when internal. The rules sit on the security group, so they belong to its stack.
 */
export function allowIngress(
  securityGroup: ec2.ISecurityGroup, vpc: ec2.IVpc, internal: boolean, dualStack: boolean, allowedPeers?: ec2.IPeer[],
): void {
  // The IPv6 block of a dual-stack VPC created by LiteLlmNetwork (an imported IVpc exposes
  // none), and the resource that attaches it: a rule naming the block must wait for it.
  const ipv6Block = dualStack && vpc instanceof ec2.Vpc ? vpc.node.tryFindChild('ipv6cidr') : undefined;
  const ownIpv6Cidrs = ipv6Block ? [Fn.select(0, (vpc as ec2.Vpc).vpcIpv6CidrBlocks)] : [];
  const peers = allowedPeers
    ?? (internal
      ? [ec2.Peer.ipv4(vpc.vpcCidrBlock), ...ownIpv6Cidrs.map(c => ec2.Peer.ipv6(c))]
      : [ec2.Peer.anyIpv4(), ...(dualStack ? [ec2.Peer.anyIpv6()] : [])]);
  for (const peer of peers) {
    for (const port of [80, 443]) {
      securityGroup.addIngressRule(peer, ec2.Port.tcp(port), `HTTP${port === 443 ? 'S' : ''} from ${peer.uniqueId}`);
    }
  }
  if (ipv6Block && !allowedPeers && internal) securityGroup.node.addDependency(ipv6Block);
  if (peers.some(p => Token.isUnresolved(p.uniqueId))) {
    acknowledgeCidrReference(securityGroup, unresolvedCidrReason('the VPC\'s CIDRs (or the allowedPeers given) on 80/443 only'));
  }
  if (peers.some(p => p.uniqueId === '0.0.0.0/0' || p.uniqueId === '::/0')) {
    acknowledge(securityGroup, 'AwsSolutions-EC23',
      'An internet-facing LLM gateway answers clients anywhere on 80/443; restrict with allowedPeers, and WAF filters requests.');
  }
}

/** HTTPS with an HTTP redirect when there is a certificate; else plain HTTP, refused for an internet-facing PRODUCTION one. */
export function addListeners(
  scope: Construct, loadBalancer: elbv2.ApplicationLoadBalancer, targetGroup: elbv2.ApplicationTargetGroup,
  props: LiteLlmLoadBalancerProps, production: boolean, certificate?: acm.ICertificate,
): { listener: elbv2.ApplicationListener; url: string } {
  if (certificate) {
    if (props.allowHttp) {
      throw new Error('`allowHttp` lets a load balancer without a certificate serve plain HTTP, but this one has a certificate '
        + '(`certificate`, or `domainName` with `domainZone`) and serves HTTPS: remove `allowHttp`');
    }
    const listener = loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [certificate],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
      defaultTargetGroups: [targetGroup],
    });
    const redirect = loadBalancer.addListener('Http', {
      port: 80,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });
    acknowledge(redirect, 'NIST.800.53.R5-ELBv2ACMCertificateRequired', 'Port 80 only redirects to HTTPS on 443, which uses the ACM certificate.');
    return { listener, url: `https://${loadBalancer.loadBalancerDnsName}` };
  } else {
    const internal = props.internetFacing === false;
    if (production && !internal && !props.allowHttp) {
      throw new Error('An internet-facing PRODUCTION load balancer without a certificate would take API keys over plain HTTP. '
        + 'Serve HTTPS: set `domainName` and `domainZone` (a Route 53 hosted zone; a DNS-validated certificate is created) '
        + 'or `certificate` (an ACM certificate in the stack\'s region); in LiteLlmPlatform they sit under `loadBalancer`. '
        + 'If TLS ends in front of the load balancer, set `allowHttp: true`.');
    }
    if (production || !internal) {
      // DEVELOPMENT's one-liner stays deployable, but never silently: keys cross the network in clear text.
      Annotations.of(scope).addWarningV2('cdk-litellm:httpOnly', `The load balancer serves plain HTTP${internal ? '' : ' to the internet'}: `
        + 'the master key, virtual keys, the admin UI password and every prompt cross the network unencrypted. '
        + 'Serve HTTPS with `domainName` and `domainZone` (or `certificate`), or keep it from the internet with `allowedPeers` (your addresses only) '
        + 'or `internetFacing: false`. To accept it, acknowledge the warning: Annotations.of(stack).acknowledgeWarning(\'cdk-litellm:httpOnly\').');
    }
    const listener = loadBalancer.addListener('Http', {
      port: 80,
      open: false,
      defaultTargetGroups: [targetGroup],
    });
    const choice = 'Plain HTTP by choice: no certificate in DEVELOPMENT, behind an internal load balancer, or with `allowHttp: true`.';
    acknowledge(listener, 'NIST.800.53.R5-ALBHttpToHttpsRedirection', choice);
    acknowledge(listener, 'NIST.800.53.R5-ELBv2ACMCertificateRequired', choice);
    return { listener, url: `http://${loadBalancer.loadBalancerDnsName}` };
  }
}

/**
 * A fixed 404 for /metrics at priority 1, which no other rule of the listener may take.
 * LiteLLM mounts its Prometheus metrics on the port it serves whenever its callbacks name
 * `prometheus` (proxy/proxy_server.py:6605-6612), to any valid key
 * (proxy/middleware/prometheus_auth_middleware.py:51-66), so every tenant could read every
 * team's series; the platform serves them on a port of their own (LiteLlmMetrics) and
 * never through the load balancer.
 */
export function hideMetricsPath(listener: elbv2.ApplicationListener): void {
  listener.addAction('NoMetrics', {
    priority: 1,
    conditions: [elbv2.ListenerCondition.pathPatterns(['/metrics', '/metrics/*'])],
    action: elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'Not Found' }),
  });
  listener.node.addValidation({
    validate: () => Stack.of(listener).node.findAll()
      .filter((c): c is elbv2.CfnListenerRule => c instanceof elbv2.CfnListenerRule && c.listenerArn === listener.listenerArn
        && c.priority === 1 && !c.node.path.startsWith(`${listener.node.path}/NoMetricsRule`))
      .map(c => `the listener rule ${c.node.path} has priority 1, which the platform's /metrics 404 rule holds: give it another priority`),
  });
}
