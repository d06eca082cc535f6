import type { Logger } from '@lemur/shared-logging';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Registry } from 'prom-client';
import type { AuditLogRepository } from './audit/audit-log.repository';
import { AuditController } from './audit/audit.controller';
import type { ApiKeyAuthenticator } from './auth/api-key-authenticator.service';
import { ApiKeyGuard } from './auth/api-key.guard';
import type { ApiKeyRepository } from './auth/api-key.repository';
import { KeysController } from './auth/keys.controller';
import { MeController } from './auth/me.controller';
import {
  API_KEY_AUTHENTICATOR,
  API_KEY_REPOSITORY,
  AUDIT_LOG,
  EVAL_CLIENT,
  GATEWAY_LOGGER,
  INFERENCE_CLIENT,
  PLATFORM_VERSION,
  RUN_QUOTA_REPOSITORY,
  RUN_QUOTAS,
  WEB_UI_ASSETS,
} from './gateway.tokens';
import { HealthController } from './health/health.controller';
import { OpenAiController } from './openai/openai.controller';
import { QuotasController } from './quotas/quotas.controller';
import type { RunQuotaRepository } from './quotas/run-quota.repository';
import type { RunQuotas } from './quotas/run-quotas.service';
import { RunExportController } from './runs/export/run-export.controller';
import { RunsController, type EvalClient, type InferenceClient } from './runs/runs.controller';
import { SchedulesController } from './schedules/schedules.controller';
import { SuitesController } from './suites/suites.controller';
import { WEB_UI_DIR, WebUiAssets } from './web-ui/web-ui-assets';
import { WebUiController } from './web-ui/web-ui.controller';

/** The gateway: REST over the eval and inference services, every route behind an API key unless marked public. */
@Module({})
export class GatewayModule {
  static forRoot(deps: {
    evalClient: EvalClient;
    inferenceClient: InferenceClient;
    registry: Registry;
    version: string;
    logger: Logger;
    keys: ApiKeyRepository;
    authenticator: ApiKeyAuthenticator;
    audit: AuditLogRepository;
    quotas: RunQuotas;
    quotaRepository: RunQuotaRepository;
  }): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [RunsController, RunExportController, SchedulesController, SuitesController, HealthController, OpenAiController, KeysController, MeController, AuditController, QuotasController, WebUiController],
      providers: [
        { provide: EVAL_CLIENT, useValue: deps.evalClient },
        { provide: INFERENCE_CLIENT, useValue: deps.inferenceClient },
        { provide: Registry, useValue: deps.registry },
        { provide: PLATFORM_VERSION, useValue: deps.version },
        { provide: GATEWAY_LOGGER, useValue: deps.logger },
        { provide: API_KEY_REPOSITORY, useValue: deps.keys },
        { provide: API_KEY_AUTHENTICATOR, useValue: deps.authenticator },
        { provide: AUDIT_LOG, useValue: deps.audit },
        { provide: RUN_QUOTAS, useValue: deps.quotas },
        { provide: RUN_QUOTA_REPOSITORY, useValue: deps.quotaRepository },
        { provide: WEB_UI_ASSETS, useFactory: () => new WebUiAssets(WEB_UI_DIR) },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
    };
  }
}
