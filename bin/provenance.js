#!/usr/bin/env node
// The `provenance` command. The engine is TypeScript; tsx compiles it on the fly so the CLI
// runs from a source checkout and from the packaged app's resources alike.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
