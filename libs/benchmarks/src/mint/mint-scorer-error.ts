/**
 * Upstream's `task.success` raised (e.g. KeyError for an MMLU reference missing from the parsed options, OverflowError
 * from `round(inf)`): the proposal counts as not successful and the environment shows the error as the observation.
 */
export class MintScorerError extends Error {
  override readonly name = 'MintScorerError';
}
