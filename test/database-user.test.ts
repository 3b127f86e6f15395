// The deploy-time step that creates the role LiteLLM logs in as with IAM tokens, run
// against a real PostgreSQL on 127.0.0.1 (TLS only, as RDS with rds.force_ssl).
// What cannot be proved here: RDS IAM token authentication itself (the `rds_iam`
// role is RDS's; here a NOLOGIN role of that name stands in, and the proxy role gets
// a password so that it can log in), and PostgreSQL 17 (Debian ships 15).
import { execFileSync } from 'child_process';
import * as path from 'path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { Client } from 'pg';
import { LiteLlmModel, LiteLlmPlatform } from '../src';
import { LocalPostgres } from './boot/postgres';
import { VENV, containersOf, envOf } from './boot/proxy';
import { databaseUserEvent } from './support/database-user-event';
import { ensureProxyUser, handler, proxyUserStatements } from '../src/rotation/database-user.lambda';

const MASTER = 'litellm';
const MASTER_PASSWORD = 'master-password-1';
const PROXY = 'litellm_proxy';
const DB = 'litellm';

let pg: LocalPostgres;

beforeAll(async () => {
  // IAM tokens are RDS's to check: here the proxy role logs in over TLS without a password check.
  pg = await LocalPostgres.start({ trustedOverTls: [`${PROXY}@${DB}`] });
  // RDS's master user is no superuser: CREATEROLE and CREATEDB, owner of the database it created.
  pg.psql(`CREATE ROLE rds_iam NOLOGIN; CREATE ROLE ${MASTER} LOGIN CREATEROLE CREATEDB PASSWORD '${MASTER_PASSWORD}'`);
  pg.psql(`CREATE DATABASE ${DB} OWNER ${MASTER}`);
  // A platform deployed before IAM auth: LiteLLM's migrations ran as the master user.
  asMaster(`CREATE TYPE "JobStatus" AS ENUM ('ACTIVE', 'INACTIVE');
    CREATE TABLE "LiteLLM_Old" (id serial PRIMARY KEY, status "JobStatus");
    CREATE VIEW "OldView" AS SELECT id FROM "LiteLLM_Old";
    CREATE SEQUENCE free_standing`);
  // Routines, as LiteLLM's 20260923000000_add_mcp_catalog_revision_trigger migration creates
  // one (a trigger function and its trigger), and an extension whose functions are its own.
  asMaster(`CREATE FUNCTION litellm_bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
    CREATE TRIGGER litellm_revision AFTER INSERT ON "LiteLLM_Old" FOR EACH STATEMENT EXECUTE PROCEDURE litellm_bump_revision();
    CREATE PROCEDURE litellm_old_procedure() LANGUAGE sql AS $$ SELECT 1 $$;
    CREATE EXTENSION pgcrypto`);
  // A trusted extension's members belong to the bootstrap superuser; hand them to the master
  // user, so that only the step's extension clause (not the owner check) keeps them there.
  pg.psql(`DO $$ DECLARE f regprocedure; BEGIN
      FOR f IN SELECT d.objid::regprocedure FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
               WHERE e.extname = 'pgcrypto' AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
      LOOP EXECUTE format('ALTER ROUTINE %s OWNER TO ${MASTER}', f); END LOOP;
    END $$`, { database: DB });
}, 60_000);

afterAll(async () => {
  await pg?.stop();
});

function asMaster(sql: string): string {
  return pg.psql(sql, { user: MASTER, password: MASTER_PASSWORD, database: DB });
}

/** The proxy role over TLS; the password stands in for an IAM token (see `trustedOverTls`). */
function proxy(sql: string): string {
  return pg.psql(sql, { user: PROXY, password: 'stand-in-for-a-token', database: DB });
}

async function runStep(): Promise<void> {
  const client = new Client({
    host: pg.host, port: pg.port, user: MASTER, password: MASTER_PASSWORD, database: DB, ssl: { rejectUnauthorized: false },
  });
  await client.connect();
  try {
    await ensureProxyUser(client, PROXY, DB);
  } finally {
    await client.end();
  }
}

describe('the proxy database role', () => {
  test('is created by the master user, in rds_iam, and a second run changes nothing and does not fail', async () => {
    // WHEN
    await runStep();
    const after1 = pg.psql(`SELECT rolcanlogin, pg_has_role('${PROXY}', 'rds_iam', 'MEMBER') FROM pg_roles WHERE rolname = '${PROXY}'`);
    await runStep();

    // THEN
    expect(after1).toBe('t|t');
    expect(pg.psql(`SELECT count(*) FROM pg_roles WHERE rolname = '${PROXY}'`)).toBe('1');
    expect(pg.psql(`SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = '${PROXY}'`)).toBe('f');
  });

  test('owns what the master user created before, so its migrations may alter it', async () => {
    // GIVEN
    await runStep();

    // THEN
    const owners = asMaster(`SELECT c.relname || '=' || pg_get_userbyid(c.relowner) FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'S') ORDER BY 1`);
    expect(owners.split('\n')).toEqual([
      `LiteLLM_Old=${PROXY}`, `LiteLLM_Old_id_seq=${PROXY}`, `OldView=${PROXY}`, `free_standing=${PROXY}`,
    ]);
    expect(asMaster('SELECT pg_get_userbyid(typowner) FROM pg_type WHERE typname = \'JobStatus\'')).toBe(PROXY);
  });

  test('owns the functions and procedures the master user created before, and a second run changes nothing', async () => {
    // WHEN
    await runStep();
    await runStep();

    // THEN
    const owners = asMaster(`SELECT p.proname || '=' || pg_get_userbyid(p.proowner) FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proname LIKE 'litellm%' ORDER BY 1`);
    expect(owners.split('\n')).toEqual([`litellm_bump_revision=${PROXY}`, `litellm_old_procedure=${PROXY}`]);
  });

  test('replaces those routines as a later migration does (CREATE OR REPLACE needs the owner)', async () => {
    // GIVEN
    await runStep();

    // WHEN: the migration that created the trigger function, run again as the proxy role
    proxy(`CREATE OR REPLACE FUNCTION litellm_bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
      DROP TRIGGER IF EXISTS litellm_revision ON "LiteLLM_Old";
      CREATE TRIGGER litellm_revision AFTER INSERT OR UPDATE OR DELETE ON "LiteLLM_Old" FOR EACH STATEMENT EXECUTE PROCEDURE litellm_bump_revision();
      CREATE OR REPLACE PROCEDURE litellm_old_procedure() LANGUAGE sql AS $$ SELECT 2 $$`);

    // THEN
    expect(asMaster('SELECT prosrc FROM pg_proc WHERE proname = \'litellm_old_procedure\'').trim()).toBe('SELECT 2');
    expect(asMaster('SELECT count(*) FROM pg_trigger WHERE tgname = \'litellm_revision\'')).toBe('1');
  });

  test('leaves the functions of an extension to the extension\'s owner', async () => {
    // WHEN
    await runStep();

    // THEN
    const [owners, count] = asMaster(`SELECT string_agg(DISTINCT pg_get_userbyid(p.proowner), ','), count(*) FROM pg_proc p
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
      JOIN pg_extension e ON e.oid = d.refobjid WHERE e.extname = 'pgcrypto'`).split('|');
    expect(owners).toBe(MASTER);
    expect(Number(count)).toBeGreaterThan(10);
  });

  test('logs in over TLS and creates, alters and drops tables, types and indexes in the database', async () => {
    // GIVEN
    await runStep();

    // WHEN
    proxy(`CREATE TABLE "LiteLLM_New" (id text PRIMARY KEY);
      ALTER TABLE "LiteLLM_New" ADD COLUMN spend double precision DEFAULT 0;
      CREATE INDEX "LiteLLM_New_spend_idx" ON "LiteLLM_New" (spend);
      ALTER TABLE "LiteLLM_Old" ADD COLUMN team text;
      ALTER TYPE "JobStatus" ADD VALUE 'PAUSED';
      CREATE OR REPLACE VIEW "OldView" AS SELECT id, team FROM "LiteLLM_Old";
      INSERT INTO "LiteLLM_Old" (status, team) VALUES ('ACTIVE', 't1');
      DROP TABLE "LiteLLM_New"`);

    // THEN
    expect(proxy('SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).toBe(`${PROXY}|t`);
    expect(proxy('SELECT team FROM "OldView"')).toBe('t1');
  });

  test('refuses a name that is not a plain identifier, before any SQL runs', () => {
    expect(() => proxyUserStatements('proxy; DROP TABLE x', DB)).toThrow('"proxy; DROP TABLE x" is not a plain PostgreSQL identifier (a-z, 0-9, _)');
  });
});

describe('the step on a replaced instance', () => {
  // CloudFormation sends an Update when the instance's DbiResourceId changes (a replacement
  // or a restore): the handler must run the same statements as on Create, on the new instance.
  const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:litellm-db-AbCdEf';
  const sm = mockClient(SecretsManagerClient);
  afterEach(() => {
    sm.reset();
    jest.restoreAllMocks();
  });

  test('an Update runs the statements of a Create against the new host and keeps the physical id', async () => {
    // GIVEN
    sm.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({
      SecretString: JSON.stringify({ host: 'new-instance.example', port: 5432, username: MASTER, password: MASTER_PASSWORD, dbname: DB }),
    });
    const connected: string[] = [];
    jest.spyOn(Client.prototype, 'connect').mockImplementation(async function (this: Client) {
      connected.push(this.host);
    } as any);
    const queries: string[] = [];
    jest.spyOn(Client.prototype, 'query').mockImplementation((async (sql: string) => {
      queries.push(sql);
      return { rows: [] };
    }) as any);
    jest.spyOn(Client.prototype, 'end').mockImplementation((async () => undefined) as any);
    const answers: any[] = [];
    jest.spyOn(global, 'fetch').mockImplementation(async (_url, init) => {
      answers.push(JSON.parse(String(init!.body)));
      return new Response(null, { status: 200 });
    });
    jest.spyOn(console, 'log').mockImplementation(() => {});
    const update = databaseUserEvent('Update', SECRET_ID, {
      userName: PROXY, properties: { DbiResourceId: 'db-NEWINSTANCE' }, oldProperties: { DbiResourceId: 'db-OLDINSTANCE' },
    });

    // WHEN
    await handler(update);

    // THEN
    expect(connected).toEqual(['new-instance.example']);
    expect(queries).toEqual(['BEGIN', ...proxyUserStatements(PROXY, DB), 'COMMIT']);
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: `database-user-${PROXY}` })]);
  });
});

describe('the URL LiteLLM builds from the task definition', () => {
  // LiteLLM's own code from the pinned version, not a copy: the writer URL it sets as
  // DATABASE_URL before migrating or serving (litellm/proxy/proxy_cli.py:1244-1255).
  const BUILD_URL = 'from litellm.proxy.db.db_url_settings import DatabaseURLSettings; print(DatabaseURLSettings.from_env().build_writer_url())';

  test('names the proxy role, requires TLS, and connects to the database as that role', async () => {
    // GIVEN
    await runStep();
    const stack = new Stack(new App(), 'Url', { env: { account: '123456789012', region: 'us-east-1' } });
    new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'mock', response: 'hi' })] });
    const litellm = containersOf(Template.fromStack(stack).toJSON()).litellm;
    const env = envOf(litellm);
    const deployTime = (litellm.Environment ?? []).filter(e => typeof e.Value !== 'string' && e.Name.startsWith('DATABASE_')).map(e => e.Name);
    expect(deployTime.sort()).toEqual(['DATABASE_HOST', 'DATABASE_PORT']); // the instance endpoint
    expect((litellm.Secrets ?? []).filter(e => e.Name.startsWith('DATABASE_'))).toEqual([]);

    // WHEN: the endpoint is the local server's; minting a token is local signing, any credentials do
    const url = execFileSync(path.join(VENV, 'bin', 'python'), ['-c', BUILD_URL], {
      encoding: 'utf8',
      env: {
        ...env,
        DATABASE_HOST: pg.host,
        DATABASE_PORT: String(pg.port),
        PATH: '/usr/bin:/bin',
        AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'url-test-not-a-secret',
      },
    }).trim();

    // THEN
    const tls = 'sslmode=verify-full&sslrootcert=%2Flitellm-config%2Frds-ca.pem';
    expect(url).toMatch(new RegExp(`^postgresql://${PROXY}:[^@]*X-Amz-Signature[^@]*@127\\.0\\.0\\.1:${pg.port}/${DB}\\?${tls}$`));
    // This server's certificate is self-signed: verifying it against the RDS CA is
    // test/database-tls.test.ts's; here the session itself, over TLS, as the proxy role.
    const psql = pg.psqlPath;
    const session = execFileSync(psql, [url.replace(tls, 'sslmode=require'), '-At', '-c', 'SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'],
      { encoding: 'utf8' }).trim();
    expect(session).toBe(`${PROXY}|t`);
    // Without TLS the server refuses it, as RDS with rds.force_ssl does.
    expect(() => execFileSync(psql, [url.replace(tls, 'sslmode=disable'), '-c', 'SELECT 1'], { stdio: 'pipe' }))
      .toThrow(/no pg_hba.conf entry|rejects connection/);
  });
});
