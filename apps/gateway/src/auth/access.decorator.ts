import { SetMetadata } from '@nestjs/common';
import type { RoleName } from './api-key';

/** Metadata key of {@link Access}. */
export const ACCESS_KEY = 'lemur:access';

/** Who may call a route: `public` (no key: health, metrics, the API description) or the least role it needs. */
export type AccessRule = RoleName | 'public';

/** Declares a route's access rule; a route without one is refused (fail closed). */
export const Access = (rule: AccessRule) => SetMetadata(ACCESS_KEY, rule);
