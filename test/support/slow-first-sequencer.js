// Jest's order for `npx projen test`: the suites that wait on real processes (the booted proxy,
// the collector, cfn-lint, the local proxy, Redis and PostgreSQL) start first, so that with two
// workers the short synthesis suites fill in around them instead of the slowest suite starting
// last. The list is the measured order (CONTRIBUTING.md, "Tests"), slowest first; the rest keep
// Jest's own order (failed first, then by recorded duration, or file size on a fresh clone).
// Plain JavaScript: Jest requires the sequencer without transforming it.
const Sequencer = require('@jest/test-sequencer').default;

const SLOW_FIRST = [
  'boot.test.ts', 'boot-collector.test.ts', 'boot-metrics.test.ts', 'boot-config.test.ts', 'boot-alb.test.ts',
  'local.test.ts', 'cfn-lint.test.ts', 'first-deploy.test.ts', 'shared-state.test.ts', 'readme-examples.test.ts',
];

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const rank = test => {
      const i = SLOW_FIRST.findIndex(name => test.path.endsWith(`/test/${name}`));
      return i === -1 ? SLOW_FIRST.length : i;
    };
    const ordered = super.sort(tests);
    const list = Array.isArray(ordered) ? ordered : Array.from(ordered);
    return list.map((test, i) => [test, i]).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([test]) => test);
  }
}

module.exports = SlowFirstSequencer;
