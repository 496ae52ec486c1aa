import type { Registry } from 'prom-client';

/**
 * The request counter and latency histogram, kept in plain numbers: one Map lookup and a few
 * additions per answered request. prom-client's own Counter and Histogram hash their label object
 * on every inc/observe, children included (about 0.6 µs a request together, measured by
 * bench/metrics-overhead.ts); these are rendered through the same Registry, as ordinary counter
 * and histogram families, only when scraped.
 */
interface Series {
  readonly method: string;
  readonly status: string;
  readonly code: string;
  count: number;
  sum: number;
  /** Per bucket (not cumulative), the last one +Inf. */
  readonly buckets: Float64Array;
}

interface MetricValue {
  readonly value: number;
  readonly labels: Record<string, string | number>;
  readonly metricName?: string;
}

export interface RequestSeriesNames {
  readonly counter: { readonly name: string; readonly help: string };
  readonly histogram: { readonly name: string; readonly help: string; readonly buckets: readonly number[] };
}

export class RequestSeries {
  readonly #series = new Map<string, Series>();
  readonly #bounds: readonly number[];
  readonly #names: RequestSeriesNames;

  constructor(names: RequestSeriesNames) {
    this.#names = names;
    this.#bounds = [...names.histogram.buckets].sort((a, b) => a - b);
  }

  observe(method: string, status: number, code: string, seconds: number): void {
    const key = `${method} ${status} ${code}`;
    let s = this.#series.get(key);
    if (!s) {
      s = { method, status: String(status), code, count: 0, sum: 0, buckets: new Float64Array(this.#bounds.length + 1) };
      this.#series.set(key, s);
    }
    s.count++;
    s.sum += seconds;
    let i = 0;
    while (i < this.#bounds.length && seconds > this.#bounds[i]!) i++;
    s.buckets[i]!++;
  }

  /** Adds the two families to `registry`, in prom-client's metric shape (`get()` is read at scrape time). */
  register(registry: Registry): void {
    const { counter, histogram } = this.#names;
    const counterValues = (): MetricValue[] => [...this.#series.values()].map((s) => ({ value: s.count, labels: { method: s.method, status: s.status, code: s.code } }));
    const histogramValues = (): MetricValue[] => {
      // The histogram has no code label: series that differ only by code add up.
      const merged = new Map<string, { method: string; status: string; count: number; sum: number; buckets: Float64Array }>();
      for (const s of this.#series.values()) {
        const key = `${s.method} ${s.status}`;
        let m = merged.get(key);
        if (!m) merged.set(key, (m = { method: s.method, status: s.status, count: 0, sum: 0, buckets: new Float64Array(s.buckets.length) }));
        m.count += s.count;
        m.sum += s.sum;
        s.buckets.forEach((n, i) => (m.buckets[i]! += n));
      }
      const out: MetricValue[] = [];
      for (const m of merged.values()) {
        const labels = { method: m.method, status: m.status };
        let cumulative = 0;
        this.#bounds.forEach((le, i) => {
          cumulative += m.buckets[i]!;
          out.push({ metricName: `${histogram.name}_bucket`, value: cumulative, labels: { ...labels, le } });
        });
        out.push({ metricName: `${histogram.name}_bucket`, value: m.count, labels: { ...labels, le: '+Inf' } });
        out.push({ metricName: `${histogram.name}_sum`, value: m.sum, labels });
        out.push({ metricName: `${histogram.name}_count`, value: m.count, labels });
      }
      return out;
    };
    const metric = (name: string, help: string, type: 'counter' | 'histogram', values: () => MetricValue[]) => ({
      name,
      help,
      type,
      aggregator: 'sum',
      get: () => ({ name, help, type, aggregator: 'sum', values: values() }),
      reset: () => this.#series.clear(),
    });
    // The registry renders anything with this shape; its types name only prom-client's own classes.
    registry.registerMetric(metric(counter.name, counter.help, 'counter', counterValues) as unknown as Parameters<Registry['registerMetric']>[0]);
    registry.registerMetric(metric(histogram.name, histogram.help, 'histogram', histogramValues) as unknown as Parameters<Registry['registerMetric']>[0]);
  }
}
