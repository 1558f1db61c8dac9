/**
 * A bar chart as plain SVG (no chart library: two bar charts do not justify one). Every bar has a
 * <title> for hover, and the figure has a text alternative listing the values for screen readers.
 */
export function BarChart({ title, bars, format }: { title: string; bars: Array<{ label: string; value: number }>; format: (v: number) => string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const barH = 22;
  const gap = 6;
  const labelW = 120;
  const width = 420;
  const height = bars.length * (barH + gap);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label={`${title}: ${bars.map((b) => `${b.label} ${format(b.value)}`).join(', ')}`}>
        {bars.map((b, i) => {
          const y = i * (barH + gap);
          const w = Math.max(2, ((width - labelW - 70) * b.value) / max);
          return (
            <g key={b.label}>
              <title>{`${b.label}: ${format(b.value)}`}</title>
              <text x={0} y={y + barH * 0.7} class="chart-label">
                {b.label.length > 18 ? b.label.slice(0, 17) + '…' : b.label}
              </text>
              <rect x={labelW} y={y} width={w} height={barH} rx={3} class="chart-bar" />
              <text x={labelW + w + 6} y={y + barH * 0.7} class="chart-value">
                {format(b.value)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
