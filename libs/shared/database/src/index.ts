export {
  databaseNameOf,
  type PgConnectionConfig,
  quoteIdentifier,
  redactDatabaseUrl,
  toPgConnectionConfig,
  withDatabaseName,
} from './database-url';
export { dropDatabase, ensureDatabase } from './ensure-database';
export {
  type EmbeddedPostgresHandle,
  type EmbeddedPostgresOptions,
  startEmbeddedPostgres,
} from './embedded-postgres';
export {
  type EmbeddedMariadbHandle,
  type EmbeddedMariadbOptions,
  findMariadbBinaries,
  mysqlAnswers,
  startEmbeddedMariadb,
} from './embedded-mariadb';
export {
  type ApplyMigrationsOptions,
  applyMigrations,
  defaultMigrationsDir,
  MIGRATION_LOCK_CONTENT,
  MIGRATION_LOCK_FILE,
  NO_EXTERNAL_ENTITIES,
  readMigrationsList,
} from './migrations';
export { createPrismaClient, type PrismaClientOptions, sqlPoolOf } from './prisma-client';
export { NotificationListener, type NotificationListenerOptions } from './notification-listener';
export { postgresSafe } from './postgres-text';
export { openSchemaEngine, type SchemaEngineSession } from './schema-engine';
export { Prisma, PrismaClient, Role, RunStatus, SampleStatus } from './generated/prisma/client';
export type { ApiKey, AuditLog, Member, Model, ResponseCacheEntry, Run, Sample, Schedule, SuiteRun, Team } from './generated/prisma/client';
