import { resolve } from 'node:path';

/** The shared datasets folder: `shared/datasets` beside the checkout, as on developer machines and in CI. */
export const SHARED_DATASETS_DIR = resolve(__dirname, '../../../../../shared/datasets');
