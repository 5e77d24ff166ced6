import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// Imported by name: esbuild drops a bare import of a package that declares no side effects, and
// evaluating this one is what registers the cpu backend and its kernels.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice, BackendName } from '../../shared/compareRequest';
import { NATIVE_BACKEND_PACKAGE } from '../../shared/nativeBackend';

/**
 * Every engine module computes through this one namespace, so all share one backend. It is
 * tfjs-core without the chained-op methods: write tf.slice(x, ...), not x.slice(...).
 */
export { tf };


export interface BackendInfo {
  readonly name: BackendName;
  /** What runs and why the faster ones do not, e.g. "wasm (SIMD, 1 thread); @tensorflow/tfjs-node is not installed". */
  readonly detail: string;
}

const SIMD_BINARY = 'tfjs-backend-wasm-simd.wasm';

let current: { readonly preference: BackendChoice; readonly info: BackendInfo } | null = null;
let pending: Promise<BackendInfo> | null = null;
let nodeBackend: { readonly loaded: boolean; readonly reason: string } | null = null;
let wasmPathsSet = false;

/**
 * Chooses the TensorFlow.js backend once per process. 'auto' tries tfjs-node, then wasm, then
 * cpu, and `detail` says why a faster one was passed over; a named backend is used or the call
 * fails. Calling again with 'auto' or the same name returns the backend already chosen.
 */
export function initBackend(preference: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (pending) return pending.then(() => initBackend(preference));
  if (current && (preference === 'auto' || preference === current.preference || preference === current.info.name)) {
    return Promise.resolve(current.info);
  }
  pending = choose(preference).then(
    (info) => {
      current = { preference, info };
      pending = null;
      return info;
    },
    (error: unknown) => {
      pending = null;
      throw error;
    },
  );
  return pending;
}

async function choose(preference: BackendChoice): Promise<BackendInfo> {
  // Library warnings (the "install tfjs-node" banner) would land in the CLI's output.
  tf.enableProdMode();
  if (preference === 'tensorflow') {
    const node = loadNodeBackend();
    if (!node.loaded) throw new Error(`the tensorflow backend is not available: ${node.reason}`);
    await activate('tensorflow');
    return { name: 'tensorflow', detail: `tensorflow (${NATIVE_BACKEND_PACKAGE}, native)` };
  }
  if (preference === 'wasm') return { name: 'wasm', detail: await activateWasm() };
  if (preference === 'cpu') {
    await activate('cpu');
    return { name: 'cpu', detail: `cpu (plain JavaScript, tfjs-backend-cpu ${version_cpu}, as requested)` };
  }

  const node = loadNodeBackend();
  if (node.loaded) {
    try {
      await activate('tensorflow');
      return { name: 'tensorflow', detail: `tensorflow (${NATIVE_BACKEND_PACKAGE}, native)` };
    } catch (error) {
      return fallBackFromNode(`${NATIVE_BACKEND_PACKAGE} failed to start: ${firstLine(error)}`);
    }
  }
  return fallBackFromNode(node.reason);
}

async function fallBackFromNode(nodeReason: string): Promise<BackendInfo> {
  try {
    return { name: 'wasm', detail: `${await activateWasm()}; ${nodeReason}` };
  } catch (error) {
    await activate('cpu');
    return { name: 'cpu', detail: `cpu (plain JavaScript, tfjs-backend-cpu ${version_cpu}, slow); wasm failed: ${firstLine(error)}; ${nodeReason}` };
  }
}

/** tfjs-node is optional and native: absent on most machines, and never bundled. */
function loadNodeBackend(): { readonly loaded: boolean; readonly reason: string } {
  if (nodeBackend) return nodeBackend;
  try {
    // It registers the 'tensorflow' backend in the engine that every copy of tfjs-core shares.
    require('@tensorflow/tfjs-node');
    nodeBackend = { loaded: true, reason: '' };
  } catch (error) {
    const missing = (error as { code?: unknown }).code === 'MODULE_NOT_FOUND' && /tfjs-node['"]/.test(String((error as Error).message));
    nodeBackend = {
      loaded: false,
      reason: missing ? `${NATIVE_BACKEND_PACKAGE} is not installed` : `${NATIVE_BACKEND_PACKAGE} could not be loaded: ${firstLine(error)}`,
    };
  }
  return nodeBackend;
}

async function activateWasm(): Promise<string> {
  if (!wasmPathsSet) {
    const folder = wasmFolder();
    if (!folder) throw new Error(`${SIMD_BINARY} is neither next to the bundle nor in node_modules`);
    setWasmPaths(folder);
    wasmPathsSet = true;
  }
  await activate('wasm');
  // The same flag decides which binary tfjs-backend-wasm loads (threads are never used in Node).
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = getThreadsCount();
  return `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'})`;
}

/**
 * The build copies the binaries next to the bundles in dist/; test bundles live deeper, so
 * node_modules is the fallback.
 */
function wasmFolder(): string | null {
  const candidates = [__dirname];
  try {
    candidates.push(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'));
  } catch {
    // Not resolvable from a packaged extension: only the bundle's own folder counts there.
  }
  const found = candidates.find((folder) => existsSync(join(folder, SIMD_BINARY)));
  return found === undefined ? null : join(found, '/');
}

async function activate(name: BackendName): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend failed to initialise`);
  await tf.ready();
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : typeof error === 'object' && error && 'message' in error ? String(error.message) : String(error);
  return message.split('\n')[0]!;
}
