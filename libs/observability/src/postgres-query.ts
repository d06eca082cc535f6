import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/** A query of Grafana's PostgreSQL datasource (the SDK ships no builder for it). */
export interface PostgresQuery {
  refId?: string;
  datasource?: DataSourceRef;
  /** Raw SQL, with Grafana's macros (`$__timeFilter(column)`). */
  rawSql: string;
  rawQuery: true;
  editorMode: 'code';
  format: 'table' | 'time_series';
  _implementsDataqueryVariant(): void;
}

/** Builds a {@link PostgresQuery}. */
export class PostgresQueryBuilder implements Builder<Dataquery> {
  private readonly internal: PostgresQuery;

  constructor(rawSql: string, format: PostgresQuery['format']) {
    this.internal = { rawSql, rawQuery: true, editorMode: 'code', format, _implementsDataqueryVariant() {} };
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  datasource(datasource: DataSourceRef): this {
    this.internal.datasource = datasource;
    return this;
  }

  build(): PostgresQuery {
    return this.internal;
  }
}
