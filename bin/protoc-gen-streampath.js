#!/usr/bin/env node
// The protoc/buf plugin: a CodeGeneratorRequest on stdin, the response on stdout.
// Resolves through the package's own exports like bin/streampath.js: dist/
// normally, the TypeScript sources under `--conditions=source --import tsx`.
const { runPlugin } = await import("streampath/plugin");
await runPlugin();
