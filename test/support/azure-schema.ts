import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';

/**
 * A validator for Microsoft's Azure Pipelines schema (MIT, see
 * fixtures/azure-pipelines.schema.LICENSE). It lists Microsoft's built-in tasks only; the
 * AWS Toolkit for Azure DevOps task that carries the AWS service connection is added with
 * its documented inputs, so it is held to the same `additionalProperties: false` discipline,
 * and so is PublishCodeCoverageResults@2, which the vendored schema predates (its inputs:
 * microsoft/azure-pipelines-tasks Tasks/PublishCodeCoverageResultsV2/task.json).
 */
export function azurePipelinesValidator(): ValidateFunction {
  const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'azure-pipelines.schema.json'), 'utf8'));
  schema.definitions.task.properties.task.anyOf.push({ enum: ['AWSShellScript@1'] });
  schema.definitions.task.anyOf.push({
    properties: {
      task: { pattern: '^AWSShellScript@1$' },
      displayName: { type: 'string' },
      inputs: {
        properties: {
          awsCredentials: { type: 'string' },
          regionName: { type: 'string' },
          scriptType: { enum: ['inline', 'filePath'] },
          inlineScript: { type: 'string' },
          filePath: { type: 'string' },
        },
        additionalProperties: false,
        required: ['awsCredentials', 'regionName', 'scriptType'],
      },
    },
    required: ['task', 'inputs'],
  });
  schema.definitions.task.properties.task.anyOf.push({ enum: ['PublishCodeCoverageResults@2'] });
  schema.definitions.task.anyOf.push({
    properties: {
      task: { pattern: '^PublishCodeCoverageResults@2$' },
      inputs: {
        properties: {
          summaryFileLocation: { type: 'string' },
          pathToSources: { type: 'string' },
          failIfCoverageEmpty: { type: 'string' },
        },
        additionalProperties: false,
        required: ['summaryFileLocation'],
      },
    },
    required: ['task', 'inputs'],
  });
  return new Ajv({ strict: false, unicodeRegExp: false }).compile(schema);
}
