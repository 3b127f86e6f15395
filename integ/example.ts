// `npx projen example`: synthesizes the default platform into cdk.out with no
// AWS account and prints where the templates are.
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { LiteLlmModel, LiteLlmPlatform } from '../src';

const outdir = path.resolve('cdk.out');
const app = new App({ outdir });
const stack = new Stack(app, 'LiteLlmExample', { env: { account: '123456789012', region: 'us-east-1' } });
new LiteLlmPlatform(stack, 'LiteLlm', {
  models: [
    LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' }),
    LiteLlmModel.mock({ name: 'mock-gpt' }),
  ],
});
const assembly = app.synth();
for (const s of assembly.stacks) {
  const resources = Object.keys((s.template as any).Resources ?? {}).length;
  console.log(`${s.stackName}: ${resources} resources -> ${path.relative(process.cwd(), path.join(assembly.directory, s.templateFile))}`);
}
