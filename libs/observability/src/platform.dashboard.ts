import { DashboardBuilder, DatasourceVariableBuilder, RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** Grafana's rate window macro: Grafana fills it from the scrape interval and the panel's step. */
const W = '$__rate_interval';
const PROMETHEUS = { type: 'prometheus', uid: '${datasource}' };

interface PromTarget {
  expr: string;
  legend: string;
}

interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  targets: PromTarget[];
}

/** `expr` where a counter that has not moved yet reads 0 per model instead of no data (its series appear on first use). */
const perModelOrZero = (expr: string) => `(${expr}) or (sum by (model) (rate(lemur_inference_requests_total[${W}])) * 0)`;

const ROWS: { title: string; panels: PanelSpec[] }[] = [
  {
    title: 'Requests and errors',
    panels: [
      {
        title: 'Gateway requests by route',
        description: 'HTTP requests per second at the gateway, by route pattern and status.',
        unit: 'reqps',
        targets: [{ expr: `sum by (route, status) (rate(lemur_gateway_http_requests_total[${W}]))`, legend: '{{route}} {{status}}' }],
      },
      {
        title: 'Inference requests by model',
        description: 'Generate calls per second by model and outcome (ok, error, cancelled, rejected).',
        unit: 'reqps',
        targets: [{ expr: `sum by (model, outcome) (rate(lemur_inference_requests_total[${W}]))`, legend: '{{model}} {{outcome}}' }],
      },
      {
        title: 'Error ratio',
        description: 'Share of inference calls that failed, by model; and of gateway responses that were 5xx.',
        unit: 'percentunit',
        targets: [
          {
            expr: `${perModelOrZero(`sum by (model) (rate(lemur_inference_requests_total{outcome="error"}[${W}]))`)} / sum by (model) (rate(lemur_inference_requests_total[${W}]))`,
            legend: 'inference {{model}}',
          },
          {
            expr: `(sum(rate(lemur_gateway_http_requests_total{status=~"5.."}[${W}])) or vector(0)) / sum(rate(lemur_gateway_http_requests_total[${W}]))`,
            legend: 'gateway 5xx',
          },
        ],
      },
    ],
  },
  {
    title: 'Latency and throughput per model and replica',
    panels: [
      {
        title: 'Time to first token (p50, p95)',
        description: 'Streamed requests: from arrival (queueing and retries included) to the first token, by model and replica.',
        unit: 's',
        targets: [
          {
            expr: `histogram_quantile(0.5, sum by (le, model, replica) (rate(lemur_inference_time_to_first_token_seconds_bucket[${W}])))`,
            legend: 'p50 {{model}} {{replica}}',
          },
          {
            expr: `histogram_quantile(0.95, sum by (le, model, replica) (rate(lemur_inference_time_to_first_token_seconds_bucket[${W}])))`,
            legend: 'p95 {{model}} {{replica}}',
          },
        ],
      },
      {
        title: 'Completion tokens per second',
        description: 'Completion tokens returned per second by model and replica (`cache` = answered from the response cache).',
        unit: 'short',
        targets: [{ expr: `sum by (model, replica) (rate(lemur_inference_completion_tokens_total[${W}]))`, legend: '{{model}} {{replica}}' }],
      },
      {
        title: 'Request duration (p95)',
        description: 'End-to-end Generate time, queueing included, by model.',
        unit: 's',
        targets: [
          {
            expr: `histogram_quantile(0.95, sum by (le, model) (rate(lemur_inference_request_duration_seconds_bucket[${W}])))`,
            legend: '{{model}}',
          },
        ],
      },
    ],
  },
  {
    title: 'Queues, replicas and KV cache',
    panels: [
      {
        title: 'Queue depth',
        description: "Requests waiting for their team's capacity (by priority), and Generate calls in flight by model.",
        unit: 'short',
        targets: [
          { expr: 'sum by (priority) (lemur_inference_queued_requests)', legend: 'queued {{priority}}' },
          { expr: 'sum by (model) (lemur_inference_requests_in_flight)', legend: 'in flight {{model}}' },
        ],
      },
      {
        title: 'KV-cache use',
        description: "Each engine's KV-cache use (vLLM's gauge, scraped from the model replicas), by model and replica.",
        unit: 'percentunit',
        targets: [{ expr: 'max by (model_name, instance) (vllm:kv_cache_usage_perc)', legend: '{{model_name}} {{instance}}' }],
      },
      {
        title: 'Replicas in rotation and load',
        description: 'Replicas routing may use (not ejected) per model, and the load estimate routing sees per replica.',
        unit: 'short',
        targets: [
          { expr: 'sum by (model) (lemur_inference_replica_ready)', legend: 'ready {{model}}' },
          { expr: 'max by (model, replica) (lemur_inference_replica_load)', legend: 'load {{model}} {{replica}}' },
        ],
      },
      {
        title: 'Retries and ejections',
        description: 'Upstream attempts retried on another replica, and replicas ejected after consecutive failures, per second.',
        unit: 'short',
        targets: [
          { expr: perModelOrZero(`sum by (model) (rate(lemur_inference_retries_total[${W}]))`), legend: 'retries {{model}}' },
          { expr: perModelOrZero(`sum by (model) (rate(lemur_inference_replica_ejections_total[${W}]))`), legend: 'ejections {{model}}' },
        ],
      },
    ],
  },
  {
    title: 'Sandbox',
    panels: [
      {
        title: 'Sandbox runs by outcome',
        description: 'Sandboxed programs and cells per second by outcome: ok, error (non-zero exit), timeout, memory (OOM), other limits.',
        unit: 'ops',
        targets: [{ expr: `sum by (outcome) (rate(lemur_sandbox_runs_total[${W}]))`, legend: '{{outcome}}' }],
      },
      {
        title: 'Pool wait',
        description: 'Time programs waited for a free run slot (p95), and programs waiting now.',
        unit: 's',
        targets: [
          { expr: `histogram_quantile(0.95, sum by (le) (rate(lemur_sandbox_slot_wait_seconds_bucket[${W}])))`, legend: 'slot wait p95' },
          { expr: 'sum(lemur_sandbox_runs_waiting)', legend: 'waiting' },
        ],
      },
      {
        title: 'Sandbox run time (p95)',
        description: 'Wall time of sandboxed programs by language.',
        unit: 's',
        targets: [
          {
            expr: `histogram_quantile(0.95, sum by (le, language) (rate(lemur_sandbox_run_duration_seconds_bucket[${W}])))`,
            legend: '{{language}}',
          },
        ],
      },
    ],
  },
  {
    title: 'Evaluation workers',
    panels: [
      {
        title: 'Eval samples per second',
        description: 'Samples finished per second by benchmark and outcome (scored, errored, retried, skipped).',
        unit: 'ops',
        targets: [{ expr: `sum by (benchmark, outcome) (rate(lemur_eval_samples_total[${W}]))`, legend: '{{benchmark}} {{outcome}}' }],
      },
      {
        title: 'Eval backlog',
        description: 'Samples of queued and running runs still to do, by benchmark; and samples in flight on the workers.',
        unit: 'short',
        targets: [
          { expr: 'sum by (benchmark) (lemur_eval_backlog_samples)', legend: 'backlog {{benchmark}}' },
          { expr: 'sum(lemur_eval_samples_in_flight)', legend: 'in flight' },
        ],
      },
      {
        title: 'Worker lag',
        description:
          'How far the workers are behind: the backlog divided by the rate samples finish, i.e. seconds to drain at the current pace.',
        unit: 's',
        targets: [
          {
            expr: `sum(lemur_eval_backlog_samples) / clamp_min(sum(rate(lemur_eval_samples_total{outcome=~"scored|errored"}[${W}])), 0.001)`,
            legend: 'seconds to drain',
          },
        ],
      },
    ],
  },
];

/** The Platform dashboard: traffic, latency, queues, replicas, sandbox and eval workers, from Prometheus. */
export function platformDashboard(): Dashboard {
  const builder = new DashboardBuilder('Lemur / Platform')
    .uid('lemur-platform')
    .tags(['lemur', 'generated'])
    .description('Generated by libs/observability (scripts/build-dashboards.ts); do not edit the JSON by hand.')
    .editable()
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'));
  for (const row of ROWS) {
    builder.withRow(new RowBuilder(row.title));
    for (const spec of row.panels) {
      const panel = new TimeseriesPanelBuilder()
        .title(spec.title)
        .description(spec.description)
        .unit(spec.unit)
        .datasource(PROMETHEUS)
        .height(8)
        .span(24 / row.panels.length);
      spec.targets.forEach((t, i) =>
        panel.withTarget(
          new DataqueryBuilder()
            .datasource(PROMETHEUS)
            .refId(String.fromCharCode(65 + i))
            .expr(t.expr)
            .legendFormat(t.legend),
        ),
      );
      builder.withPanel(panel);
    }
  }
  return builder.build();
}
