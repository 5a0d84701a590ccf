// The Prometheus text format: HELP/TYPE once per name, escaping, histograms.
import t from 'tap';
import { renderPrometheus } from '../../src/web/prometheus.js';
import { histogramSamples } from '../../src/service.js';

t.test('families render with HELP and TYPE, labels escaped, one header per name', async (t) => {
  const text = renderPrometheus([
    { name: 'x_total', help: 'A "thing"\nsecond line', type: 'counter', samples: [{ labels: { a: 'q"u\\o\nte' }, value: 3 }] },
    { name: 'x_total', help: 'ignored', type: 'counter', samples: [{ labels: { a: 'b' }, value: 1 }] },
    { name: 'g', help: 'gauge', type: 'gauge', samples: [{ value: NaN }, { labels: { k: 'v' }, value: Infinity }] },
  ]);
  t.equal(text, [
    '# HELP x_total A "thing"\\nsecond line',
    '# TYPE x_total counter',
    'x_total{a="q\\"u\\\\o\\nte"} 3',
    'x_total{a="b"} 1',
    '# HELP g gauge',
    '# TYPE g gauge',
    'g NaN',
    'g{k="v"} +Inf',
    '',
  ].join('\n'));
});

t.test('histogram buckets are cumulative and end with +Inf, _sum and _count', async (t) => {
  const s = histogramSamples([0.1, 1], [2, 3, 1], 4.5, 6, { server: 's' });
  t.same(s.map((x) => [x.suffix, x.labels?.le, x.value]), [['_bucket', '0.1', 2], ['_bucket', '1', 5], ['_bucket', '+Inf', 6], ['_sum', undefined, 4.5], ['_count', undefined, 6]]);
});
