// Which onnxruntime provider the onnx detectors run on: CUDA only on a GPU run (backend
// tfjs-node-gpu) with onnxruntime-node's CUDA library installed, or when asked for by name; the
// CPU provider otherwise, with the reason; a CUDA provider named by a key but missing is an error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { onnxCudaLibrary, onnxExecutionProviders, readOnnxProvider, useOnnxProvider } from '../../lib/tensor/onnx-provider.ts';

const dir = mkdtempSync(join(tmpdir(), 'dcsp-ort-'));
const present = join(dir, 'libonnxruntime_providers_cuda.so');
writeFileSync(present, '');
const missing = join(dir, 'none', 'libonnxruntime_providers_cuda.so');

describe('the onnx detectors provider', () => {
  afterEach(() => useOnnxProvider('cpu'));

  it('CUDA on tfjs-node-gpu with the library installed; the CPU provider otherwise, saying why', () => {
    expect(readOnnxProvider('tfjs-node-gpu', {}, present).provider).toBe('cuda');
    const noLib = readOnnxProvider('tfjs-node-gpu', {}, missing);
    expect(noLib.provider).toBe('cpu');
    expect(noLib.why).toContain(missing);
    expect(readOnnxProvider('tfjs-node-gpu', {}, null).provider).toBe('cpu');
    const wasm = readOnnxProvider('wasm', {}, present);
    expect(wasm).toEqual({ provider: 'cpu', why: 'backend wasm computes on no GPU' });
    expect(readOnnxProvider('tfjs-node', { DCSP_ONNX_PROVIDER: 'auto' }, present).provider).toBe('cpu');
  });

  it('DCSP_ONNX_PROVIDER chooses; cuda where the library is missing, or an unknown value, is one line', () => {
    expect(readOnnxProvider('tfjs-node-gpu', { DCSP_ONNX_PROVIDER: 'cpu' }, present).provider).toBe('cpu');
    expect(readOnnxProvider('wasm', { DCSP_ONNX_PROVIDER: 'cuda' }, present).provider).toBe('cuda');
    expect(() => readOnnxProvider('tfjs-node-gpu', { DCSP_ONNX_PROVIDER: 'cuda' }, missing)).toThrow(`is not installed (${missing})`);
    expect(() => readOnnxProvider('wasm', { DCSP_ONNX_PROVIDER: 'gpu' }, present)).toThrow("DCSP_ONNX_PROVIDER must be auto, cpu or cuda, got 'gpu'");
  });

  it("sessions are created with the key's provider; a key naming a missing CUDA provider is refused", () => {
    expect(onnxExecutionProviders()).toEqual(['cpu']);
    useOnnxProvider('cuda', present);
    expect(onnxExecutionProviders()).toEqual(['cuda', 'cpu']);
    useOnnxProvider('cpu');
    expect(() => useOnnxProvider('cuda', missing)).toThrow(`not installed here (${missing})`);
    expect(onnxExecutionProviders()).toEqual(['cpu']);
  });

  it("looks for the library beside onnxruntime-node's binding, on Linux x64 only", () => {
    expect(onnxCudaLibrary('linux', 'x64')).toMatch(/onnxruntime-node\/bin\/napi-v6\/linux\/x64\/libonnxruntime_providers_cuda\.so$/);
    expect(onnxCudaLibrary('darwin', 'arm64')).toBeNull();
  });
});
