/**
 * The one walk over a parsed case that bounds what later code may meet: nesting at most
 * {@link MAX_NESTING_DEPTH} levels (so no recursive code, ours or the platform's `JSON.stringify`, can run
 * out of stack on a case) and no non-finite number (`1e999` parses to `Infinity`, which JSON cannot carry).
 * The walk itself is iterative, so it is safe on any depth `JSON.parse` accepts.
 */
import { fieldPath, type FieldIssue, type PathPart } from './issues.js';

/**
 * How deeply lists and objects may nest in one case, counting the case object itself as level 1 (so
 * `{"inputs": {"q": [[1]]}}` is 4 levels deep). Deeper is a dataset error naming the field.
 */
export const MAX_NESTING_DEPTH = 64;

/** How many path steps a too-deep field is named by before it is cut (`expected.answer[0][0]...`). */
const SHOWN_STEPS = 4;

interface Frame {
  readonly value: unknown;
  readonly depth: number;
  readonly parent: Frame | null;
  readonly key: PathPart | null;
}

/**
 * Problems of a parsed case's values: a nesting deeper than {@link MAX_NESTING_DEPTH} (reported once, and
 * then the case is not walked further) and every non-finite number (by field).
 *
 * @returns `tooDeep: true` when the case must not be looked at further (any recursive check may overflow).
 */
export function inspectValues(root: unknown): { issues: FieldIssue[]; tooDeep: boolean } {
  const issues: FieldIssue[] = [];
  const stack: Frame[] = [{ value: root, depth: 0, parent: null, key: null }];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const { value, depth } = frame;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        issues.push({
          field: fieldPath(pathOf(frame)),
          message: `must be a finite number (got ${String(value)}: too large for JSON)`,
        });
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth + 1 > MAX_NESTING_DEPTH) {
      const path = pathOf(frame);
      const shown = fieldPath(path.slice(0, SHOWN_STEPS));
      return {
        tooDeep: true,
        issues: [
          {
            field: path.length > SHOWN_STEPS ? `${shown ?? ''}...` : shown,
            message: `nests lists and objects deeper than ${MAX_NESTING_DEPTH} levels (the limit for a case)`,
          },
        ],
      };
    }
    // Pushed in reverse so that issues come out in key order.
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i] as unknown, depth: depth + 1, parent: frame, key: i });
      }
    } else {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, parent: frame, key });
      }
    }
  }
  return { issues, tooDeep: false };
}

/**
 * True when {@link inspectValues} would find nothing: no number is non-finite and nothing nests too deep. A walk
 * that allocates nothing, for the common case; its recursion is bounded by {@link MAX_NESTING_DEPTH}.
 */
export function valuesAreClean(value: unknown, depth = 0): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return true;
  if (depth + 1 > MAX_NESTING_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!valuesAreClean(value[i], depth + 1)) return false;
    return true;
  }
  for (const key in value) {
    if (Object.hasOwn(value, key) && !valuesAreClean((value as Record<string, unknown>)[key], depth + 1))
      return false;
  }
  return true;
}

function pathOf(frame: Frame): PathPart[] {
  const parts: PathPart[] = [];
  for (let f: Frame | null = frame; f !== null; f = f.parent) if (f.key !== null) parts.push(f.key);
  return parts.reverse();
}
