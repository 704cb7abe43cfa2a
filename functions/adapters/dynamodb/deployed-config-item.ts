/**
 * How the deployed config is encoded in its state table item: its version (content hash) and its compressed
 * body. Separate from the store so the construct (size check at synth) and the CLI (is the local file the
 * deployed one?) compute exactly what the tick stores, without loading the SDK.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { DrivetrainConfig } from '../../domain/config';

/** Compressed size the item may hold: DynamoDB items are at most 400 KB, and the rest of the item is tiny. */
export const DEPLOYED_CONFIG_MAX_BYTES = 350 * 1024;

/** The content hash of a validated config: sha256 of its JSON (parseConfig's output is deterministic). */
export function configVersion(config: Readonly<DrivetrainConfig>): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

/** The config as the item stores it (gzip of its JSON, a Binary attribute). */
export function compressConfig(config: Readonly<DrivetrainConfig>): Uint8Array {
  return gzipSync(JSON.stringify(config));
}

/** The issue the construct reports at synth for a config the tick could not record; undefined when it fits. */
export function deployedConfigSizeIssue(config: Readonly<DrivetrainConfig>): string | undefined {
  const bytes = compressConfig(config).byteLength;
  if (bytes <= DEPLOYED_CONFIG_MAX_BYTES) return undefined;
  return `the config is ${bytes} bytes gzip-compressed; the state table item that records the deployed config (for the CLI's read commands) holds at most ${DEPLOYED_CONFIG_MAX_BYTES} (DynamoDB items are at most 400 KB): split the targets over several deployments`;
}
