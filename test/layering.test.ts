// The folder layering of src/: imports run downward only. Every import of every file
// under src/ (static, `export … from`, and dynamic `import()`) is checked against the
// rules below; a new upward import fails this test with the file and the line.
//
//   wire/, config/, net/,    the bottom: the shared vocabulary (DNS names, RR types, TTL
//   channels/, fs/, log.ts   text), the parsers, packet I/O, the channels services meet
//                            through (service health, VRRP roles) and the logger every
//                            layer writes to, files served to clients (fs/); they
//                            import only each other
//   service.ts, args.ts      the service contract and its helpers: import only the
//                            bottom and each other
//   dns/, dhcp/, lb/, …      one folder per service: its own folder, the bottom, the
//                            contract, and the control endpoint (control/server.ts);
//                            never another service's folder
//   control/                 the control endpoint and `triad ctl`: the bottom, the
//                            contract, the service list; no service folder
//   services.ts, check.ts,   the top: anything below
//   supervisor.ts, main.ts
//   main.ts, cli.ts          imported by nobody (cli.ts is the program; main.ts is
//                            `triad run`, loaded by cli.ts only, when it runs)
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './helpers/paths.js';
import { filesUnder } from './helpers/files.js';

const SRC = path.join(REPO_ROOT, 'src');

/** Known upward imports still to be removed (none now; each new one is a vocabulary move to make). */
const KNOWN_EXCEPTIONS: readonly string[] = [];

const BOTTOM = ['wire', 'config', 'net', 'channels', 'fs', 'log.ts'];
/** Every other folder of src/ but control/ is a service's (dns, dhcp, lb, vrrp, tftp, …). */
const SERVICE_FOLDERS = readdirSync(SRC, { withFileTypes: true })
  .filter((e) => e.isDirectory() && !BOTTOM.includes(e.name) && e.name !== 'control')
  .map((e) => e.name);
const CONTRACT = ['service.ts', 'args.ts'];
const NOBODY_IMPORTS = ['main.ts', 'cli.ts'];

/** First path segment under src/ ('dns', 'config', …) or the top-level file name. */
const topOf = (rel: string): string => rel.split('/')[0];

/** Why `from` (relative to src/) may not import `to`; undefined when it may. */
export function layeringProblem(from: string, to: string): string | undefined {
  const f = topOf(from);
  const g = topOf(to);
  // cli.ts is the program: it loads main.ts (the `run` command) when that command runs.
  if (NOBODY_IMPORTS.includes(to) && !(from === 'cli.ts' && to === 'main.ts')) return `nothing imports ${to}`;
  if (f === g && from.includes('/')) return undefined; // inside one folder
  if (BOTTOM.includes(f)) return BOTTOM.includes(g) ? undefined : `${f} is at the bottom: it imports only wire/, config/, net/, channels/, fs/ and log.ts`;
  if (CONTRACT.includes(from)) return BOTTOM.includes(g) || CONTRACT.includes(to) ? undefined : `${from} is the service contract: it imports only the bottom folders and ${CONTRACT.join(', ')}`;
  if (SERVICE_FOLDERS.includes(f)) {
    if (BOTTOM.includes(g) || CONTRACT.includes(to) || to === 'control/server.ts') return undefined;
    if (SERVICE_FOLDERS.includes(g)) return `a service never imports another service's folder (${g}/)`;
    return `a service imports only its own folder, wire/, config/, net/, channels/, fs/, log.ts, ${CONTRACT.join(', ')} and control/server.ts`;
  }
  if (f === 'control') {
    if (SERVICE_FOLDERS.includes(g)) return `control/ reaches services through their definitions (services.ts), not ${g}/`;
    return undefined;
  }
  return undefined; // the top-level orchestrators
}

const sourceFiles = (dir: string): string[] => filesUnder(dir, '.ts');

/** Every relative module a source imports (static, re-export, dynamic), with its line. */
export function importsOf(file: string, text: string): { spec: string; line: number }[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: { spec: string; line: number }[] = [];
  const add = (n: ts.Expression | undefined): void => {
    if (n && ts.isStringLiteral(n) && n.text.startsWith('.')) out.push({ spec: n.text, line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1 });
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) add(n.moduleSpecifier);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) add(n.arguments[0]);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** src-relative target of `spec` imported from src-relative `from` (`.js` → `.ts`). */
const resolve = (from: string, spec: string): string => path.posix.join(path.posix.dirname(from), spec).replace(/\.js$/, '.ts');

/** Every import of the given sources that breaks the layering, as `FILE:LINE: from -> to: why`. */
export function violations(files: ReadonlyMap<string, string>, exceptions: readonly string[]): { text: string; edge: string }[] {
  const out: { text: string; edge: string }[] = [];
  for (const [rel, text] of files) {
    for (const imp of importsOf(rel, text)) {
      const to = resolve(rel, imp.spec);
      const why = layeringProblem(rel, to);
      const edge = `${rel} -> ${to}`;
      if (why && !exceptions.includes(edge)) out.push({ text: `src/${rel}:${imp.line}: imports ${imp.spec}: ${why}`, edge });
    }
  }
  return out;
}

t.test('the checker catches upward imports and lets downward ones pass', async (t) => {
  const planted = new Map([
    ['net/frame.ts', "import { parseName } from '../dns/name.js';\nimport { x } from './ip.js';\n"],
    ['config/a.ts', "export { y } from '../service.js';\n"],
    ['dhcp/commands.ts', "import { runOptionsFrom } from '../main.js';\nimport type { ServiceDefinition } from '../service.js';\n"],
    ['lb/service.ts', "const m = await import('../dns/service.js');\nimport { registerControl } from '../control/server.js';\n"],
    ['control/ctl.ts', "import { SERVICES } from '../services.js';\nimport { x } from '../dhcp/lease.js';\n"],
    ['check.ts', "import { SERVICES } from './services.js';\nimport { main } from './cli.js';\n"],
    ['service.ts', "import { x } from './supervisor.js';\nimport type { Logger } from './log.js';\n"],
  ]);
  const found = violations(planted, []).map((v) => v.text);
  t.same(found, [
    "src/net/frame.ts:1: imports ../dns/name.js: net is at the bottom: it imports only wire/, config/, net/, channels/, fs/ and log.ts",
    "src/config/a.ts:1: imports ../service.js: config is at the bottom: it imports only wire/, config/, net/, channels/, fs/ and log.ts",
    'src/dhcp/commands.ts:1: imports ../main.js: nothing imports main.ts',
    "src/lb/service.ts:1: imports ../dns/service.js: a service never imports another service's folder (dns/)",
    'src/control/ctl.ts:2: imports ../dhcp/lease.js: control/ reaches services through their definitions (services.ts), not dhcp/',
    'src/check.ts:2: imports ./cli.js: nothing imports cli.ts',
    'src/service.ts:1: imports ./supervisor.js: service.ts is the service contract: it imports only the bottom folders and service.ts, args.ts',
  ]);
  t.same(violations(new Map([['net/frame.ts', "import { parseName } from '../dns/name.js';\n"]]), ['net/frame.ts -> dns/name.ts']), [], 'an allow-listed edge passes');
});

t.test('src/ imports run downward (except the listed vocabulary moves)', async (t) => {
  const files = new Map(sourceFiles(SRC).map((f) => [path.relative(SRC, f).split(path.sep).join('/'), readFileSync(f, 'utf8')]));
  t.ok(files.size > 50, `read ${files.size} files`);
  const found = violations(files, KNOWN_EXCEPTIONS);
  t.same(found.map((v) => v.text), [], 'no upward import');
  // An exception that no longer occurs is removed from the list, so it cannot come back unnoticed.
  const all = violations(files, []).map((v) => v.edge);
  for (const e of KNOWN_EXCEPTIONS) t.ok(all.includes(e), `allow-listed import still present (remove it from the list when it goes): ${e}`);
});
