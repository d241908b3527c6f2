/**
 * Dataset loading (SPEC section 3): the public face of `dataset/`. One file per idea there: `open.ts` (one pass
 * over a file or standard input), `lines.ts` (bytes to strict UTF-8 lines, hashed), `jsonl.ts`, `json.ts`,
 * `csv.ts` (the formats), `parse-case.ts` (one case checked), `infer.ts` (typed inputs), `values.ts` (depth and
 * number bounds), `issues.ts` (how problems are worded and escaped), `id-index.ts` (duplicate ids, off-heap),
 * `file-cases.ts` (a JSONL file's kept cases, read again for the run), `kept.ts` (the kept cases of other sources).
 */
export { DATASET_EXTENSIONS, loadDataset, openDataset } from './dataset/open.js';
export type { Dataset, DatasetFormat, DatasetInfo, OpenDatasetOptions } from './dataset/open.js';
export { parseCase } from './dataset/parse-case.js';
export { CHAT_ROLES, inferInputs } from './dataset/infer.js';
export { MAX_LISTED_ISSUES } from './dataset/issues.js';
export { MAX_NESTING_DEPTH } from './dataset/values.js';
