// The Prometheus text exposition format (version 0.0.4): one `# HELP` and `# TYPE`
// line per family, then its samples. Pure; the families come from the services'
// collectors at scrape time.

import type { MetricFamily } from '../service.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * Renders families; two families of the same name (two collectors) are merged
 * under one HELP/TYPE, as the format allows a name only once.
 */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const byName = new Map<string, MetricFamily>();
  for (const f of families) {
    const have = byName.get(f.name);
    if (have) have.samples.push(...f.samples);
    else byName.set(f.name, { ...f, samples: [...f.samples] });
  }
  const out: string[] = [];
  for (const f of byName.values()) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = s.labels ? Object.entries(s.labels) : [];
      const l = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      out.push(`${f.name}${s.suffix ?? ''}${l} ${formatValue(s.value)}`);
    }
  }
  return out.join('\n') + '\n';
}
