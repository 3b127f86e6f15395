import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { Client, ClientBase } from 'pg';
import { cancelRotation } from './cancel-rotation';
import { answerCloudFormation, CustomResourceResult } from './cfn-response';

export interface DatabaseUserResourceProperties {
  /** The master credentials secret (RDS's JSON: host, port, username, password, dbname). */
  readonly SecretId: string;
  /** The login role the proxy connects as with an IAM token. */
  readonly UserName: string;
  /**
   * The instance's `DbiResourceId`. Not read here: it changes whenever CloudFormation
   * replaces the instance (a new instance, from a snapshot or empty), so that the
   * replacement gets an Update and the role is created in it too.
   */
  readonly DbiResourceId?: string;
}

export type DatabaseUserEvent = CloudFormationCustomResourceEvent<DatabaseUserResourceProperties>;

/** Resource type of the custom resource that turns the password's automatic rotation off (`passwordRotation.enabled: false`). */
export const PASSWORD_ROTATION_OFF_RESOURCE_TYPE = 'Custom::LiteLlmPasswordRotationOff';

export interface PasswordRotationOffResourceProperties {
  /** The master credentials secret. */
  readonly SecretId: string;
  /**
   * The rotation schedule's inputs. Not read here: any change to them updates the schedule,
   * which calls RotateSecret and turns rotation back on, and then updates this resource too.
   */
  readonly Schedule?: unknown;
}

export type PasswordRotationOffEvent = CloudFormationCustomResourceEvent<PasswordRotationOffResourceProperties>;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const secretsManager = new SecretsManagerClient({});

/**
 * Serves `Custom::LiteLlmDatabaseUser` (the proxy's database role) and
 * `Custom::LiteLlmPasswordRotationOff` (`passwordRotation.enabled: false`).
 */
export async function handler(event: DatabaseUserEvent | PasswordRotationOffEvent): Promise<CustomResourceResult> {
  if (event.ResourceType === PASSWORD_ROTATION_OFF_RESOURCE_TYPE) return turnRotationOff(event as PasswordRotationOffEvent);
  return createUserStep(event as DatabaseUserEvent);
}

/**
 * Creates (idempotently) the role the LiteLLM tasks log in as with RDS IAM tokens,
 * connected as the master user from inside the VPC. Create and Update run the same
 * statements (an Update comes with a replaced instance, see `DbiResourceId`); the
 * physical id never changes, so CloudFormation never deletes the old one after an
 * Update. Delete keeps the role: the database it lives in is retained or deleted with
 * the instance.
 */
async function createUserStep(event: DatabaseUserEvent): Promise<CustomResourceResult> {
  const physicalId = `database-user-${event.ResourceProperties.UserName}`;
  return answerCloudFormation(event, physicalId, async () => {
    if (event.RequestType !== 'Delete') await createUser(event.ResourceProperties);
    return { PhysicalResourceId: physicalId };
  });
}

/** Cancels the password's automatic rotation (`passwordRotation.enabled: false`); Delete changes nothing. */
async function turnRotationOff(event: PasswordRotationOffEvent): Promise<CustomResourceResult> {
  const physicalId = `password-rotation-off-${event.ResourceProperties.SecretId}`;
  return answerCloudFormation(event, physicalId, async () => {
    if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
    await cancelRotation(secretsManager, event.ResourceProperties.SecretId, event);
    return { PhysicalResourceId: physicalId };
  });
}

async function createUser(properties: DatabaseUserResourceProperties): Promise<void> {
  const response = await secretsManager.send(new GetSecretValueCommand({ SecretId: properties.SecretId }));
  const master = JSON.parse(response.SecretString ?? '{}');
  const client = new Client({
    host: master.host,
    port: Number(master.port ?? 5432),
    user: master.username,
    password: master.password,
    database: master.dbname,
    // The Lambda Node.js runtimes carry the Amazon RDS certificate authorities in
    // /var/runtime/ca-cert.pem; NODE_EXTRA_CA_CERTS (set on the function) loads them.
    ssl: { rejectUnauthorized: true },
    connectionTimeoutMillis: 20_000,
  });
  await client.connect();
  try {
    await ensureProxyUser(client, properties.UserName, master.dbname);
    console.log(`Role ${properties.UserName} can log in to ${master.dbname} with IAM tokens`);
  } finally {
    await client.end();
  }
}

/**
 * The statements that let `user` log in with IAM tokens (`rds_iam`) and own LiteLLM's
 * schema. Every statement can run again. Tables, views, sequences, enum types, functions
 * and procedures an earlier version created as the master user change owner, so that the
 * proxy's migrations may alter or replace them (`CREATE OR REPLACE FUNCTION` needs the
 * owner). Objects that belong to an extension stay with the extension's owner.
 */
export function proxyUserStatements(user: string, database: string): string[] {
  for (const name of [user, database]) {
    if (!IDENTIFIER.test(name)) throw new Error(`"${name}" is not a plain PostgreSQL identifier (a-z, 0-9, _)`);
  }
  return [
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${user}') THEN CREATE ROLE ${user} LOGIN; END IF;
     END $$`,
    `GRANT rds_iam TO ${user}`,
    `GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${user}`,
    `GRANT USAGE, CREATE ON SCHEMA public TO ${user}`,
    // Giving an object to a role takes membership in it (the master user is no superuser).
    `GRANT ${user} TO CURRENT_USER`,
    // Sequences owned by a column follow their table; enum types are altered on their own;
    // ALTER ROUTINE covers functions (trigger functions too), procedures and aggregates.
    // An extension's members (deptype 'e') keep their owner: ALTER EXTENSION UPDATE needs it.
    `DO $$ DECLARE o record; BEGIN
       FOR o IN
         SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
                format('%I.%I', n.nspname, c.relname) AS name
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
            AND pg_get_userbyid(c.relowner) = current_user
            AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
            AND NOT EXISTS (SELECT 1 FROM pg_depend d
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
       LOOP
         EXECUTE format('ALTER %s %s OWNER TO ${user}', o.kind, o.name);
       END LOOP;
       FOR o IN
         SELECT format('%I.%I', n.nspname, t.typname) AS name
           FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE n.nspname = 'public' AND t.typtype = 'e' AND pg_get_userbyid(t.typowner) = current_user
            AND NOT EXISTS (SELECT 1 FROM pg_depend d
                   WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
       LOOP
         EXECUTE format('ALTER TYPE %s OWNER TO ${user}', o.name);
       END LOOP;
       FOR o IN
         SELECT p.oid::regprocedure::text AS name
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) = current_user
            AND NOT EXISTS (SELECT 1 FROM pg_depend d
                   WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
       LOOP
         EXECUTE format('ALTER ROUTINE %s OWNER TO ${user}', o.name);
       END LOOP;
     END $$`,
  ];
}

/** Runs `proxyUserStatements` in one transaction. */
export async function ensureProxyUser(client: ClientBase, user: string, database: string): Promise<void> {
  await client.query('BEGIN');
  try {
    for (const statement of proxyUserStatements(user, database)) await client.query(statement);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}
