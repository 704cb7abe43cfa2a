// Node 20 runs the tests (Lambda runs 22); the SDK's Node-version banner is noise in every worker.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// The Lambdas' module-scope Powertools logger would print every handler run into the test report; tests that
// look at logs inject their own logger.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');

const TEST_ROOT = join(__dirname, 'test');
/** Every test that talks to DynamoDB Local gets its tables (and the endpoint) from this one helper. */
const DYNAMODB_HELPER = join(TEST_ROOT, 'support/dynamodb.ts');

/**
 * The test tiers are derived from the imports instead of a hand-kept list, so a new test lands in the right
 * tier by what it uses: a test file that reaches test/support/dynamodb.ts through relative imports inside
 * test/ needs DynamoDB Local (Java); every other one is a unit test and runs without it.
 */
function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === '__snapshots__' || entry.name === 'fixtures' ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

function relativeImports(file) {
  const source = readFileSync(file, 'utf8');
  const specifiers = [...source.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map(
    (m) => m[1],
  );
  return specifiers
    .map((specifier) => resolve(dirname(file), specifier))
    .map((base) =>
      [base, `${base}.ts`, join(base, 'index.ts')].find(
        (candidate) => candidate.endsWith('.ts') && existsSync(candidate),
      ),
    )
    .filter((path) => path?.startsWith(TEST_ROOT));
}

function needsDynamoDb(file, seen = new Set()) {
  if (file === DYNAMODB_HELPER) return true;
  if (seen.has(file)) return false;
  seen.add(file);
  return relativeImports(file).some((imported) => needsDynamoDb(imported, seen));
}

const allTests = testFiles(TEST_ROOT);
const dynamoDbTests = allTests.filter((file) => needsDynamoDb(file));
const unitTests = allTests.filter((file) => !dynamoDbTests.includes(file));
/** testRegex must match a whole path; escape the file paths themselves. */
const exactly = (files) => files.map((file) => `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  // Middy ships ESM only; everything else in node_modules is CommonJS already.
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  // A global option: inside a project jest ignores it (and falls back to 5 s).
  testTimeout: 30000,
  projects: [
    // `npm run test:unit`: pure logic, CDK templates, the CLI on fakes, bundles, the packaged library. No Java.
    // The Lambda bundles are built first (globalSetup), so the templates and the bundle tests never see stale ones.
    {
      ...shared,
      displayName: 'unit',
      testRegex: exactly(unitTests),
      globalSetup: '<rootDir>/test/support/build-setup.ts',
    },
    // Everything that reads or writes DynamoDB, on one shared DynamoDB Local started for this project only.
    {
      ...shared,
      displayName: 'dynamodb',
      testRegex: exactly(dynamoDbTests),
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
