import { InvalidArgumentError } from 'commander';

/** Parses a whole number >= min for a flag, with a message that names the flag. */
export function intOption(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} must be a whole number between ${min} and ${max} (got "${value}")`);
    }
    return n;
  };
}

/** Parses a number in [min, max] for a flag. */
export function numberOption(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} must be a number between ${min} and ${max} (got "${value}")`);
    }
    return n;
  };
}
