/**
 * A JSON document a test reads and breaks at arbitrary depth (`event.detail.state.value = 'nope'`). Fixtures
 * are untyped until the code under test validates them, and typing each mutation would only restate the schema
 * the test sets out to violate. This is the code base's one deliberate `any`, and it is for tests only:
 * production code takes `unknown` and narrows it.
 */
// biome-ignore lint/suspicious/noExplicitAny: tests mutate untyped fixtures at any depth (see above)
export type LooseJson = Record<string, any>;
