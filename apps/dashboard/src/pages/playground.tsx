import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBox, Loading, money, PageHeader, useAction, useLoad } from '../ui';

interface Model {
  id: string;
  name: string;
  default_duration: number;
  durations: number[];
  capabilities: { text_to_video: boolean };
}
interface Generation {
  id: string;
  status: 'pending' | 'processing' | 'completed' | 'failed';
  model: string | null;
  output_url: string | null;
  cost_cents: number | null;
  error_message: string | null;
}

const POLL_MS = 1500;

export function PlaygroundPage() {
  const models = useLoad(() => api<{ data: Model[] }>('/v1/models').then((r) => r.data.filter((m) => m.capabilities.text_to_video)), []);
  const [modelId, setModelId] = useState('');
  const [duration, setDuration] = useState<number>();
  const [prompt, setPrompt] = useState('');
  const [gen, setGen] = useState<Generation>();
  const create = useAction();
  const model = models.data?.find((m) => m.id === modelId) ?? models.data?.[0];

  // Poll the generation until it ends; the page stops polling when it unmounts (org switch, navigation).
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const [pollError, setPollError] = useState<unknown>();
  useEffect(() => () => clearTimeout(timer.current), []);
  const poll = (id: string) => {
    timer.current = setTimeout(async () => {
      try {
        const g = await api<Generation>(`/v1/video/generations/${encodeURIComponent(id)}`);
        setGen(g);
        setPollError(undefined);
        if (g.status === 'pending' || g.status === 'processing') poll(id);
      } catch (err) {
        setPollError(err);
        poll(id);
      }
    }, POLL_MS);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!model) return;
    clearTimeout(timer.current);
    setGen(undefined);
    const r = await create.run(() =>
      api<Generation>('/v1/video/generations', { method: 'POST', body: { model: model.id, prompt, duration: duration && model.durations.includes(duration) ? duration : model.default_duration } }),
    );
    if (r.ok) {
      setGen({ ...r.value, output_url: null, cost_cents: null, error_message: null });
      poll(r.value.id);
    }
  };

  return (
    <section>
      <PageHeader title="Playground" />
      <p class="lead">Make a video from a prompt. It is billed to this organization like any API call.</p>
      {models.error !== undefined && <ErrorBox error={models.error} onRetry={models.reload} />}
      {models.loading && !models.data && <Loading what="models" />}
      {models.data && (
        <form class="card form-grid" onSubmit={submit}>
          <label class="wide">
            Prompt
            <textarea name="prompt" required maxLength={4000} rows={3} value={prompt} onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)} placeholder="A cat walking on a beach at sunset" />
          </label>
          <label>
            Model
            <select name="model" value={model?.id} onChange={(e) => (setModelId((e.target as HTMLSelectElement).value), setDuration(undefined))}>
              {models.data.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name} ({m.id})
                </option>
              ))}
            </select>
          </label>
          <label>
            Duration
            <select name="duration" value={duration ?? model?.default_duration} onChange={(e) => setDuration(Number((e.target as HTMLSelectElement).value))}>
              {model?.durations.map((d) => (
                <option key={d} value={d}>
                  {d} seconds
                </option>
              ))}
            </select>
          </label>
          <div class="actions">
            <button type="submit" disabled={create.busy || !model || (gen && (gen.status === 'pending' || gen.status === 'processing'))}>
              {create.busy ? 'Starting…' : 'Generate video'}
            </button>
          </div>
          {create.error !== undefined && <ErrorBox error={create.error} />}
        </form>
      )}
      {gen && (
        <div class="card result" aria-live="polite" data-testid="generation">
          <p>
            <span class="mono">{gen.id}</span> — <span class={`badge ${gen.status}`} data-testid="generation-status">{gen.status}</span>
            {gen.cost_cents !== null && <> · cost {money(gen.cost_cents)}</>}
          </p>
          {(gen.status === 'pending' || gen.status === 'processing') && <Loading what="the video (this takes a moment)" />}
          {gen.status === 'failed' && <ErrorBox error={gen.error_message ?? 'The generation failed; nothing was charged.'} />}
          {gen.status === 'completed' && gen.output_url && <video src={gen.output_url} controls playsInline class="video" data-testid="video" aria-label={`Video for: ${prompt}`} />}
          {pollError !== undefined && <ErrorBox error={pollError} />}
        </div>
      )}
    </section>
  );
}
