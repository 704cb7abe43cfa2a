/**
 * Inline SVG charts for the HTML report: step lines (allocations change in steps, and drawing them as
 * slopes would show capacity that never existed), stacked weight areas, decision markers and shaded
 * windows. No scripts, no fonts, no CDN: the report must render offline and from a file:// URL.
 */

export interface StepSeries {
  name: string;
  /** CSS colour. */
  color: string;
  points: ReadonlyArray<{ t: number; v: number | undefined }>;
  style?: 'line' | 'dashed' | 'dotted' | 'area';
}

export interface ChartMarker {
  t: number;
  label: string;
  kind: 'up' | 'down' | 'routing' | 'other' | 'failed';
}

export interface ChartBand {
  from: number;
  to: number;
  label: string;
}

export interface ChartFrame {
  start: number;
  end: number;
  width?: number;
  height?: number;
}

const MARGIN = { top: 28, right: 16, bottom: 30, left: 48 };

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function niceStep(range: number, targetTicks: number): number {
  const raw = range / Math.max(targetTicks, 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw || 1));
  for (const factor of [1, 2, 2.5, 5, 10]) if (factor * magnitude >= raw) return factor * magnitude;
  return 10 * magnitude;
}

function timeStep(span: number): number {
  const candidates = [300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  return candidates.find((c) => span / c <= 10) ?? 86400;
}

export function clockLabel(t: number): string {
  return new Date(t * 1000).toISOString().slice(11, 16);
}

interface Scale {
  x: (t: number) => number;
  y: (v: number) => number;
  width: number;
  height: number;
  plotRight: number;
  plotBottom: number;
}

function scale(frame: ChartFrame, yMax: number): Scale {
  const width = frame.width ?? 960;
  const height = frame.height ?? 280;
  const plotRight = width - MARGIN.right;
  const plotBottom = height - MARGIN.bottom;
  const span = Math.max(frame.end - frame.start, 1);
  return {
    x: (t) =>
      MARGIN.left + ((Math.min(Math.max(t, frame.start), frame.end) - frame.start) / span) * (plotRight - MARGIN.left),
    y: (v) => plotBottom - (v / yMax) * (plotBottom - MARGIN.top),
    width,
    height,
    plotRight,
    plotBottom,
  };
}

function axes(frame: ChartFrame, s: Scale, yMax: number, yStep: number, yLabel: string): string {
  const parts: string[] = [];
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    const y = s.y(v).toFixed(1);
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${s.plotRight}" y1="${y}" y2="${y}"/>`);
    parts.push(
      `<text class="tick" x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${Number(v.toFixed(2))}</text>`,
    );
  }
  const step = timeStep(frame.end - frame.start);
  for (let t = Math.ceil(frame.start / step) * step; t <= frame.end; t += step) {
    const x = s.x(t).toFixed(1);
    parts.push(`<line class="grid" x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${s.plotBottom}"/>`);
    parts.push(`<text class="tick" x="${x}" y="${s.plotBottom + 16}" text-anchor="middle">${clockLabel(t)}</text>`);
  }
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${s.plotRight}" y1="${s.plotBottom}" y2="${s.plotBottom}"/>`);
  parts.push(`<text class="axis-label" x="${MARGIN.left}" y="${MARGIN.top - 12}">${escapeHtml(yLabel)}</text>`);
  return parts.join('');
}

function stepPath(points: ReadonlyArray<{ t: number; v: number | undefined }>, s: Scale, end: number): string {
  let d = '';
  let open = false;
  points.forEach((p, i) => {
    const next = points[i + 1]?.t ?? end;
    if (p.v === undefined) {
      open = false;
      return;
    }
    const y = s.y(p.v).toFixed(1);
    d += open ? `V${y}` : `M${s.x(p.t).toFixed(1)},${y}`;
    d += `H${s.x(next).toFixed(1)}`;
    open = true;
  });
  return d;
}

function bandsSvg(bands: readonly ChartBand[], s: Scale): string {
  return bands
    .map((b, i) => {
      const x1 = s.x(b.from);
      const x2 = s.x(b.to);
      // Bands may overlap (a budget cap inside a sale): each label gets its own line.
      const labelY = MARGIN.top + 12 + 13 * i;
      return `<g class="band"><rect x="${x1.toFixed(1)}" y="${MARGIN.top}" width="${Math.max(x2 - x1, 1).toFixed(1)}" height="${(s.plotBottom - MARGIN.top).toFixed(1)}"><title>${escapeHtml(b.label)}</title></rect><text x="${(x1 + 4).toFixed(1)}" y="${labelY}">${escapeHtml(b.label)}</text></g>`;
    })
    .join('');
}

function markersSvg(markers: readonly ChartMarker[], s: Scale): string {
  return markers
    .map((m) => {
      const x = s.x(m.t).toFixed(1);
      const top = MARGIN.top;
      const shape = m.kind === 'down' ? `M${x},${top + 7} l-4,-7 h8 z` : `M${x},${top} l-4,7 h8 z`;
      return `<g class="marker marker-${m.kind}"><title>${escapeHtml(`${clockLabel(m.t)} ${m.label}`)}</title><line x1="${x}" x2="${x}" y1="${top + 7}" y2="${s.plotBottom}"/><path d="${shape}"/></g>`;
    })
    .join('');
}

function legend(items: ReadonlyArray<{ name: string; color: string; style?: StepSeries['style'] }>, s: Scale): string {
  let x = s.plotRight;
  const parts: string[] = [];
  for (const item of [...items].reverse()) {
    const width = item.name.length * 6.4 + 26;
    x -= width;
    const dash =
      item.style === 'dashed' ? ' stroke-dasharray="6 4"' : item.style === 'dotted' ? ' stroke-dasharray="2 3"' : '';
    const swatch =
      item.style === 'area'
        ? `<rect x="${x.toFixed(1)}" y="${MARGIN.top - 19}" width="16" height="9" fill="${item.color}" fill-opacity="0.35"/>`
        : `<line x1="${x.toFixed(1)}" x2="${(x + 16).toFixed(1)}" y1="${MARGIN.top - 14}" y2="${MARGIN.top - 14}" stroke="${item.color}" stroke-width="2.5"${dash}/>`;
    parts.push(
      `${swatch}<text class="legend" x="${(x + 20).toFixed(1)}" y="${MARGIN.top - 10}">${escapeHtml(item.name)}</text>`,
    );
  }
  return parts.join('');
}

export function stepChart(options: {
  id: string;
  title: string;
  yLabel: string;
  frame: ChartFrame;
  series: readonly StepSeries[];
  markers?: readonly ChartMarker[];
  bands?: readonly ChartBand[];
}): string {
  const { frame } = options;
  const max = Math.max(1, ...options.series.flatMap((sr) => sr.points.map((p) => p.v ?? 0)));
  const yStep = niceStep(max * 1.1, 5);
  const yMax = Math.ceil((max * 1.1) / yStep) * yStep;
  const s = scale(frame, yMax);
  const body = options.series
    .map((sr) => {
      const d = stepPath(sr.points, s, frame.end);
      if (!d) return '';
      if (sr.style === 'area') {
        const first = sr.points.find((p) => p.v !== undefined)!;
        const area = `${d}V${s.plotBottom.toFixed(1)}H${s.x(first.t).toFixed(1)}Z`;
        return `<path class="series" data-series="${escapeHtml(sr.name)}" d="${area}" fill="${sr.color}" fill-opacity="0.25" stroke="${sr.color}" stroke-opacity="0.6" stroke-width="1"/>`;
      }
      const dash =
        sr.style === 'dashed' ? ' stroke-dasharray="6 4"' : sr.style === 'dotted' ? ' stroke-dasharray="2 3"' : '';
      return `<path class="series" data-series="${escapeHtml(sr.name)}" d="${d}" fill="none" stroke="${sr.color}" stroke-width="2"${dash}/>`;
    })
    .join('');
  return (
    `<svg class="chart" data-chart="${escapeHtml(options.id)}" viewBox="0 0 ${s.width} ${s.height}" role="img" aria-label="${escapeHtml(options.title)}">` +
    `<title>${escapeHtml(options.title)}</title>` +
    bandsSvg(options.bands ?? [], s) +
    axes(frame, s, yMax, yStep, options.yLabel) +
    body +
    markersSvg(options.markers ?? [], s) +
    legend(options.series, s) +
    `</svg>`
  );
}

/** Stacked weights (share of traffic per endpoint) as step areas. */
export function weightsChart(options: {
  id: string;
  title: string;
  frame: ChartFrame;
  points: ReadonlyArray<{ t: number; weights: Record<string, number> }>;
  colors: readonly string[];
  markers?: readonly ChartMarker[];
}): string {
  const { frame, points } = options;
  const endpoints = [...new Set(points.flatMap((p) => Object.keys(p.weights)))];
  const totals = points.map((p) => Object.values(p.weights).reduce((a, b) => a + b, 0) || 1);
  const s = scale(frame, 100);
  const layers: string[] = [];
  const lower = points.map(() => 0);
  endpoints.forEach((endpoint, k) => {
    const upper = points.map((p, i) => lower[i]! + ((p.weights[endpoint] ?? 0) / totals[i]!) * 100);
    let top = '';
    let bottom = '';
    points.forEach((p, i) => {
      const x1 = s.x(p.t).toFixed(1);
      const x2 = s.x(points[i + 1]?.t ?? frame.end).toFixed(1);
      top += `${i === 0 ? 'M' : 'L'}${x1},${s.y(upper[i]!).toFixed(1)}L${x2},${s.y(upper[i]!).toFixed(1)}`;
      bottom = `L${x2},${s.y(lower[i]!).toFixed(1)}L${x1},${s.y(lower[i]!).toFixed(1)}${bottom}`;
    });
    const color = options.colors[k % options.colors.length]!;
    layers.push(
      `<path class="series" data-series="${escapeHtml(endpoint)}" d="${top}${bottom}Z" fill="${color}" fill-opacity="0.55" stroke="${color}" stroke-width="1"/>`,
    );
    upper.forEach((u, i) => {
      lower[i] = u;
    });
  });
  return (
    `<svg class="chart" data-chart="${escapeHtml(options.id)}" viewBox="0 0 ${s.width} ${s.height}" role="img" aria-label="${escapeHtml(options.title)}">` +
    `<title>${escapeHtml(options.title)}</title>` +
    axes(frame, s, 100, 25, 'share of traffic %') +
    layers.join('') +
    markersSvg(options.markers ?? [], s) +
    legend(
      endpoints.map((name, k) => ({ name, color: options.colors[k % options.colors.length]!, style: 'area' as const })),
      s,
    ) +
    `</svg>`
  );
}
