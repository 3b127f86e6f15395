// The proxy verifies the database's certificate. From the synthesized task definition: the
// init container writes the RDS CA the task carries, and the proxy's DATABASE_* settings
// make LiteLLM's own code (DatabaseURLSettings in litellm/proxy/db/db_url_settings.py, run
// from the pinned venv) build a URL with sslmode=verify-full and that CA. A real PostgreSQL
// whose certificate a test CA signed then accepts that URL with the test CA in the CA's place,
// and refuses it with another CA or under a host name the certificate does not name.
import { execFileSync, spawnSync } from 'child_process';
import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { LiteLlmModel, LiteLlmPlatform } from '../src';
import { LocalPostgres } from './boot/postgres';
import { ContainerDefinition, VENV, containersOf, envOf } from './boot/proxy';
import { RDS_CA_RSA2048_G1 } from '../src/private/rds-ca-certificates';

const PYTHON = path.join(VENV, 'bin', 'python3');

/** A CA, and a server certificate it signs for the given subject alternative names. */
function certificates(dir: string, name: string, altNames: string): { caCert: string; cert: string; key: string } {
  const file = (f: string) => path.join(dir, `${name}-${f}`);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name} test CA`, '-keyout', file('ca.key'), '-out', file('ca.crt')]);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=database', '-keyout', file('server.key'), '-out', file('server.csr')]);
  fs.writeFileSync(file('ext'), `subjectAltName=${altNames}\n`);
  run(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', file('ext'), '-out', file('server.crt')]);
  return { caCert: file('ca.crt'), cert: fs.readFileSync(file('server.crt'), 'utf8'), key: fs.readFileSync(file('server.key'), 'utf8') };
}

describe('the proxy verifies the database against the RDS CA', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'litellm-db-tls-'));
  let containers: Record<string, ContainerDefinition>;
  let postgres: LocalPostgres;
  let ca: ReturnType<typeof certificates>;
  let otherCa: ReturnType<typeof certificates>;

  beforeAll(async () => {
    if (!fs.existsSync(PYTHON)) throw new Error(`${VENV} has no LiteLLM: run \`npx projen boot:setup\``);
    const app = new App();
    const stack = new Stack(app, 'Tls', { env: { account: '123456789012', region: 'eu-west-1' } });
    new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'mock' })] });
    containers = containersOf(app.synth().getStackByName('Tls').template);
    ca = certificates(dir, 'right', 'IP:127.0.0.1');
    otherCa = certificates(dir, 'other', 'IP:127.0.0.1');
    postgres = await LocalPostgres.start({ trustedOverTls: ['litellm_proxy@litellm'], serverCertificate: ca });
    postgres.psql('CREATE ROLE litellm_proxy LOGIN');
    postgres.psql('CREATE DATABASE litellm OWNER litellm_proxy');
  }, 120_000);

  afterAll(async () => {
    await postgres?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * What the init container writes for the CA, and where the proxy looks for it; the
   * migration task carries the same CA and writes it where its own variable says.
   */
  function caOf(): { pem: string; path: string } {
    const init = envOf(containers.config);
    const proxyPath = envOf(containers.litellm).DATABASE_SSLROOTCERT;
    expect(containers.config.Command!.join(' ')).toContain(`open("${proxyPath}", "w").write(os.environ["DATABASE_CA_PEM"])`);
    const migrate = envOf(containers.migrate);
    expect(migrate.DATABASE_CA_PEM).toBe(init.DATABASE_CA_PEM);
    expect(migrate.DATABASE_SSLMODE).toBe('verify-full');
    expect(containers.migrate.Command!.join(' ')).toContain('ca = os.environ["DATABASE_SSLROOTCERT"]');
    expect(containers.migrate.Command!.join(' ')).toContain('open(ca, "w").write(os.environ.pop("DATABASE_CA_PEM"))');
    return { pem: init.DATABASE_CA_PEM, path: proxyPath };
  }

  /**
   * The URLs LiteLLM builds from the proxy's environment (libpq's, and Prisma's translation)
   * for each [CA file, endpoint host]: one Python process, as importing LiteLLM takes seconds.
   */
  function litellmUrls(cases: [string, string][]): { libpq: string; prisma: string }[] {
    const env = envOf(containers.litellm);
    const database = Object.fromEntries(Object.entries(env).filter(([n]) => n.startsWith('DATABASE_') || n === 'IAM_TOKEN_DB_AUTH'));
    const script = [
      'import json, os, sys',
      'from litellm.proxy.db.db_url_settings import DatabaseURLSettings, translate_libpq_ssl_params',
      'for ca, host in json.loads(sys.argv[1]):',
      '    os.environ.update(DATABASE_SSLROOTCERT=ca, DATABASE_HOST=host)',
      '    url = DatabaseURLSettings.from_env().build_writer_url()',
      '    print(url); print(translate_libpq_ssl_params(url))',
    ].join('\n');
    const out = execFileSync(PYTHON, ['-c', script, JSON.stringify(cases)], {
      encoding: 'utf8',
      env: {
        ...database,
        // The endpoint resolves at deploy; the token is signed locally (RDS would check it).
        DATABASE_PORT: String(postgres.port),
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'example',
        PATH: '/usr/bin:/bin',
      },
    }).trim().split('\n');
    return cases.map((_, i) => ({ libpq: out[2 * i], prisma: out[2 * i + 1] }));
  }

  let urls: { libpq: string; prisma: string }[];
  beforeAll(() => {
    urls = litellmUrls([[ca.caCert, '127.0.0.1'], [otherCa.caCert, '127.0.0.1'], [ca.caCert, 'localhost']]);
  }, 120_000);

  function connect(url: string): { status: number | null; output: string } {
    const r = spawnSync(postgres.psqlPath, [url, '-At', '-c', 'SELECT current_user'], { encoding: 'utf8' });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  }

  test('the task carries the region\'s rds-ca-rsa2048-g1 root, written where the proxy and the migration read it', () => {
    const { pem, path: file } = caOf();
    expect(pem).toBe(RDS_CA_RSA2048_G1['eu-west-1']);
    expect(new X509Certificate(pem).subject).toContain('CN=Amazon RDS eu-west-1 Root CA RSA2048 G1');
    expect(file).toBe('/litellm-config/rds-ca.pem');
    expect(envOf(containers.litellm).DATABASE_SSLMODE).toBe('verify-full');
  });

  test('LiteLLM builds a verify-full URL with the CA, and Prisma\'s sslaccept=strict with it as the one trusted certificate', () => {
    const { libpq, prisma } = urls[0];
    const params = (u: string) => Object.fromEntries(new URL(u).searchParams);
    expect(params(libpq)).toMatchObject({ sslmode: 'verify-full', sslrootcert: ca.caCert });
    expect(params(prisma)).toMatchObject({ sslmode: 'require', sslcert: ca.caCert, sslaccept: 'strict' });
    expect(params(prisma).sslrootcert).toBeUndefined();
  });

  test('a server whose certificate the CA signed is accepted', () => {
    const r = connect(urls[0].libpq);
    expect(r.output.trim()).toBe('litellm_proxy');
    expect(r.status).toBe(0);
  });

  test('the same server is refused when another CA is the trusted one', () => {
    const r = connect(urls[1].libpq);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/certificate verify failed/);
  });

  test('the same server is refused under a host name its certificate does not name', () => {
    const r = connect(urls[2].libpq);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/does not match host name "localhost"/);
  });
});
