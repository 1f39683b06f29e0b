// The house rules, as code that reads the sources: what each part may import, where the
// environment may be read, and that no error is swallowed without a word. rules.test.ts runs
// them on the tree and on planted violations (so a rule that can no longer fail is noticed).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

export interface SourceFile {
  /** Repository-relative, with forward slashes: "src/main/config.ts". */
  path: string;
  text: string;
}

export interface Violation {
  rule: string;
  path: string;
  line: number;
  message: string;
}

/** Every .ts, .mts, .mjs and .svelte file under `dir`, repository-relative. */
export function readSources(root: string, dir = 'src'): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|mts|mjs|svelte)$/.test(name)) out.push({ path: relative(root, p).split(sep).join('/'), text: readFileSync(p, 'utf8') });
    }
  };
  walk(join(root, dir));
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * The code of a file with comments blanked (same length, newlines kept, so offsets and line
 * numbers still match), string contents kept; `masked` also blanks string contents (quotes
 * kept) so keywords inside strings are not mistaken for code. Svelte files: only their
 * <script> blocks.
 */
export function codeOf(file: SourceFile): { code: string; masked: string; comments: boolean[] } {
  let text = file.text;
  if (file.path.endsWith('.svelte')) {
    // Keep script contents in place; blank the markup and styles.
    const keep = new Array<boolean>(text.length).fill(false);
    for (const m of text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
      const start = m.index! + m[0].indexOf('>') + 1;
      for (let i = start; i < start + m[1].length; i++) keep[i] = true;
    }
    text = [...text].map((ch, i) => (keep[i] || ch === '\n' ? ch : ' ')).join('');
  }
  const out = text.split('');
  const masked = text.split('');
  const comments = new Array<boolean>(text.length).fill(false);
  type State = 'code' | 'line' | 'block' | "'" | '"' | '`';
  let state: State = 'code';
  const templateDepth: number[] = [];
  let braceDepth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const next = text[i + 1];
    if (state === 'code') {
      if (ch === '/' && next === '/') state = 'line';
      else if (ch === '/' && next === '*') state = 'block';
      else if (ch === "'" || ch === '"' || ch === '`') state = ch;
      else if (ch === '{') braceDepth++;
      else if (ch === '}') {
        if (templateDepth.length && templateDepth[templateDepth.length - 1] === braceDepth) {
          templateDepth.pop();
          state = '`';
          continue;
        }
        braceDepth--;
      }
      if (state === 'line' || state === 'block') {
        comments[i] = true;
        out[i] = masked[i] = ' ';
      }
      continue;
    }
    if (state === 'line') {
      if (ch === '\n') state = 'code';
      else {
        comments[i] = true;
        out[i] = masked[i] = ' ';
      }
      continue;
    }
    if (state === 'block') {
      comments[i] = true;
      if (ch !== '\n') out[i] = masked[i] = ' ';
      if (ch === '*' && next === '/') {
        comments[i + 1] = true;
        out[i + 1] = masked[i + 1] = ' ';
        i++;
        state = 'code';
      }
      continue;
    }
    // Inside a string or template literal.
    if (ch === '\\') {
      masked[i] = '_';
      if (next !== undefined && next !== '\n') masked[i + 1] = '_';
      i++;
      continue;
    }
    if (state === '`' && ch === '$' && next === '{') {
      templateDepth.push(braceDepth);
      state = 'code';
      i++;
      continue;
    }
    if (ch === state) state = 'code';
    else if (ch !== '\n') masked[i] = '_';
  }
  return { code: out.join(''), masked: masked.join(''), comments };
}

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Module specifiers a file imports (static, re-export, dynamic import(), require()), with lines. */
export function importsOf(file: SourceFile): { specifier: string; line: number }[] {
  const { code, masked } = codeOf(file);
  const found: { specifier: string; line: number }[] = [];
  // Matched on the masked text (keywords in strings do not count); the specifier is read from the code.
  const patterns = [
    /(?<![\w$.])(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*(['"])(_*)\1/dg,
    /(?<![\w$.])import\s*(['"])(_*)\1/dg,
    /(?<![\w$.])import\s*\(\s*(['"])(_*)\1\s*\)/dg,
    /(?<![\w$.])require\s*\(\s*(['"])(_*)\1\s*\)/dg,
  ];
  for (const re of patterns) {
    for (const m of masked.matchAll(re)) {
      const [start, end] = m.indices![2];
      found.push({ specifier: code.slice(start, end), line: lineAt(code, m.index!) });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

/** Where a relative specifier leads, repository-relative; null for a package or node: builtin. */
export function resolveSpecifier(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  return posix.normalize(posix.join(posix.dirname(from), specifier));
}

const under = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);

type Rule = (file: SourceFile) => Violation[];

/** Electron is imported only by the shell (src/main/electron) and the preload. */
const electronOnlyInShell: Rule = (file) =>
  importsOf(file)
    .filter((i) => (i.specifier === 'electron' || i.specifier.startsWith('electron/')) && !under(file.path, 'src/main/electron') && !under(file.path, 'src/preload'))
    .map((i) => ({ rule: 'electron-only-in-shell', path: file.path, line: i.line, message: `imports "${i.specifier}": Electron belongs in src/main/electron (or the preload); the engine runs without it` }));

const RENDERER_PACKAGES = [/^svelte(\/|$)/, /^chart\.js(\/|$)/];

/** The renderer reaches the engine only through the contract; pure shared code lives in src/shared. */
const rendererImportsContractAndShared: Rule = (file) => {
  if (!under(file.path, 'src/renderer')) return [];
  return importsOf(file).flatMap((i) => {
    const target = resolveSpecifier(file.path, i.specifier);
    if (target === null) {
      if (RENDERER_PACKAGES.some((re) => re.test(i.specifier))) return [];
      return [{ rule: 'renderer-imports', path: file.path, line: i.line, message: `imports the package "${i.specifier}": the renderer may use ${RENDERER_PACKAGES.map(String).join(', ')} and src/contract, src/shared` }];
    }
    if (under(target, 'src/renderer') || under(target, 'src/contract') || under(target, 'src/shared')) return [];
    return [{ rule: 'renderer-imports', path: file.path, line: i.line, message: `imports ${target}: the renderer may import only src/contract and src/shared (move pure code to src/shared, or add it to the contract)` }];
  });
};

/** The contract and the shared code are pure: each other and zod (the contract's validation), nothing else. */
const contractAndSharedArePure: Rule = (file) => {
  const inContract = under(file.path, 'src/contract');
  if (!inContract && !under(file.path, 'src/shared')) return [];
  return importsOf(file).flatMap((i) => {
    const target = resolveSpecifier(file.path, i.specifier);
    if (target === null ? inContract && i.specifier === 'zod' : under(target, 'src/contract') || under(target, 'src/shared')) return [];
    return [{ rule: 'pure-contract-and-shared', path: file.path, line: i.line, message: `imports "${i.specifier}": src/contract and src/shared run in the renderer and the preload too; they import only each other${inContract ? ' and zod' : ''}` }];
  });
};

/** services/ is the IPC side of the shells: only the shells use it, the engine never does. */
const engineNeverImportsServices: Rule = (file) => {
  if (!under(file.path, 'src/main') || ['src/main/services', 'src/main/electron', 'src/main/testServer'].some((f) => under(file.path, f))) return [];
  return importsOf(file)
    .filter((i) => {
      const target = resolveSpecifier(file.path, i.specifier);
      return target !== null && under(target, 'src/main/services');
    })
    .map((i) => ({ rule: 'engine-never-imports-services', path: file.path, line: i.line, message: `imports ${i.specifier}: engine code (and the CLI) must not depend on src/main/services; move what both need into the engine` }));
};

/** The configuration is built once, in config.ts: nothing else in src/main reads the environment or guesses folders. */
const onlyConfigReadsEnvironment: Rule = (file) => {
  if (!under(file.path, 'src/main') || file.path === 'src/main/config.ts') return [];
  const { masked: code } = codeOf(file);
  const out: Violation[] = [];
  for (const m of code.matchAll(/\bprocess\s*\.\s*env\b/g)) {
    out.push({ rule: 'only-config-reads-env', path: file.path, line: lineAt(code, m.index!), message: 'reads process.env: add a setting to src/main/config.ts and take it from the configuration' });
  }
  for (const m of code.matchAll(/\bhomedir\s*\(|\bprocess\s*\.\s*resourcesPath\b|\bprocess\s+as\s+[^)]*\)\s*\.\s*resourcesPath\b/g)) {
    // The Electron entry point tells the configuration where a packaged app's resources are.
    if (m[0].includes('resourcesPath') && under(file.path, 'src/main/electron')) continue;
    out.push({ rule: 'only-config-reads-env', path: file.path, line: lineAt(code, m.index!), message: `uses ${m[0].replace(/\s/g, '')}: where the app and its data live is decided in src/main/config.ts` });
  }
  return out;
};

/** The end of the block opening at `open` (the index of "{"), in comment-free code. */
function blockEnd(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '{') depth++;
    else if (code[i] === '}' && --depth === 0) return i;
  }
  return code.length;
}

/** Errors are values a user can act on: a catch that swallows must log, or say why silence is right. */
const noSilentCatch: Rule = (file) => {
  if (!under(file.path, 'src')) return [];
  const { masked: code, comments } = codeOf(file);
  const hasComment = (from: number, to: number) => comments.slice(from, to).some(Boolean);
  const out: Violation[] = [];
  for (const m of code.matchAll(/\bcatch\s*(\([^)]*\))?\s*\{/g)) {
    const open = m.index! + m[0].length - 1;
    const close = blockEnd(code, open);
    const body = code.slice(open + 1, close).trim();
    // Silent: nothing, or only handing back a constant, with no comment saying why.
    const silent = body === '' || /^(return(\s+(null|undefined|false|true|\[\]|\{\}|''|""|-?\d+))?|continue|break)\s*;?$/.test(body);
    if (silent && !hasComment(open, close + 1)) {
      out.push({ rule: 'no-silent-catch', path: file.path, line: lineAt(code, m.index!), message: `catch { ${body || ''} } swallows the error: log it, or add a comment saying why silence is right` });
    }
  }
  for (const m of code.matchAll(/\.catch\s*\(\s*(?:\([^)]*\)|\w+)\s*=>\s*(\{\s*\}|undefined|void 0)\s*\)/g)) {
    const line = lineAt(code, m.index!);
    const lines = file.text.split('\n');
    const start = code.lastIndexOf('\n', code.lastIndexOf('\n', m.index!) - 1);
    if (!hasComment(Math.max(0, start), m.index! + m[0].length) && !/\/\/|\/\*/.test(lines[line - 1] ?? '')) {
      out.push({ rule: 'no-silent-catch', path: file.path, line, message: `${m[0].trim()} swallows the error: log it, or add a comment saying why silence is right` });
    }
  }
  return out;
};

export const RULES: Record<string, Rule> = {
  'electron-only-in-shell': electronOnlyInShell,
  'renderer-imports': rendererImportsContractAndShared,
  'pure-contract-and-shared': contractAndSharedArePure,
  'engine-never-imports-services': engineNeverImportsServices,
  'only-config-reads-env': onlyConfigReadsEnvironment,
  'no-silent-catch': noSilentCatch,
};

export function checkArchitecture(files: SourceFile[]): Violation[] {
  return files.flatMap((f) => Object.values(RULES).flatMap((rule) => rule(f)));
}

export function formatViolations(violations: Violation[]): string {
  return violations.map((v) => `${v.path}:${v.line} [${v.rule}] ${v.message}`).join('\n');
}

