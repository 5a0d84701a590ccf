// The routes every statistics channel serves itself. Services add theirs through
// MetricsRegistry.route (BIND's /json/v1 and /xml/v3 come from the DNS service).

import type { MetricFamily, StatisticsReply } from '../service.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.js';

export type Route = () => Promise<StatisticsReply>;

export function builtinRoutes(src: { families(): Promise<MetricFamily[]> }): Record<string, Route> {
  return {
    '/metrics': async () => ({ contentType: PROMETHEUS_CONTENT_TYPE, body: renderPrometheus(await src.families()) }),
  };
}
