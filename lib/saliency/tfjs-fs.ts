// A tf.io handler that loads and saves tfjs models (model.json + binary weight shards) with node:fs,
// so saved models work without tfjs-node. Types only from tfjs: this file does not load tfjs itself.

import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { io } from '@tensorflow/tfjs';

const WEIGHTS_FILE = 'weights.bin';

async function modelJsonPath(path: string): Promise<string> {
  const s = await stat(path).catch(() => null);
  if (s?.isDirectory()) return join(path, 'model.json');
  return path;
}

function concatBuffers(parts: ArrayBuffer[]): ArrayBuffer {
  const total = parts.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of parts) {
    out.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return out.buffer;
}

/** `path`: a folder (model.json inside) or a model.json file. Saving writes model.json + weights.bin. */
export function fileSystemHandler(path: string, opts: { weightsOnly?: boolean } = {}): io.IOHandler {
  return {
    async load(): Promise<io.ModelArtifacts> {
      const jsonPath = await modelJsonPath(path);
      let json: io.ModelJSON;
      try {
        json = JSON.parse(await readFile(jsonPath, 'utf8')) as io.ModelJSON;
      } catch (e) {
        throw new Error(`cannot read tfjs model ${jsonPath}: ${(e as Error).message}`);
      }
      // weights-only folders (our checkpoints, converted weights) have no topology to load
      if (!json.modelTopology && !opts.weightsOnly) throw new Error(`${jsonPath}: no modelTopology`);
      const dir = dirname(jsonPath);
      const weightSpecs: io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of json.weightsManifest ?? []) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) {
          const buf = await readFile(join(dir, p)).catch((e: Error) => {
            throw new Error(`${jsonPath}: weight shard ${p}: ${e.message}`);
          });
          buffers.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
        }
      }
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        trainingConfig: json.trainingConfig,
        signature: json.signature,
        userDefinedMetadata: json.userDefinedMetadata,
        modelInitializer: json.modelInitializer,
        weightSpecs,
        weightData: concatBuffers(buffers),
      };
    },

    async save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
      const topology = artifacts.modelTopology;
      if (topology === undefined || topology instanceof ArrayBuffer) {
        throw new Error('fileSystemHandler: only JSON model topologies can be saved');
      }
      const isJsonFile = path.endsWith('.json');
      const dir = isJsonFile ? dirname(path) : path;
      const jsonName = isJsonFile ? basename(path) : 'model.json';
      await mkdir(dir, { recursive: true });
      const parts = artifacts.weightData === undefined ? [] : Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData];
      const weights = concatBuffers(parts);
      const json: io.ModelJSON = {
        modelTopology: topology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        trainingConfig: artifacts.trainingConfig,
        signature: artifacts.signature,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        modelInitializer: artifacts.modelInitializer,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(join(dir, WEIGHTS_FILE), new Uint8Array(weights));
      await writeFile(join(dir, jsonName), JSON.stringify(json));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(topology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
  };
}
