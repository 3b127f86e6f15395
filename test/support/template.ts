/**
 * A template string value as text: a literal as is, an `Fn::Join` with `<token>`
 * in place of each deploy-time part.
 */
export function joinedText(value: any): string {
  if (typeof value === 'string') return value;
  const [separator, parts] = value['Fn::Join'];
  return parts.map((part: unknown) => (typeof part === 'string' ? part : '<token>')).join(separator);
}

/**
 * The serving task definition of a template (the one with the `litellm` container; the
 * migration step's task has only `migrate`): fails unless there is exactly one.
 */
export function servingTaskDefinition(template: { findResources(type: string): { [id: string]: any } }): any {
  const tasks = Object.values<any>(template.findResources('AWS::ECS::TaskDefinition'))
    .filter(t => t.Properties.ContainerDefinitions.some((c: any) => c.Name === 'litellm'));
  if (tasks.length !== 1) throw new Error(`expected one serving task definition, found ${tasks.length}`);
  return tasks[0];
}
