// The routes every statistics channel serves itself. Services add theirs through
// MetricsRegistry.route (BIND's /json/v1 and /xml/v3 come from the DNS service; `/`
// stays BIND's XML, which bind_exporter may read, so the dashboard is /dashboard).

import type { MetricFamily, StatisticsReply } from '../service.js';
import { DASHBOARD_CONTENT_TYPE, dashboardPage } from './dashboard-page.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.js';
import type { RateHistory } from './rate-history.js';

export type Route = () => Promise<StatisticsReply>;

export function builtinRoutes(src: { families(): Promise<MetricFamily[]> }, history: () => ReturnType<RateHistory['snapshot']>): Record<string, Route> {
  const page = dashboardPage();
  return {
    '/metrics': async () => ({ contentType: PROMETHEUS_CONTENT_TYPE, body: renderPrometheus(await src.families()) }),
    '/dashboard': async () => ({ contentType: DASHBOARD_CONTENT_TYPE, body: page }),
    '/json/triad/dns/history': async () => ({ contentType: 'application/json; charset=utf-8', body: JSON.stringify(history()) }),
  };
}
