// The process's own metrics: memory, CPU, event-loop lag and garbage collection, with
// the names Prometheus' client libraries use (process_*, nodejs_*), under triad_.

import { monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import type { MetricFamily } from '../service.js';

export class ProcessMetrics {
  private readonly lag: IntervalHistogram;
  private readonly gc = new Map<string, { count: number; seconds: number }>();
  private readonly observer: PerformanceObserver;
  private readonly started = Date.now() / 1000;

  constructor() {
    this.lag = monitorEventLoopDelay({ resolution: 20 });
    this.lag.enable();
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        // 'gc' entries carry their kind in `detail`, which the PerformanceEntry type lacks.
        const kind = gcKind((e as unknown as { detail?: { kind?: number } }).detail?.kind);
        const g = this.gc.get(kind) ?? { count: 0, seconds: 0 };
        g.count++;
        g.seconds += e.duration / 1000;
        this.gc.set(kind, g);
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.lag.disable();
    this.observer.disconnect();
  }

  collect(): MetricFamily[] {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    const gc = [...this.gc.entries()];
    return [
      { name: 'triad_process_resident_memory_bytes', help: 'Resident memory of the main process in bytes.', type: 'gauge', samples: [{ value: mem.rss }] },
      { name: 'triad_process_heap_used_bytes', help: 'V8 heap in use in the main process, in bytes.', type: 'gauge', samples: [{ value: mem.heapUsed }] },
      { name: 'triad_process_cpu_seconds_total', help: 'CPU time of the main process (user and system) in seconds.', type: 'counter', samples: [{ value: (cpu.user + cpu.system) / 1e6 }] },
      { name: 'triad_process_start_time_seconds', help: 'Start of the main process, in seconds since the epoch.', type: 'gauge', samples: [{ value: Math.floor(this.started) }] },
      { name: 'triad_nodejs_eventloop_lag_seconds', help: 'Mean event-loop delay of the main process since start.', type: 'gauge', samples: [{ value: nz(this.lag.mean) / 1e9 }] },
      { name: 'triad_nodejs_eventloop_lag_p99_seconds', help: '99th percentile of the event-loop delay of the main process since start.', type: 'gauge', samples: [{ value: nz(this.lag.percentile(99)) / 1e9 }] },
      { name: 'triad_nodejs_eventloop_lag_max_seconds', help: 'Longest event-loop delay of the main process since start.', type: 'gauge', samples: [{ value: nz(this.lag.max) / 1e9 }] },
      { name: 'triad_nodejs_gc_runs_total', help: 'Garbage collections of the main process, by kind.', type: 'counter', samples: gc.map(([kind, g]) => ({ labels: { kind }, value: g.count })) },
      { name: 'triad_nodejs_gc_duration_seconds_total', help: 'Time spent in garbage collection by the main process, by kind.', type: 'counter', samples: gc.map(([kind, g]) => ({ labels: { kind }, value: g.seconds })) },
    ];
  }
}

function nz(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

function gcKind(kind: number | undefined): string {
  switch (kind) {
    case 1: return 'minor';
    case 2: return 'major';
    case 4: return 'incremental';
    case 8: return 'weakcb';
    default: return 'other';
  }
}
