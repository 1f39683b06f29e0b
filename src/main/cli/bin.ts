// Entry of the built command (out/cli/provenance.mjs, scripts/build-cli.mjs): what the packaged
// app's `provenance` launcher runs with the Node.js inside Electron. From a source checkout,
// bin/provenance.js runs the same main() through tsx.
import { main } from './index';

process.exitCode = await main(process.argv.slice(2));
