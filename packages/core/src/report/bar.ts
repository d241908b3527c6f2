/**
 * The outcome bar of `report.md`: a row of coloured squares whose colours are fixed per outcome.
 *
 * It replaces a Mermaid pie. A pie cannot promise its colours on GitHub: Mermaid hands out its palette
 * (`pie1`, `pie2`, ...) to the slices in drawing order, which recent versions sort by value, so the same
 * outcome changes colour from run to run (a 100%-failure run was drawn in the colour that means passed
 * elsewhere), and GitHub picks the Mermaid version and theme. Emoji squares render in their own colour
 * everywhere (job summary, PR comment, e-mail, a terminal), whatever the theme.
 */
import { formatRate } from '../gate.js';
import type { Summary } from '../types.js';

/** The four outcomes of the bar, in order. */
export const OUTCOMES = ['passed', 'failed', 'rejected', 'errored'] as const;
/** One of {@link OUTCOMES}. */
export type Outcome = (typeof OUTCOMES)[number];

/**
 * The square of each outcome: passed green, failed expectations amber, rejected and errored
 * (`SUBMIT_FAILED`, `TIMED_OUT`, `CANCELLED`) red.
 */
export const OUTCOME_SQUARES: Readonly<Record<Outcome, string>> = {
  passed: '🟩',
  failed: '🟧',
  rejected: '🟥',
  errored: '🟥',
};

const LABELS: Readonly<Record<Outcome, string>> = {
  passed: 'passed',
  failed: 'failed expectations',
  rejected: 'rejected',
  errored: 'errored',
};

/** Default width of the bar, in squares. */
export const DEFAULT_BAR_WIDTH = 20;

/** How many cases ended in each outcome. */
export function outcomeCounts(summary: Summary): Record<Outcome, number> {
  return {
    passed: summary.passed,
    failed: Math.max(0, summary.fulfilled - summary.passed),
    rejected: summary.rejected,
    errored: summary.errored,
  };
}

/**
 * Splits `width` squares among the outcomes in proportion to their counts (largest remainder), with at least
 * one square for every outcome that occurred: one failure in 10,000 still shows, and a bar is all green only
 * when every case passed. Outcomes with no case get none.
 *
 * @param width - Squares in the bar (at least 4, so that every outcome can have one). @default 20
 */
export function barCells(
  counts: Readonly<Record<Outcome, number>>,
  width = DEFAULT_BAR_WIDTH,
): Record<Outcome, number> {
  const size = Math.max(OUTCOMES.length, Math.floor(width));
  const total = OUTCOMES.reduce((sum, o) => sum + Math.max(0, counts[o]), 0);
  const cells: Record<Outcome, number> = { passed: 0, failed: 0, rejected: 0, errored: 0 };
  if (total === 0) return cells;
  const ideal = (o: Outcome): number => (Math.max(0, counts[o]) / total) * size;
  for (const o of OUTCOMES) cells[o] = counts[o] > 0 ? Math.max(1, Math.floor(ideal(o))) : 0;
  let used = OUTCOMES.reduce((sum, o) => sum + cells[o], 0);
  while (used > size) {
    // Only reachable through the minimum of one: take from the outcome furthest above its share.
    const o = pick((x) => (cells[x] > 1 ? cells[x] - ideal(x) : -Infinity));
    cells[o] -= 1;
    used -= 1;
  }
  while (used < size) {
    const o = pick((x) => (counts[x] > 0 ? ideal(x) - cells[x] : -Infinity));
    cells[o] += 1;
    used += 1;
  }
  return cells;
}

/** The outcome with the highest score; the earlier one on a tie. */
function pick(score: (o: Outcome) => number): Outcome {
  let best: Outcome = OUTCOMES[0];
  for (const o of OUTCOMES) if (score(o) > score(best)) best = o;
  return best;
}

/**
 * The bar and its legend, as Markdown lines: `**Outcomes** 🟩🟩…🟧🟥` then `🟩 passed 35 (87.5%) · ...` for
 * each outcome that occurred. No lines for an empty run.
 */
export function outcomeBar(summary: Summary, width = DEFAULT_BAR_WIDTH): string[] {
  const counts = outcomeCounts(summary);
  const cells = barCells(counts, width);
  const total = OUTCOMES.reduce((sum, o) => sum + counts[o], 0);
  if (total === 0) return [];
  const bar = OUTCOMES.map((o) => OUTCOME_SQUARES[o].repeat(cells[o])).join('');
  const legend = OUTCOMES.filter((o) => counts[o] > 0).map(
    (o) => `${OUTCOME_SQUARES[o]} ${LABELS[o]} ${counts[o]} (${share(counts[o], total)})`,
  );
  return [`**Outcomes** ${bar}`, '', legend.join(' · '), ''];
}

/** `part / total` as a percentage that never reads 100% short of all (nor 0% above none). */
function share(part: number, total: number): string {
  const text = formatRate(part / total);
  if (part < total && text === '100%') return '>99.99%';
  return text;
}
