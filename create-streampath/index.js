#!/usr/bin/env node
// `npm create streampath my-app` runs this: streampath's own `init`, at the
// version this package pins, with the same options, messages and exit codes.
const { run } = await import("streampath/cli");
run(["init", ...process.argv.slice(2)]);
