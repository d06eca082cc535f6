import { type DatasetFiles, type DatasetSpec } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { datasetFile } from '../dataset/dataset-files';
import { requireString } from '../dataset/jsonl';

/** The upstream commit the InterCode task files (shared/datasets/intercode) were copied from. */
export const INTERCODE_COMMIT = 'c3e46d827cfc9d4c704ec078f7abf9f41e3191d8';

const RAW = `https://raw.githubusercontent.com/princeton-nlp/intercode/${INTERCODE_COMMIT}`;

/** One Spider dev question: the database it runs on, the gold query, and the tables shown as the handicap. */
export interface IntercodeSqlItem {
  id: string;
  index: number;
  db: string;
  query: string;
  gold: string;
  hardness: string;
  tables: Record<string, string[]>;
}

/** One NL2Bash task: which of the four file systems (docker images intercode-nl2bash-1..4) it runs in. */
export interface IntercodeBashItem {
  id: string;
  fileSystem: 1 | 2 | 3 | 4;
  index: number;
  query: string;
  gold: string;
}

/** InterCode-SQL's data: the 1,034 Spider dev questions and the MySQL dump of their 20 databases. */
export const INTERCODE_SQL_DATASET: DatasetSpec = {
  name: 'intercode/sql/spider/',
  files: [
    {
      file: 'intercode/sql/spider/ic_spider_dev.json',
      url: `${RAW}/data/sql/spider/ic_spider_dev.json`,
      sha256: '68c9ecb0692c80770f46c724cc073ea76be4f301a294caa532c050546948128e',
    },
    {
      file: 'intercode/sql/spider/ic_spider_dbs.sql',
      url: `${RAW}/data/sql/spider/ic_spider_dbs.sql`,
      sha256: '61f6e8000cb5bb696f123fa55e111acdcd8da7eca64f452a36fd1a6e5fb1781a',
    },
  ],
  license: 'CC-BY-SA-4.0',
  items: 1034,
};

const BASH_SHA256: Record<1 | 2 | 3 | 4, string> = {
  1: '60f88e1aacc7ebba535093f9890c5c33203f4e5f32958e0e94fbe90ec4f01c82',
  2: '8f4ce24e535fab782fda607e37db2ae1d6c5f99993c638d1ac0a7e0b542f633e',
  3: 'a2d4ec8bc7ad69a4e2fb3eb84033994cf65ee9cfb355e3e63099df67a339b2e1',
  4: 'ce41b89450f87765a02a51df259ca0c1762e8249185c022adb089147e2c16200',
};

/** InterCode-Bash's data: the 200 NL2Bash tasks of the four file-system images (60/53/60/27). */
export const INTERCODE_BASH_DATASET: DatasetSpec = {
  name: 'intercode/nl2bash/',
  files: ([1, 2, 3, 4] as const).map((fs) => ({
    file: `intercode/nl2bash/nl2bash_fs_${fs}.json`,
    // The copy here sits in nl2bash/; upstream moved the files to data/bash/nl2bash/ after this commit.
    url: `${RAW}/data/nl2bash/nl2bash_fs_${fs}.json`,
    sha256: BASH_SHA256[fs],
  })),
  license: 'GPL-3.0',
  items: 200,
};

function parseJsonArray(file: string, bytes: Buffer): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file} is not valid JSON`, { file }, { cause });
  }
  if (!Array.isArray(value)) throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file} is not a JSON array`, { file });
  return value;
}

function requireTables(file: string, row: unknown, index: number): Record<string, string[]> {
  const tables = (row as Record<string, unknown>)['db_tables'];
  const ok =
    typeof tables === 'object' &&
    tables !== null &&
    Object.values(tables).every((cols) => Array.isArray(cols) && cols.every((c) => typeof c === 'string'));
  if (!ok) {
    throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file}: row ${index + 1} has no "db_tables" object of column-name lists`, {
      file,
      row: index + 1,
    });
  }
  return tables as Record<string, string[]>;
}

/** The Spider dev questions, in file order. */
export function parseIntercodeSqlItems(files: DatasetFiles): IntercodeSqlItem[] {
  const file = INTERCODE_SQL_DATASET.files[0]!.file;
  return parseJsonArray(file, datasetFile(files, file)).map((row, index) => ({
    id: `spider-dev-${index}`,
    index,
    db: requireString(file, row, index, 'db'),
    query: requireString(file, row, index, 'query'),
    gold: requireString(file, row, index, 'gold'),
    hardness: requireString(file, row, index, 'hardness'),
    tables: requireTables(file, row, index),
  }));
}

/** The NL2Bash tasks of the four file systems, in file order. */
export function parseIntercodeBashItems(files: DatasetFiles): IntercodeBashItem[] {
  const items: IntercodeBashItem[] = [];
  for (const fs of [1, 2, 3, 4] as const) {
    const file = `intercode/nl2bash/nl2bash_fs_${fs}.json`;
    parseJsonArray(file, datasetFile(files, file)).forEach((row, index) => {
      items.push({ id: `nl2bash-fs${fs}-${index}`, fileSystem: fs, index, query: requireString(file, row, index, 'query'), gold: requireString(file, row, index, 'gold') });
    });
  }
  return items;
}
