import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import pg from 'pg';
import { toPgConnectionConfig, withDatabaseName } from './database-url';
import { dropDatabase, ensureDatabase } from './ensure-database';

type Bindings = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

// tsconfig has no DOM lib and @types/node 20 does not declare the WebAssembly global; this is the part we use.
declare const WebAssembly: {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, unknown>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

let bindingsPromise: Promise<Bindings> | undefined;

// The package's entry imports the .wasm as an ES module, which Node 20 only allows behind
// --experimental-wasm-modules; instantiating it here keeps tsx, vitest and plain node flag-free.
async function loadBindings(): Promise<Bindings> {
  const require = createRequire(import.meta.url);
  const bgPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const bindings = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as Bindings;
  const bytes = await readFile(join(dirname(bgPath), 'schema_engine_bg.wasm'));
  const { instance } = await WebAssembly.instantiate(bytes, {
    './schema_engine_bg.js': bindings,
  });
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports['__wbindgen_start'] as () => void)();
  return bindings;
}

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

function charColumnsAsText(result: unknown): unknown {
  for (const one of Array.isArray(result) ? result : [result]) {
    for (const field of (one as { fields?: Array<{ dataTypeID: number }> } | undefined)?.fields ?? []) {
      if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    }
  }
  return result;
}

/**
 * The schema engine introspects catalog columns of PostgreSQL's one-byte `"char"` type (pg_class.relkind, ...),
 * which @prisma/adapter-pg 7.10 refuses to map; they arrive as plain strings, so labelling them text is exact.
 */
class CatalogFriendlyClient extends pg.Client {
  override query(...args: unknown[]): never {
    const last = args.at(-1);
    if (typeof last === 'function') {
      args[args.length - 1] = (err: unknown, res: unknown) => (last as (e: unknown, r: unknown) => void)(err, res && charColumnsAsText(res));
      return (super.query as (...a: unknown[]) => never)(...args);
    }
    const ret = (super.query as (...a: unknown[]) => unknown)(...args);
    return (ret instanceof Promise ? ret.then(charColumnsAsText) : ret) as never;
  }
}

function migrationAdapter(databaseUrl: string): PrismaPg {
  const pool = new pg.Pool({ ...toPgConnectionConfig(databaseUrl), max: 2, Client: CatalogFriendlyClient });
  return new PrismaPg(pool, { disposeExternalPool: true });
}

/**
 * PrismaPg's own connectToShadowDb (7.10) is unsafe to use as is: given a connection string its shadow pool
 * connects to the main database, and it drops the shadow database before closing its pool. This one creates,
 * uses and drops a uniquely named shadow database on the same server.
 */
class PostgresMigrationAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName = '@prisma/adapter-pg';
  private readonly open = new Set<SqlDriverAdapter>();

  constructor(private readonly databaseUrl: string) {}

  connect(): Promise<SqlDriverAdapter> {
    return this.track(migrationAdapter(this.databaseUrl).connect());
  }

  connectToShadowDb(): Promise<SqlDriverAdapter> {
    const shadowUrl = withDatabaseName(this.databaseUrl, `prisma_migrate_shadow_db_${randomUUID()}`);
    return this.track(
      ensureDatabase(shadowUrl).then(() => migrationAdapter(shadowUrl).connect()),
      () => dropDatabase(shadowUrl),
    );
  }

  /** Closes every pool the engine opened and did not dispose itself. */
  async disposeAll(): Promise<void> {
    await Promise.all([...this.open].map((adapter) => adapter.dispose()));
  }

  // The engine keeps its connections (and Prisma's session advisory lock 72707369) until the pool is
  // disposed, which SchemaEngine.free() does not do: an unclosed pool blocks the next migrator for 10 s.
  private async track(connecting: Promise<SqlDriverAdapter>, afterDispose?: () => Promise<void>): Promise<SqlDriverAdapter> {
    const adapter = await connecting;
    const dispose = adapter.dispose.bind(adapter);
    let disposed: Promise<void> | undefined;
    adapter.dispose = () => {
      this.open.delete(adapter);
      disposed ??= dispose().then(afterDispose);
      return disposed;
    };
    this.open.add(adapter);
    return adapter;
  }
}

/** A schema engine and the connections it holds. */
export interface SchemaEngineSession {
  engine: SchemaEngine;
  /** Frees the engine and closes its connections (dropping any shadow database). */
  close(): Promise<void>;
}

/** Opens Prisma's WebAssembly schema engine on a PostgreSQL database (diff, applyMigrations, ...); close it after use. */
export async function openSchemaEngine(
  databaseUrl: string,
  datamodels: ReadonlyArray<readonly [path: string, content: string]> = [],
  onLog: (message: string) => void = () => undefined,
): Promise<SchemaEngineSession> {
  bindingsPromise ??= loadBindings();
  const bindings = await bindingsPromise.catch((err: unknown) => {
    bindingsPromise = undefined;
    throw err;
  });
  const factory = new PostgresMigrationAdapterFactory(databaseUrl);
  const engine = await bindings.SchemaEngine.new(
    { datamodels: datamodels.map(([path, content]) => [path, content] as [string, string]) },
    onLog,
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  return {
    engine,
    close: async () => {
      engine.free();
      await factory.disposeAll();
    },
  };
}
