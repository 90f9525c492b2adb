#!/usr/bin/env node
// Resolves through the package's own exports: dist/ normally, the TypeScript
// sources under `node --conditions=source --import tsx` (the tests do that).
const { run } = await import("streampath/cli");
run();
