/**
 * Calls one export of a built `dist/internal` module in a Node.js process of its own (a V8 flag it sets holds for the
 * rest of that process, so a test must not set it in the test runner's), from the build the CLI, the action and the
 * bench run. Returns what the child wrote: the call's result on stdout, V8's complaints (an unknown flag) on stderr.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function callInFreshProcess(
  moduleName: string,
  exportName: string,
  argument: unknown,
): { readonly stdout: string; readonly stderr: string } {
  const module = fileURLToPath(new URL(`../../dist/internal/${moduleName}.js`, import.meta.url));
  const child = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { ${exportName} } = await import(${JSON.stringify(module)});
       process.stdout.write(String(${exportName}(${JSON.stringify(argument)})));`,
    ],
    { encoding: 'utf8' },
  );
  return { stdout: child.stdout, stderr: child.stderr };
}
