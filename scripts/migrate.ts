// Applies pending Prisma migrations with the project's WebAssembly schema engine (no native engine download):
// the command the Helm chart's pre-install/pre-upgrade Job and the kustomize migration Job run.
import { parseArgs } from 'node:util';
import { applyMigrations, defaultMigrationsDir, redactDatabaseUrl } from '../libs/shared/database/src/index';

const HELP = `Usage: lemur-migrate [options]   (node --import tsx scripts/migrate.ts)

Applies the migrations in prisma/migrations that the database has not recorded in _prisma_migrations, as
\`prisma migrate deploy\` does. Idempotent, and safe to run from several places at once (an advisory lock
serializes them). Prints one JSON line with the migrations it applied.

Options:
  --database-url <url>   PostgreSQL to migrate (default: $DATABASE_URL)
  --migrations <dir>     migrations folder (default: the repository's prisma/migrations)
  -h, --help             this text

Example:
  DATABASE_URL=postgresql://lemur@db:5432/lemur node --import tsx scripts/migrate.ts
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'database-url': { type: 'string' },
      migrations: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const databaseUrl = values['database-url'] ?? process.env['DATABASE_URL'];
  if (!databaseUrl) {
    process.stderr.write('lemur-migrate: no database: set DATABASE_URL or pass --database-url (see --help)\n');
    return 2;
  }
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    process.stderr.write('lemur-migrate: the database URL must start with postgresql:// (see --help)\n');
    return 2;
  }
  const migrationsDir = values.migrations ?? defaultMigrationsDir();
  const started = Date.now();
  const applied = await applyMigrations(databaseUrl, { migrationsDir });
  process.stdout.write(
    `${JSON.stringify({ msg: 'migrations applied', database: redactDatabaseUrl(databaseUrl), applied, elapsedMs: Date.now() - started })}\n`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    process.stderr.write(`lemur-migrate: ${message}${cause}\n`);
    process.exit(1);
  },
);
