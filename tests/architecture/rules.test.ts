// The house rules hold on the tree, and each of them fails when broken: a planted violation per
// rule proves the check can still fail (a rule that cannot fail protects nothing).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ROOT } from '../config';
import { checkArchitecture, codeOf, formatViolations, importsOf, readSources, RULES, type SourceFile } from './rules';

const file = (path: string, text: string): SourceFile => ({ path, text });
const rulesBroken = (files: SourceFile[]) => [...new Set(checkArchitecture(files).map((v) => v.rule))].sort();

describe('architecture', () => {
  test('the source tree keeps every rule', () => {
    const sources = readSources(ROOT);
    assert.ok(sources.length > 150, `read ${sources.length} files`);
    assert.ok(sources.some((f) => f.path.endsWith('.svelte')), 'Svelte components are checked too');
    const violations = checkArchitecture(sources);
    assert.equal(violations.length, 0, `\n${formatViolations(violations)}`);
  });

  test('Electron outside the shell is caught', () => {
    assert.deepEqual(rulesBroken([file('src/main/inference/gpu.ts', "import { app } from 'electron';\n")]), ['electron-only-in-shell']);
    assert.deepEqual(rulesBroken([file('src/main/electron/window.ts', "import { app } from 'electron';\n"), file('src/preload/index.ts', "import { ipcRenderer } from 'electron';\n")]), []);
  });

  test('the renderer importing the engine, Node or an unlisted package is caught; contract, shared and svelte are fine', () => {
    const ok = file('src/renderer/components/X.svelte', "<script lang=\"ts\">\n  import { mediaUrl } from '../lib/api';\n  import type { Case } from '../../contract/case';\n  import { thresholdMetrics } from '../../shared/metrics';\n  import { onMount } from 'svelte';\n</script>\n<p>import x from '../../main/config'</p>\n");
    assert.deepEqual(rulesBroken([ok]), [], 'markup text is not an import');
    const bad = [
      file('src/renderer/components/evaluation/live.ts', "import { evaluate } from '../../../main/evaluation/evaluate';\n"),
      file('src/renderer/lib/files.ts', "import { readFile } from 'node:fs/promises';\n"),
      file('src/renderer/views/Y.svelte', "<script lang=\"ts\">\n  const m = await import('../../main/config');\n</script>\n"),
    ];
    const violations = checkArchitecture(bad);
    assert.deepEqual(violations.map((v) => [v.rule, v.path, v.line]), [
      ['renderer-imports', 'src/renderer/components/evaluation/live.ts', 1],
      ['renderer-imports', 'src/renderer/lib/files.ts', 1],
      ['renderer-imports', 'src/renderer/views/Y.svelte', 2],
    ]);
  });

  test('the contract and src/shared stay pure', () => {
    assert.deepEqual(rulesBroken([file('src/contract/x.ts', "import { z } from 'zod';\nimport type { Case } from './case';\n"), file('src/shared/y.ts', "import type { Label } from '../contract/evaluation';\n")]), []);
    assert.deepEqual(rulesBroken([file('src/contract/x.ts', "import { join } from 'node:path';\n")]), ['pure-contract-and-shared']);
    assert.deepEqual(rulesBroken([file('src/shared/y.ts', "import { z } from 'zod';\n")]), ['pure-contract-and-shared']);
    assert.deepEqual(rulesBroken([file('src/shared/y.ts', "export { loadConfig } from '../main/config';\n")]), ['pure-contract-and-shared']);
  });

  test('engine code (and the CLI) importing services/ is caught; the shells may', () => {
    assert.deepEqual(rulesBroken([file('src/main/cli/caseCommands.ts', "import { importIntoCase } from '../services/importer';\n")]), ['engine-never-imports-services']);
    assert.deepEqual(rulesBroken([file('src/main/reports/collect.ts', "import type { AppContext } from '../services/context';\n")]), ['engine-never-imports-services']);
    assert.deepEqual(rulesBroken([file('src/main/testServer/index.ts', "import { createAppServices } from '../services';\n")]), []);
  });

  test('reading process.env (or guessing the home folder) outside config.ts is caught; comments and config.ts are fine', () => {
    const bad = file('src/main/reports/chromium.ts', "// process.env is not read here\nexport const path = process.env.PROVENANCE_CHROMIUM ?? '/usr/bin/chromium';\nconst home = os.homedir();\n");
    assert.deepEqual(checkArchitecture([bad]).map((v) => [v.rule, v.line]), [['only-config-reads-env', 2], ['only-config-reads-env', 3]]);
    assert.deepEqual(rulesBroken([file('src/main/config.ts', 'const env = process.env;\n')]), []);
    assert.deepEqual(rulesBroken([file('src/main/electron/index.ts', 'const r = process.resourcesPath;\n')]), []);
  });

  test('a catch that swallows without a word is caught; one that logs or explains is fine', () => {
    const bad = file('src/main/x.ts', 'try { a(); } catch {}\ntry { b(); } catch (err) {\n  return null;\n}\np.catch(() => {});\n');
    assert.deepEqual(checkArchitecture([bad]).map((v) => [v.rule, v.line]), [['no-silent-catch', 1], ['no-silent-catch', 2], ['no-silent-catch', 5]]);
    const good = file(
      'src/main/y.ts',
      'try { a(); } catch {\n  // the file is optional: absent means defaults\n}\ntry { b(); } catch (err) {\n  log.warn(`b failed`, { err });\n}\np.catch(() => {}); // a prefetch: the real load reports failures\ntry { c(); } catch (err) {\n  throw new Error(`c: ${err}`);\n}\n',
    );
    assert.deepEqual(checkArchitecture([good]), []);
  });

  test('the reader sees through strings, templates and comments', () => {
    const tricky = file('src/main/z.ts', "const url = 'http://example.org/*not a comment*/';\nconst t = `${a ? `{${b}}` : '}'}`;\n/* import x from 'electron' */\nimport y from './y';\nexport * from './w';\n");
    assert.deepEqual(importsOf(tricky).map((i) => [i.specifier, i.line]), [['./y', 4], ['./w', 5]]);
    const { code } = codeOf(tricky);
    assert.ok(code.includes('http://example.org/*not a comment*/'), 'a URL in a string is kept');
    assert.equal(code.split('\n').length, tricky.text.split('\n').length, 'line numbers are kept');
    assert.equal(Object.keys(RULES).length, 6);
  });
});
