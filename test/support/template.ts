/**
 * A template string value as text: a literal as is, an `Fn::Join` with `<token>`
 * in place of each deploy-time part.
 */
export function joinedText(value: any): string {
  if (typeof value === 'string') return value;
  const [separator, parts] = value['Fn::Join'];
  return parts.map((part: unknown) => (typeof part === 'string' ? part : '<token>')).join(separator);
}
