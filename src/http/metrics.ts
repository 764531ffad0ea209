// Prometheus metrics of one app instance (own registry, so tests and instances do not mix).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  httpRequests: Counter<'method' | 'route' | 'status_code'>;
  authFailures: Counter<'reason'>;
  rateLimited: Counter<'limit'>;
  webhooksReceived: Counter<'provider' | 'duplicate'>;
  webhooksRejected: Counter<'provider' | 'reason'>;
  deliveriesProcessed: Counter<'provider' | 'status'>;
  outboxCalls: Counter<'forge' | 'kind' | 'outcome'>;
}

/** What the gauges read at each scrape. */
export interface MetricsSources {
  countStories(): Promise<number>;
  /** The storyflow_inbox_backlog gauge. */
  countBacklog(): Promise<number>;
}

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'storyflow_' });
  const httpDuration = new Histogram({
    name: 'storyflow_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: 'storyflow_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'storyflow_stories',
    help: 'Stories stored',
    registers: [registry],
    async collect() {
      this.set(await sources.countStories());
    },
  });
  const authFailures = new Counter({
    name: 'storyflow_auth_failures_total',
    help: 'Refused credentials by reason (missing, unknown-token, token-expired, missing-scope, …)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'storyflow_rate_limited_total',
    help: 'Requests refused with 429 by which limit (token, address, auth-failures)',
    labelNames: ['limit'] as const,
    registers: [registry],
  });
  const webhooksReceived = new Counter({
    name: 'storyflow_webhooks_received_total',
    help: 'Webhook deliveries stored (duplicate="true": a redelivery of one stored before)',
    labelNames: ['provider', 'duplicate'] as const,
    registers: [registry],
  });
  const webhooksRejected = new Counter({
    name: 'storyflow_webhooks_rejected_total',
    help: 'Webhook requests refused before storage, by reason (bad-signature, malformed, …)',
    labelNames: ['provider', 'reason'] as const,
    registers: [registry],
  });
  const deliveriesProcessed = new Counter({
    name: 'storyflow_deliveries_processed_total',
    help: 'Delivery processing outcomes by provider and status (processed, ignored, failed, dead)',
    labelNames: ['provider', 'status'] as const,
    registers: [registry],
  });
  const outboxCalls = new Counter({
    name: 'storyflow_outbox_calls_total',
    help: 'Calls made to forges from the outbox, by forge, kind (comment, status, check) and outcome (sent, retried, dead)',
    labelNames: ['forge', 'kind', 'outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'storyflow_inbox_backlog',
    help: 'Deliveries waiting to be processed (pending, failed, processing)',
    registers: [registry],
    async collect() {
      this.set(await sources.countBacklog());
    },
  });
  return {
    registry,
    httpDuration,
    httpRequests,
    authFailures,
    rateLimited,
    webhooksReceived,
    webhooksRejected,
    deliveriesProcessed,
    outboxCalls,
  };
}
