#!/usr/bin/env node
// Writes the inputs and outputs tables of action/README.md from the repository root's action.yml, between the markers
// <!-- inputs:start --> / <!-- inputs:end --> and <!-- outputs:start --> / <!-- outputs:end -->.
//
//   node action/scripts/gen-docs.mjs            update the README in place
//   node action/scripts/gen-docs.mjs --check    exit 1 when the README is out of date (for CI)
//   node action/scripts/gen-docs.mjs --print    print the tables to stdout
//   --action FILE / --readme FILE                read or write other files (for tests)
//
// No YAML library: action.yml keeps a simple regular shape, and this reader refuses anything else, loudly.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ACTION_YML = fileURLToPath(new URL('../../action.yml', import.meta.url));
const README = fileURLToPath(new URL('../README.md', import.meta.url));

/**
 * Reads the `inputs:` and `outputs:` sections of action.yml: top-level keys at column 0, entries at 2 spaces,
 * their fields at 4 spaces, each `key: value` on one line with a plain, single- or double-quoted scalar.
 * @param {string} text
 * @returns {{ inputs: Array<{name: string, description: string, required: boolean, default: string | null}>,
 *   outputs: Array<{name: string, description: string}> }}
 */
export function readActionYml(text) {
  const sections = { inputs: [], outputs: [] };
  let section = null;
  let entry = null;
  text.split(/\r?\n/).forEach((line, i) => {
    const where = `action.yml:${i + 1}`;
    if (/^\s*(#.*)?$/.test(line)) return;
    const top = /^([\w-]+):\s*(.*)$/.exec(line);
    if (top) {
      section = top[1] === 'inputs' || top[1] === 'outputs' ? top[1] : null;
      entry = null;
      return;
    }
    if (section === null) return;
    const name = /^ {2}([\w-]+):\s*$/.exec(line);
    if (name) {
      entry = { name: name[1], description: '', required: false, default: null };
      sections[section].push(entry);
      return;
    }
    const field = /^ {4}([\w-]+):\s*(.*)$/.exec(line);
    if (!field || entry === null) throw new Error(`${where}: unexpected line in ${section}: ${line.trim()}`);
    const value = scalar(field[2], where);
    if (field[1] === 'description') entry.description = value;
    else if (field[1] === 'required') entry.required = value === 'true';
    else if (field[1] === 'default') entry.default = value;
    else if (field[1] !== 'deprecationMessage' && field[1] !== 'value') {
      throw new Error(`${where}: unknown field ${field[1]}`);
    }
  });
  for (const kind of ['inputs', 'outputs']) {
    for (const e of sections[kind]) {
      if (e.description === '') throw new Error(`action.yml: ${kind} ${e.name} has no description`);
    }
  }
  return {
    inputs: sections.inputs,
    outputs: sections.outputs.map(({ name, description }) => ({ name, description })),
  };
}

function scalar(raw, where) {
  const text = raw.trim();
  if (text.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(text)) throw new Error(`${where}: unterminated double-quoted string`);
    return text.slice(1, -1).replace(/\\(.)/g, (_, c) => ({ n: '\n', t: '\t' })[c] ?? c);
  }
  if (text.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(text)) throw new Error(`${where}: unterminated single-quoted string`);
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (/^[|>]/.test(text))
    throw new Error(`${where}: block scalars are not supported; use one double-quoted line`);
  return text.replace(/\s+#.*$/, '');
}

function cell(text) {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * A Markdown table laid out as Prettier lays it out (cells padded to the column's width, a dashed delimiter
 * row), so that `prettier --check` and `--check` here agree. Widths count code points: keep action.yml ASCII.
 * @param {string[]} header
 * @param {string[][]} rows
 */
function table(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(3, ...all.map((r) => [...r[c]].length)));
  const line = (cells) =>
    `| ${cells.map((cellText, c) => cellText + ' '.repeat(widths[c] - [...cellText].length)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** @param {ReturnType<typeof readActionYml>} action */
export function renderTables(action) {
  const inputs = table(
    ['Input', 'Description', 'Default', 'Required'],
    action.inputs.map((i) => [
      `\`${i.name}\``,
      cell(i.description),
      i.default === null ? '' : `\`${cell(i.default)}\``,
      i.required ? 'yes' : 'no',
    ]),
  );
  const outputs = table(
    ['Output', 'Description'],
    action.outputs.map((o) => [`\`${o.name}\``, cell(o.description)]),
  );
  return { inputs, outputs };
}

/** Replaces the text between `<!-- {name}:start -->` and `<!-- {name}:end -->`. */
export function replaceBetween(text, name, body) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`README.md: the markers ${start} and ${end} are missing`);
  return `${text.slice(0, from + start.length)}\n\n${body}\n\n${text.slice(to)}`;
}

function option(args, name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
}

function main(args) {
  const actionYml = option(args, '--action', ACTION_YML);
  const readme = option(args, '--readme', README);
  const tables = renderTables(readActionYml(readFileSync(actionYml, 'utf8')));
  if (args.includes('--print')) {
    process.stdout.write(`${tables.inputs}\n\n${tables.outputs}\n`);
    return 0;
  }
  const current = readFileSync(readme, 'utf8');
  const next = replaceBetween(replaceBetween(current, 'inputs', tables.inputs), 'outputs', tables.outputs);
  if (args.includes('--check')) {
    if (next !== current) {
      process.stderr.write(
        `${readme} is out of date with ${actionYml}: run \`node action/scripts/gen-docs.mjs\` and commit the result\n`,
      );
      return 1;
    }
    process.stdout.write(`${readme} is up to date\n`);
    return 0;
  }
  if (next !== current) writeFileSync(readme, next);
  process.stdout.write(next === current ? `${readme} was up to date\n` : `updated ${readme}\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`gen-docs: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}
