// A hand-written SVG of the bench results (no charting dependency): four panels of horizontal bars, one bar per
// client, the SPEC 9 target drawn as a dashed line where there is one.
const COLORS = {
  'vellum-batch': '#6b46c1',
  'vellum-batch-hybrid': '#9f7aea',
  'peer-a-seed-loop': '#a0aec0',
  'peer-b-p-limit': '#4a5568',
};
const PANELS = [
  {
    scenario: 'queue-bound',
    key: 'wallOverServer',
    title: "queue-bound: run duration / the server's span (lower is better)",
    target: 1.02,
  },
  {
    scenario: 'queue-bound',
    key: 'statusPerExec',
    title: 'queue-bound: status requests per execution (lower is better)',
    target: 1.5,
  },
  {
    scenario: 'long',
    key: 'statusPerExec',
    title: 'long: status requests per execution (lower is better)',
    target: 1.5,
  },
  {
    scenario: 'long',
    key: 'detectP50Ms',
    title: 'long: detection delay p50, ms (lower is better)',
    target: 2000,
  },
  { scenario: 'throughput', key: 'casesPerS', title: 'throughput: cases per second (higher is better)' },
  { scenario: 'scale', key: 'peakRssMb', title: 'scale: client peak RSS, MB (lower is better)', target: 150 },
];

const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Renders the report of run.mjs as an SVG document. */
export function renderSvg(report) {
  const width = 900;
  const panelHeight = 160;
  const left = 190;
  const barArea = width - left - 110;
  let y = 50;
  const parts = [
    `<text x="20" y="30" font-size="18" font-weight="bold">vellum-batch bench (${escape(report.date.slice(0, 10))}, Node ${escape(report.node)}${report.quick ? ', quick' : ''})</text>`,
  ];
  for (const panel of PANELS) {
    const rows = report.rows.filter((r) => r.scenario === panel.scenario && typeof r[panel.key] === 'number');
    if (rows.length === 0) continue;
    const max = Math.max(...rows.map((r) => r[panel.key]), panel.target ?? 0) * 1.1;
    parts.push(`<text x="20" y="${y + 16}" font-size="14" font-weight="bold">${escape(panel.title)}</text>`);
    rows.forEach((row, i) => {
      const barY = y + 28 + i * 34;
      const w = Math.max(1, (row[panel.key] / max) * barArea);
      const mixed = rows.some((r) => r.cases !== row.cases);
      const label = `${row.client}${mixed ? ` (${row.cases.toLocaleString('en-US')})` : ''}`;
      parts.push(`<text x="20" y="${barY + 17}" font-size="12">${escape(label)}</text>`);
      parts.push(
        `<rect x="${left}" y="${barY}" width="${w.toFixed(1)}" height="24" fill="${COLORS[row.client] ?? '#718096'}"/>`,
      );
      const value = row[panel.key] >= 100 ? row[panel.key].toFixed(0) : row[panel.key].toFixed(2);
      parts.push(
        `<text x="${left + w + 6}" y="${barY + 17}" font-size="12">${escape(value)}${row.capped ? ' (capped)' : ''}</text>`,
      );
    });
    if (panel.target !== undefined) {
      const x = left + (panel.target / max) * barArea;
      const bottom = y + 28 + rows.length * 34;
      parts.push(
        `<line x1="${x.toFixed(1)}" y1="${y + 24}" x2="${x.toFixed(1)}" y2="${bottom}" stroke="#e53e3e" stroke-dasharray="4 3"/>`,
      );
      parts.push(
        `<text x="${(x + 4).toFixed(1)}" y="${bottom + 12}" font-size="11" fill="#e53e3e">target ${panel.target}</text>`,
      );
    }
    y += Math.max(panelHeight, 50 + rows.length * 34);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="Helvetica, Arial, sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}
