#!/usr/bin/env node
// The package `bin`. Installed, it runs the compiled CLI (dist/cli/main.js) under plain node. In a checkout
// of the repository, where the TypeScript sources are next to it, it runs those through tsx (a
// devDependency) so a change to cli/ needs no build step; the package ships no sources, so it never does.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

// Before anything loads the AWS SDK: Node 20 is a supported baseline here (see README, "Node baseline"); the
// SDK's NodeVersionSupportWarning would print on every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const require = createRequire(import.meta.url);
const sources = new URL('../cli/main.ts', import.meta.url);
if (existsSync(sources)) {
  // The repository is CommonJS by package.json, so .ts files load through require() (the CommonJS hook);
  // the ESM hook covers this file's own import of the entry point.
  const { register: registerCommonJs } = await import('tsx/cjs/api');
  const { register: registerEsm } = await import('tsx/esm/api');
  registerCommonJs();
  registerEsm();
  await import(sources.href);
} else {
  require('../dist/cli/main.js');
}
