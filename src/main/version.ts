import { readFileSync } from 'node:fs';

/** Set by scripts/build-cli.mjs: the built command carries its version instead of reading package.json. */
declare const __SOFTWARE_VERSION__: string | undefined;

/** "provenance-lab 0.1.0": recorded with every analysis run and printed on reports. */
export const SOFTWARE_VERSION = (() => {
  if (typeof __SOFTWARE_VERSION__ === 'string') return __SOFTWARE_VERSION__;
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name: string; version: string };
      if (pkg.name === 'provenance-lab') return `${pkg.name} ${pkg.version}`;
    } catch {
      // try the next location (source tree vs bundled out/main)
    }
  }
  return 'provenance-lab (unknown version)';
})();
