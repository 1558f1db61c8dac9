import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { BarChart } from '../chart';
import { Empty, ErrorBox, Loading, money, PageHeader, useAction, useLoad, when } from '../ui';

interface UsageRow {
  id: string;
  api: 'video' | 'responses';
  model: string | null;
  provider: string | null;
  status: string;
  cost_cents: number;
  created_at: number;
  completed_at: number | null;
}
interface UsagePage {
  data: UsageRow[];
  has_more: boolean;
  next_cursor: string | null;
  totals: { per_day: Array<{ day: string; count: number; cost_cents: number }>; per_model: Array<{ model: string; count: number; cost_cents: number }> };
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

const STATUSES = ['completed', 'failed', 'cancelled', 'incomplete', 'in_progress'];

export function UsagePage() {
  // Every filter is the API's (GET /v1/usage from, to, model, api, status): rows, pages and charts
  // all follow it, however many rows the period holds.
  const [from, setFrom] = useState(isoDay(new Date(Date.now() - 29 * 86400_000)));
  const [to, setTo] = useState(isoDay(new Date()));
  const [model, setModel] = useState('');
  const [apiKind, setApiKind] = useState('');
  const [status, setStatus] = useState('');
  const [metric, setMetric] = useState<'cost' | 'count'>('cost');
  const filters = { from, to, ...(model ? { model } : {}), ...(apiKind ? { api: apiKind } : {}), ...(status ? { status } : {}) };
  // The filters a page belongs to: a "Load more" answer for other filters than today's is dropped.
  const filterKey = JSON.stringify(filters);
  const currentKey = useRef(filterKey);
  currentKey.current = filterKey;
  const query = (cursor?: string) => `/v1/usage?${new URLSearchParams({ ...filters, limit: '100', ...(cursor ? { cursor } : {}) })}`;
  const first = useLoad(() => api<UsagePage>(query()), [from, to, model, apiKind, status]);
  const [more, setMore] = useState<UsageRow[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const loadMore = useAction();
  // A filter changed: the next pages are those of the new answer.
  const refilter = <T,>(set: (v: T) => void) => (v: T) => (setMore([]), set(v));

  const page = first.data;
  const rows = useMemo(() => [...(page?.data ?? []), ...more], [page, more]);
  const nextCursor = more.length ? cursor : (page?.next_cursor ?? null);
  // The models of the period (the totals are per model), kept while one of them is chosen.
  // ("unknown" is the totals' name for rows without a model: not a model one can filter on.)
  const [seenModels, setSeenModels] = useState<string[]>([]);
  useEffect(() => {
    if (page) setSeenModels((seen) => [...new Set([...seen, ...page.totals.per_model.map((m) => m.model).filter((m) => m !== 'unknown')])].sort());
  }, [page]);
  // The chosen model stays choosable even in a period without it.
  const modelOptions = model && !seenModels.includes(model) ? [model, ...seenModels] : seenModels;
  const fmt = metric === 'cost' ? money : (v: number) => String(v);

  const onMore = async () => {
    if (!nextCursor || first.loading) return;
    const asked = filterKey;
    const r = await loadMore.run(() => api<UsagePage>(query(nextCursor)));
    if (r.ok && asked === currentKey.current) {
      setMore((m) => [...m, ...r.value.data]);
      setCursor(r.value.next_cursor);
    }
  };

  return (
    <section>
      <PageHeader title="Usage" />
      <form class="card filters" onSubmit={(e) => e.preventDefault()} aria-label="Usage filters">
        <label>
          From
          <input type="date" value={from} max={to} onChange={(e) => (setSeenModels([]), refilter(setFrom)((e.target as HTMLInputElement).value))} />
        </label>
        <label>
          To
          <input type="date" value={to} min={from} onChange={(e) => (setSeenModels([]), refilter(setTo)((e.target as HTMLInputElement).value))} />
        </label>
        <label>
          Model
          <select value={model} onChange={(e) => refilter(setModel)((e.target as HTMLSelectElement).value)}>
            <option value="">All models</option>
            {modelOptions.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label>
          API
          <select value={apiKind} onChange={(e) => refilter(setApiKind)((e.target as HTMLSelectElement).value)}>
            <option value="">All</option>
            <option value="video">Video generations</option>
            <option value="responses">Responses</option>
          </select>
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => refilter(setStatus)((e.target as HTMLSelectElement).value)}>
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Chart
          <select value={metric} onChange={(e) => setMetric((e.target as HTMLSelectElement).value as 'cost' | 'count')}>
            <option value="cost">Cost</option>
            <option value="count">Jobs</option>
          </select>
        </label>
      </form>
      {first.error !== undefined && <ErrorBox error={first.error} onRetry={first.reload} />}
      {first.loading && !page && <Loading what="usage" />}
      {page && page.totals.per_day.length === 0 && rows.length === 0 && (
        <Empty title={model || apiKind || status ? 'No usage matches these filters' : 'No usage in this period'}>Make a video in the Playground, or widen the dates or the filters.</Empty>
      )}
      {page && (page.totals.per_day.length > 0 || rows.length > 0) && (
        <>
          <div class="charts">
            <BarChart title={`${metric === 'cost' ? 'Cost' : 'Jobs'} per day`} bars={page.totals.per_day.map((d) => ({ label: d.day, value: metric === 'cost' ? d.cost_cents : d.count }))} format={fmt} />
            <BarChart title={`${metric === 'cost' ? 'Cost' : 'Jobs'} per model`} bars={page.totals.per_model.map((d) => ({ label: d.model, value: metric === 'cost' ? d.cost_cents : d.count }))} format={fmt} />
          </div>
          <div class="table-wrap">
            <table data-testid="usage-table">
              <caption class="visually-hidden">Usage, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Job</th>
                  <th scope="col">Model</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Status</th>
                  <th scope="col">Cost</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id}>
                    <td data-label="When">{when(r.created_at)}</td>
                    <td data-label="Job" class="mono">
                      {r.id}
                    </td>
                    <td data-label="Model">{r.model ?? '—'}</td>
                    <td data-label="Provider">{r.provider ?? '—'}</td>
                    <td data-label="Status">{r.status}</td>
                    <td data-label="Cost">{money(r.cost_cents)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {rows.length === 0 && <Empty title="No rows match these filters" />}
          {nextCursor && !first.loading && (
            <button type="button" class="secondary" onClick={onMore} disabled={loadMore.busy}>
              {loadMore.busy ? 'Loading…' : 'Load more'}
            </button>
          )}
          {loadMore.error !== undefined && <ErrorBox error={loadMore.error} />}
        </>
      )}
    </section>
  );
}
