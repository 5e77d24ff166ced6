import type { TensorInfo } from '../formats/checkpoint';
import { FormatError } from '../io/formatError';
import type { DenseLayer } from '../model/mlp';

/** Compares names the way people number layers: "layers.2" before "layers.10". */
export function naturalCompare(a: string, b: string): number {
  const chunks = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const x = chunks(a);
  const y = chunks(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i]!, y[i]!];
    if (p === q) continue;
    const numeric = /^\d/.test(p) && /^\d/.test(q);
    return numeric ? Number(p) - Number(q) || p.length - q.length : p < q ? -1 : 1;
  }
  return x.length - y.length;
}

/**
 * A weight name's layer prefix and its storage layout: PyTorch's `*.weight` is [out, in];
 * TensorFlow's and JAX's `*kernel` is [in, out].
 */
function splitWeightName(name: string): { prefix: string; layout: 'out-in' | 'in-out' } | undefined {
  const match = /^(.*?)[./]?(weight|kernel)$/.exec(name);
  if (!match || (match[1] !== '' && !/[./]$/.test(name.slice(0, name.length - match[2]!.length)))) return undefined;
  return { prefix: match[1]!, layout: match[2] === 'kernel' ? 'in-out' : 'out-in' };
}

function biasNameFor(tensors: readonly TensorInfo[], weight: string): TensorInfo | undefined {
  const bias = weight.replace(/(weight|kernel)$/, 'bias');
  return tensors.find((t) => t.name === bias);
}

const shapeText = (t: TensorInfo) => `${t.name} [${t.shape.join(', ')}]`;

/** The layer structure alone, from the header: which tensors form the chain and how. */
export interface MlpLayout {
  readonly layers: readonly (DenseLayer & { readonly layout: 'out-in' | 'in-out' })[];
}

/**
 * Finds the chain of fully connected layers a state_dict describes, whatever its naming
 * (`layers.0.weight`, `fc1.weight`, `net.3.weight`, `dense_1/kernel`): the 2-D weights in their
 * names' natural order, each with an optional bias, checked to connect by shape. Every tensor
 * must belong to the chain; anything else is reported, since this is then not an MLP.
 */
export function inferMlpLayout(file: string, tensors: readonly TensorInfo[]): MlpLayout {
  const weights = tensors
    .filter((t) => t.shape.length === 2 && splitWeightName(t.name))
    .sort((a, b) => naturalCompare(a.name, b.name));
  if (weights.length === 0) {
    const found = tensors.slice(0, 6).map(shapeText).join(', ');
    throw new FormatError(
      file,
      `holds no 2-D weight matrices, so it is not a multi-layer perceptron (found ${tensors.length} tensors${found ? `: ${found}${tensors.length > 6 ? ', …' : ''}` : ''})`,
    );
  }
  const layers = weights.map((w) => {
    const { prefix, layout } = splitWeightName(w.name)!;
    const [rows, cols] = w.shape as [number, number];
    const [outFeatures, inFeatures] = layout === 'out-in' ? [rows, cols] : [cols, rows];
    const bias = biasNameFor(tensors, w.name);
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== outFeatures)) {
      throw new FormatError(file, `bias ${shapeText(bias)} does not fit weight ${shapeText(w)}, which has ${outFeatures} outputs`);
    }
    return { name: prefix.replace(/[./]$/, '') || w.name, weight: w.name, bias: bias?.name ?? null, inFeatures, outFeatures, layout };
  });
  for (let l = 1; l < layers.length; l++) {
    const [previous, layer] = [layers[l - 1]!, layers[l]!];
    if (layer.inFeatures !== previous.outFeatures) {
      throw new FormatError(
        file,
        `the weights do not form a chain: '${layer.weight}' takes ${layer.inFeatures} inputs but the layer before it in name order, '${previous.weight}', gives ${previous.outFeatures} outputs`,
      );
    }
  }
  const used = new Set(layers.flatMap((l) => [l.weight, ...(l.bias ? [l.bias] : [])]));
  const others = tensors.filter((t) => !used.has(t.name));
  if (others.length > 0) {
    throw new FormatError(
      file,
      `is not a plain multi-layer perceptron: besides ${layers.length} linear layers it holds ${others.length} other tensor${others.length === 1 ? '' : 's'} (${others.slice(0, 4).map(shapeText).join(', ')}${others.length > 4 ? ', …' : ''})`,
    );
  }
  return { layers };
}
