/** Injection tokens of the eval service's ports. */
export const RUN_STORE = Symbol('RUN_STORE');
export const SAMPLE_STORE = Symbol('SAMPLE_STORE');
export const SCHEDULE_REPOSITORY = Symbol('SCHEDULE_REPOSITORY');
