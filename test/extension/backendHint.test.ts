import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveCompareRequest } from '../../src/engine/compare/resolveRequest';
import { BackendHint, backendHintText, DONT_SHOW_AGAIN, type BackendHintHost } from '../../src/extension/backendHint';
import type { BackendChoice } from '../../src/shared/compareRequest';

const FOLDER = '/home/u/.vscode/extensions/merge-lens.merge-lens-0.1.0';

function report(backend: string, backendDetail: string, asked: BackendChoice = 'auto') {
  return { backend, backendDetail, request: resolveCompareRequest({ a: '/m/a.pt', b: '/m/b.pt', data: null, backend: asked }) };
}

// What tfBackend.ts writes when auto passes tfjs-node over.
const WASM = report('wasm', 'wasm (SIMD, 1 thread); @tensorflow/tfjs-node is not installed');

/** A host that records what the editor would have been asked to do. */
function host(answer: string | undefined, dismissed = false) {
  const calls = { lines: [] as string[], messages: [] as string[], dismissed };
  const h: BackendHintHost = {
    log: (line) => calls.lines.push(line),
    notify: async (message, button) => {
      calls.messages.push(message);
      assert.equal(button, DONT_SHOW_AGAIN);
      return answer;
    },
    dismissed: () => calls.dismissed,
    dismiss: async () => {
      calls.dismissed = true;
    },
  };
  return { h, calls };
}

test('wasm because tfjs-node is absent: the hint says why, what it costs (138 / 47 GFLOP/s a core: about 3×) and how to install it', () => {
  const text = backendHintText(WASM, FOLDER)!;
  assert.equal(
    text.message,
    `Merge Lens computes in WebAssembly (@tensorflow/tfjs-node is not installed), about 3× slower per core than native kernels. ` +
      `For native TensorFlow, run npm install --omit=dev @tensorflow/tfjs-node in ${FOLDER} and reload the window.`,
  );
  assert.ok(text.line.startsWith('Backend: wasm (SIMD, 1 thread); @tensorflow/tfjs-node is not installed. '), text.line);
  assert.match(text.line, /47 GFLOP\/s a core where native kernels ran at 138/);
  // A tfjs-node that is there but broken is named as such.
  assert.match(backendHintText(report('wasm', 'wasm (SIMD, 1 thread); @tensorflow/tfjs-node could not be loaded: libtensorflow.so.2: cannot open shared object file'), FOLDER)!.message, /\(@tensorflow\/tfjs-node could not be loaded: libtensorflow/);
  // Plain JavaScript where wasm failed too: 138 / 1.
  assert.match(backendHintText(report('cpu', 'cpu (plain JavaScript, tfjs-backend-cpu 4.22.0, slow); wasm failed: x; @tensorflow/tfjs-node is not installed'), FOLDER)!.message, /^Merge Lens computes in plain JavaScript \(@tensorflow\/tfjs-node is not installed\), about 138× slower/);
});

test('no hint where native TensorFlow ran, or where the user named the backend', () => {
  assert.equal(backendHintText(report('tensorflow', 'tensorflow (@tensorflow/tfjs-node, native)'), FOLDER), null);
  assert.equal(backendHintText(report('wasm', 'wasm (SIMD, 1 thread)', 'wasm'), FOLDER), null);
  assert.equal(backendHintText(report('cpu', 'cpu (plain JavaScript, tfjs-backend-cpu 4.22.0, as requested)', 'cpu'), FOLDER), null);
});

test('said once a session: one output line and one notification at the first comparison, none after', async () => {
  const { h, calls } = host(undefined);
  const hint = new BackendHint(h, FOLDER);
  // A comparison on tfjs-node says nothing and does not use up the hint.
  await hint.consider(report('tensorflow', 'tensorflow (@tensorflow/tfjs-node, native)'));
  assert.deepEqual(calls, { lines: [], messages: [], dismissed: false });
  await hint.consider(WASM);
  await hint.consider(WASM);
  assert.equal(calls.lines.length, 1);
  assert.equal(calls.messages.length, 1);
  assert.equal(calls.dismissed, false);
});

test("Don't Show Again is stored; once stored, only the output line is written", async () => {
  const first = host(DONT_SHOW_AGAIN);
  await new BackendHint(first.h, FOLDER).consider(WASM);
  assert.equal(first.calls.dismissed, true);
  // The next session, with the choice stored.
  const next = host(undefined, true);
  await new BackendHint(next.h, FOLDER).consider(WASM);
  assert.equal(next.calls.lines.length, 1);
  assert.deepEqual(next.calls.messages, []);
});
