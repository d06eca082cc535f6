export { MYSQL_META_DATABASE, MysqlDumpLoaderService, SPIDER_DUMP_SUBPATH, findSpiderDump, type DumpLoadOutcome } from './mysql-dump-loader.service';
export { SqlExecuteService, type SqlExecRequest, type SqlServiceOptions } from './sql-execute.service';
export type { SqlRunRequest } from './sql-execute.service';
export { sqlRunRequest } from './sql-request.mapper';
