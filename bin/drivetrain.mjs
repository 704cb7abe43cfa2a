#!/usr/bin/env node
// The package `bin`: runs the TypeScript CLI (cli/main.ts) through tsx, so `npx drivetrain` works from a
// checkout without a build step (tsx is a devDependency of this private package). Both hooks are needed:
// the repository is CommonJS by package.json, so .ts files load through require(), and the ESM hook
// covers this file's own import of the entry point.
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';

registerCommonJs();
registerEsm();
await import('../cli/main.ts');
