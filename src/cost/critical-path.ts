// The modeled fresh-deploy critical path: CloudFormation creates a resource once everything
// it references (Ref, GetAtt, Sub, DependsOn) exists, and a stack once the stacks it depends
// on are complete; the longest chain of typical create times (CREATE_SECONDS) is the
// shortest a first deploy can take.
import { CREATE_SECONDS } from './prices';

export interface StackTemplate {
  readonly name: string;
  readonly template: { Resources?: Record<string, { Type: string; Properties?: any; DependsOn?: string | string[] }> };
  /** Names of the stacks that must be deployed first. */
  readonly dependencies: string[];
}

export interface Step {
  readonly stack: string;
  readonly id: string;
  readonly type: string;
  readonly seconds: number;
}

export function createSeconds(type: string, properties: any = {}): number {
  const variant = type === 'AWS::RDS::DBInstance' && (properties.MultiAZ === true || properties.MultiAZ === 'true') ? '/MultiAZ'
    : type === 'AWS::ElastiCache::ReplicationGroup' && (properties.MultiAZEnabled === true || properties.NumCacheClusters > 1) ? '/MultiAZ'
      : type === 'AWS::EC2::VPCEndpoint' && properties.VpcEndpointType !== 'Interface' ? '/Gateway' : '';
  return CREATE_SECONDS[type + variant] ?? CREATE_SECONDS[type] ?? (type.startsWith('Custom::') ? CREATE_SECONDS['Custom::'] : CREATE_SECONDS.default);
}

/** The logical IDs a resource references. */
export function referencesOf(resource: any, ids: Set<string>): Set<string> {
  const found = new Set<string>([resource.DependsOn ?? []].flat());
  const walk = (v: any): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Ref' && typeof x === 'string') {found.add(x);} else if (k === 'Fn::GetAtt') {found.add(Array.isArray(x) ? x[0] : String(x).split('.')[0]);} else if (k === 'Fn::Sub') {
        const text = Array.isArray(x) ? x[0] : x;
        for (const m of String(text).matchAll(/\$\{([^}.!]+)/g)) found.add(m[1]);
        if (Array.isArray(x)) walk(x[1]);
      } else {walk(x);}
    }
  };
  walk(resource.Properties);
  return new Set([...found].filter(id => ids.has(id)));
}

/** The longest chain of creations across the stacks, in order, and its total. */
export function criticalPath(stacks: StackTemplate[]): { seconds: number; steps: Step[] } {
  const byName = new Map(stacks.map(s => [s.name, s]));
  const done = new Map<string, { seconds: number; steps: Step[] }>();
  const stackPath = (name: string): { seconds: number; steps: Step[] } => {
    const cached = done.get(name);
    if (cached) return cached;
    const stack = byName.get(name)!;
    const before = stack.dependencies.filter(d => byName.has(d)).map(stackPath)
      .reduce((a, b) => (b.seconds > a.seconds ? b : a), { seconds: 0, steps: [] as Step[] });
    const resources = stack.template.Resources ?? {};
    const ids = new Set(Object.keys(resources));
    const finish = new Map<string, { seconds: number; steps: Step[] }>();
    const visit = (id: string, trail: Set<string>): { seconds: number; steps: Step[] } => {
      const known = finish.get(id);
      if (known) return known;
      if (trail.has(id)) throw new Error(`dependency cycle in ${name} at ${id}`);
      const r = resources[id];
      const deps = [...referencesOf(r, ids)].map(d => visit(d, new Set([...trail, id])))
        .reduce((a, b) => (b.seconds > a.seconds ? b : a), before);
      const seconds = createSeconds(r.Type, r.Properties);
      const result = { seconds: deps.seconds + seconds, steps: [...deps.steps, { stack: name, id, type: r.Type, seconds }] };
      finish.set(id, result);
      return result;
    };
    const path = [...ids].map(id => visit(id, new Set())).reduce((a, b) => (b.seconds > a.seconds ? b : a), before);
    done.set(name, path);
    return path;
  };
  return stacks.map(s => stackPath(s.name)).reduce((a, b) => (b.seconds > a.seconds ? b : a), { seconds: 0, steps: [] });
}
