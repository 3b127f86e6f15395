// The release's version comes from projen's real `bump` task (this repository's
// .projen/tasks.json, projen's builtins, commit-and-tag-version) run in a throwaway repository
// whose last release is tagged v1.0.0, cloned the way the pipeline's Release checkout gets it,
// with and without tags. Then the pipeline's own tag step, from azure-pipelines.yml, against a
// bare "origin".
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';

const ROOT = path.resolve(__dirname, '..');
const PROJEN = path.join(ROOT, 'node_modules', 'projen', 'bin', 'projen');

const pipeline = YAML.parse(fs.readFileSync(path.join(ROOT, 'azure-pipelines.yml'), 'utf8'));
const releaseSteps: any[] = pipeline.stages.find((s: any) => s.stage === 'Release').jobs[0].steps;
const tagStep = releaseSteps.find(s => /^Tag the release/.test(s.displayName ?? ''));

let work: string;
let home: string;
/** No git identity anywhere: a hosted agent has none either. */
const env = () => ({ PATH: process.env.PATH!, HOME: home, GIT_CONFIG_NOSYSTEM: '1', XDG_CONFIG_HOME: home });

function run(cwd: string, command: string, args: string[], extraEnv: Record<string, string> = {}) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...env(), ...extraEnv }, timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function git(cwd: string, ...args: string[]): string {
  const r = run(cwd, 'git', args, { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.output}`);
  return r.output.trim();
}

/** A clone of origin as the checkout leaves it: the whole history, with or without tags. */
function checkout(name: string, tags: boolean): string {
  const dir = path.join(work, name);
  git(work, 'clone', '-q', ...(tags ? [] : ['--no-tags']), path.join(work, 'origin.git'), dir);
  // projen and commit-and-tag-version from this repository's node_modules (no download).
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function bump(dir: string): { version: string; tag: string } {
  const r = run(dir, process.execPath, [PROJEN, 'bump']);
  if (r.status !== 0) throw new Error(`projen bump: ${r.output}`);
  return {
    version: fs.readFileSync(path.join(dir, 'dist', 'version.txt'), 'utf8'),
    tag: fs.readFileSync(path.join(dir, 'dist', 'releasetag.txt'), 'utf8'),
  };
}

function tagStepRun(dir: string) {
  const file = path.join(work, `tag-${Math.random().toString(36).slice(2)}.sh`);
  fs.writeFileSync(file, tagStep.script);
  return run(dir, 'bash', [file]);
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'release-bump-'));
  home = path.join(work, 'home');
  fs.mkdirSync(home);
  const src = path.join(work, 'src');
  git(work, 'init', '-q', '-b', 'main', src);
  fs.mkdirSync(path.join(src, '.projen'));
  fs.copyFileSync(path.join(ROOT, '.projen', 'tasks.json'), path.join(src, '.projen', 'tasks.json'));
  fs.writeFileSync(path.join(src, 'package.json'), JSON.stringify({ name: 'release-bump-fixture', version: '0.0.0' }, undefined, 2) + '\n');
  fs.writeFileSync(path.join(src, '.gitignore'), 'dist/\nnode_modules\n');
  git(src, 'add', '-A');
  git(src, 'commit', '-q', '-m', 'chore: first release');
  git(src, 'tag', '-a', 'v1.0.0', '-m', 'v1.0.0');
  git(src, 'commit', '-q', '--allow-empty', '-m', 'feat: a feature after 1.0.0');
  git(work, 'clone', '-q', '--bare', src, path.join(work, 'origin.git'));
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('the pipeline\'s Release checkout fetches the whole history and the tags', () => {
  expect(releaseSteps[0]).toMatchObject({ checkout: 'self', fetchDepth: '0', fetchTags: 'true' });
  expect(releaseSteps.map(s => s.script).filter(Boolean).slice(1, 2)).toEqual(['npx projen bump']);
});

test('with the tags, projen computes the next version from v1.0.0 and the feat: commit since: 1.1.0', () => {
  const dir = checkout('with-tags', true);
  expect(git(dir, 'tag', '--list', 'v*')).toBe('v1.0.0');
  expect(bump(dir)).toEqual({ version: '1.1.0', tag: 'v1.1.0' });
});

test('without the tags (checkout without fetchTags), the same bump computes 1.0.0 again: the release that already exists', () => {
  const dir = checkout('without-tags', false);
  expect(git(dir, 'tag', '--list')).toBe('');
  expect(bump(dir)).toEqual({ version: '1.0.0', tag: 'v1.0.0' });
});

describe('the pipeline\'s tag step', () => {
  let dir: string;
  beforeAll(() => {
    dir = checkout('tagging', true);
    bump(dir);
  });

  test('tags HEAD and pushes the tag with its own identity, on an agent that has none', () => {
    const head = git(dir, 'rev-parse', 'HEAD');
    const r = tagStepRun(dir);
    expect(r.output).toContain('##vso[task.setvariable variable=RELEASE_TAG]v1.1.0');
    expect(r.status).toBe(0);
    const origin = path.join(work, 'origin.git');
    expect(git(origin, 'rev-parse', 'v1.1.0^{commit}')).toBe(head);
    expect(git(origin, 'cat-file', '-t', 'v1.1.0')).toBe('tag');
    expect(git(origin, 'for-each-ref', '--format=%(taggername) %(taggeremail)', 'refs/tags/v1.1.0')).toBe('cdk-litellm release <maintainers@cdk-litellm.dev>');
  });

  test('a rerun of the same commit (a fresh checkout) finds its tag on HEAD: bump yields the same version and the tag step passes', () => {
    const again = checkout('rerun', true);
    expect(bump(again)).toEqual({ version: '1.1.0', tag: 'v1.1.0' });
    const r = tagStepRun(again);
    expect(r.status).toBe(0);
    expect(r.output).toContain('v1.1.0 already tags');
  });

  test('a tag of that name on another commit fails the step before anything is published', () => {
    fs.writeFileSync(path.join(dir, 'dist', 'releasetag.txt'), 'v1.0.0');
    const r = tagStepRun(dir);
    expect(r.status).toBe(1);
    expect(r.output).toMatch(/##vso\[task\.logissue type=error\]v1\.0\.0 already tags [0-9a-f]{40}, not [0-9a-f]{40}/);
  });

  test('the tag step comes before the build and both publishes', () => {
    const tagAt = releaseSteps.indexOf(tagStep);
    expect(tagAt).toBeLessThan(releaseSteps.findIndex(s => s.script?.includes('npx projen release')));
    expect(tagAt).toBeLessThan(releaseSteps.findIndex(s => s.script === 'npx publib-npm dist/js'));
    expect(tagAt).toBeLessThan(releaseSteps.findIndex(s => s.script === 'npx publib-pypi dist/python'));
  });
});
