/** One benchmark's figure: a ratio against a baseline measured in the same run. */
export interface BenchResult {
  name: string;
  ratio: number;
  target: string;
  ok: boolean;
  /** What the ratio is measured against, in the same run. */
  baseline?: string;
  detail: string;
}
