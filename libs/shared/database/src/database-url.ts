/** The database name a PostgreSQL URL points at (`postgres` when the path is empty). */
export function databaseNameOf(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  return name === '' ? 'postgres' : name;
}

/** The same server URL pointing at another database; query parameters are kept. */
export function withDatabaseName(databaseUrl: string, databaseName: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(databaseName)}`;
  return url.toString();
}

/** Quotes a PostgreSQL identifier (database, role) for use in DDL, where parameters are not allowed. */
export function quoteIdentifier(identifier: string): string {
  if (identifier.length === 0 || identifier.length > 63 || identifier.includes('\0')) {
    throw new Error(`invalid PostgreSQL identifier ${JSON.stringify(identifier)}: use 1-63 characters without NUL`);
  }
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** Hides the password of a database URL so it can be logged. */
export function redactDatabaseUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.password !== '') url.password = '***';
  return url.toString();
}

/** Discrete node-postgres settings for a URL. */
export interface PgConnectionConfig {
  database: string;
  host: string;
  password?: string;
  port: number;
  ssl?: boolean | { rejectUnauthorized: boolean };
  user?: string;
}

/**
 * Splits a PostgreSQL URL into node-postgres settings. Needed where a library later overrides `database`:
 * node-postgres lets a `connectionString` win over it, which would silently point a shadow database at the real one.
 */
export function toPgConnectionConfig(databaseUrl: string): PgConnectionConfig {
  const url = new URL(databaseUrl);
  const config: PgConnectionConfig = {
    database: databaseNameOf(databaseUrl),
    host: url.searchParams.get('host') ?? (decodeURIComponent(url.hostname) || '127.0.0.1'),
    port: url.port === '' ? 5432 : Number.parseInt(url.port, 10),
  };
  if (url.username !== '') config.user = decodeURIComponent(url.username);
  if (url.password !== '') config.password = decodeURIComponent(url.password);
  const sslmode = url.searchParams.get('sslmode');
  if (sslmode !== null && sslmode !== 'disable') {
    config.ssl = { rejectUnauthorized: sslmode === 'verify-ca' || sslmode === 'verify-full' };
  }
  return config;
}
