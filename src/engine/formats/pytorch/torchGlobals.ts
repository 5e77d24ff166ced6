import { FormatError, clip } from '../../io/formatError';
import { elementCount, type DType } from '../../tensors/dtype';
import {
  PickleDict,
  PickleGlobal,
  PickleObject,
  PickleSet,
  PickleTuple,
  Placeholder,
  pickleTypeName,
  type PickleValue,
} from './pickleValues';

/**
 * The globals a PyTorch checkpoint's data.pkl may name. The tensor machinery is an allow-list,
 * each entry a pure TypeScript constructor of data: nothing a tensor is rebuilt from can be
 * anything else. Any other global (the argparse.Namespace, NumPy scalars and pathlib paths of a
 * training checkpoint's hyperparameters) becomes a placeholder that records its name and the
 * arguments it was called with; it is never imported and never called, so no global can run
 * code. Globals whose only use in a pickle is to run code or reach the system are refused
 * outright, so that such a file is reported as what it is rather than opened with a note.
 */

/** A storage that a persistent id refers to: the bytes of the archive member `data/<key>`. */
export class TorchStorage extends PickleObject {
  readonly typeName = 'torch storage';
  constructor(
    readonly key: string,
    /** The element type of a typed storage (FloatStorage...), or undefined for an UntypedStorage (bytes). */
    readonly dtype: DType | undefined,
    readonly location: string,
    readonly numel: number,
  ) {
    super();
  }
}

/** A tensor as `torch._utils._rebuild_tensor_v2` would make it: a strided view of a storage. */
export class TorchTensor extends PickleObject {
  readonly typeName = 'torch.Tensor';
  constructor(
    readonly storage: TorchStorage,
    readonly dtype: DType,
    /** In elements of `dtype`. */
    readonly storageOffset: number,
    readonly shape: readonly number[],
    /** In elements of `dtype`. */
    readonly strides: readonly number[],
    readonly isParameter = false,
  ) {
    super();
  }
}

/** A Python slice object (it may appear in a checkpoint's configuration). */
export class PickleSlice extends PickleObject {
  readonly typeName = 'slice';
  constructor(
    readonly start: PickleValue,
    readonly stop: PickleValue,
    readonly step: PickleValue,
  ) {
    super();
  }
}

const STORAGE_DTYPES: ReadonlyMap<string, DType> = new Map(Object.entries({
  DoubleStorage: 'F64', FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16',
  LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8',
  BoolStorage: 'BOOL', ComplexFloatStorage: 'C64', ComplexDoubleStorage: 'C128',
} as const));

const QUANTIZED_STORAGES = new Set(['QInt8Storage', 'QUInt8Storage', 'QInt32Storage', 'QUInt4x2Storage', 'QUInt2x4Storage']);

/**
 * torch dtypes by the canonical name they pickle as (`torch.float32`), mapped to a DType, or to
 * null for the ones Merge Lens cannot read. Newer PyTorch saves float8 and unsigned 16- to 64-bit
 * tensors with `_rebuild_tensor_v3`, which names the dtype this way.
 */
export const TORCH_DTYPES: ReadonlyMap<string, DType | null> = new Map(Object.entries({
  float64: 'F64', float32: 'F32', float16: 'F16', bfloat16: 'BF16',
  float8_e4m3fn: 'F8_E4M3', float8_e5m2: 'F8_E5M2',
  int64: 'I64', int32: 'I32', int16: 'I16', int8: 'I8',
  uint64: 'U64', uint32: 'U32', uint16: 'U16', uint8: 'U8',
  bool: 'BOOL', complex64: 'C64', complex128: 'C128',
  complex32: null, float8_e4m3fnuz: null, float8_e5m2fnuz: null, float8_e8m0fnu: null, float4_e2m1fn_x2: null,
  qint8: null, quint8: null, qint32: null, quint4x2: null, quint2x4: null,
  bits1x8: null, bits2x4: null, bits4x2: null, bits8: null, bits16: null,
} as const));

const QUANTIZED_GLOBALS = new Set([
  'torch._utils._rebuild_qtensor', 'torch.per_tensor_affine', 'torch.per_channel_affine',
  'torch.per_tensor_symmetric', 'torch.per_channel_symmetric', 'torch.per_channel_affine_float_qparams',
]);

/** The error for a global Merge Lens will not stand in for, with the advice that fits what it is. */
export function refusal(file: string, module: string, name: string): FormatError {
  const qualified = `${module}.${name}`;
  const head = `refuses to load global '${clip(qualified, 80)}'`;
  if (module.startsWith('torch.nn.modules') || module === '__main__' || module.startsWith('__main__.')) {
    return new FormatError(
      file,
      `${head}: the file pickles a whole model object rather than its weights, and Merge Lens never executes code from a checkpoint; save the weights with torch.save(model.state_dict(), path) and open that file`,
    );
  }
  if (QUANTIZED_GLOBALS.has(qualified) || (module === 'torch' && QUANTIZED_STORAGES.has(name))) {
    return new FormatError(file, `${head}: quantized tensors are not supported; save their dequantized values (tensor.dequantize()) instead`);
  }
  if (module === 'torch._utils' && name.startsWith('_rebuild_sparse')) {
    return new FormatError(file, `${head}: sparse tensors are not supported; save them dense (tensor.to_dense()) instead`);
  }
  return new FormatError(file, `${head}: Merge Lens never executes code from a checkpoint; only tensors and plain containers are allowed`);
}

function index(file: string, where: string, value: PickleValue | undefined, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw wrongKind(file, value, `${where} expects ${what} as a non-negative integer, found ${describe(value)}`);
  }
  return value;
}

function intList(file: string, where: string, value: PickleValue | undefined, what: string): number[] {
  const items = value instanceof PickleTuple ? value.items : Array.isArray(value) ? value : undefined;
  if (!items) throw wrongKind(file, value, `${where} expects ${what} as a tuple of integers, found ${describe(value)}`);
  return items.map((item, i) => index(file, where, item, `${what}[${i}]`));
}

export function describe(value: PickleValue | undefined): string {
  return typeof value === 'number' || typeof value === 'bigint' ? `${pickleTypeName(value)} ${value}` : pickleTypeName(value);
}

/** The global behind a placeholder, or a placeholder global itself; undefined for anything else. */
export function placeholderGlobal(value: PickleValue | undefined): PickleGlobal | undefined {
  if (value instanceof Placeholder) return value.global;
  return value instanceof PickleGlobal && value.placeholder ? value : undefined;
}

/**
 * The error for a value of the wrong kind where a tensor is rebuilt: a placeholder there is the
 * global that failed to build the weights, so the refusal names it (with its advice).
 */
function wrongKind(file: string, value: PickleValue | undefined, problem: string): FormatError {
  const global = placeholderGlobal(value);
  return global ? refusal(file, global.module, global.name) : new FormatError(file, problem);
}

function tupleItems(value: PickleValue | undefined): readonly PickleValue[] | undefined {
  if (value instanceof PickleTuple) return value.items;
  if (Array.isArray(value)) return value;
  return undefined;
}

function expectArgs(file: string, where: string, args: readonly PickleValue[], min: number, max: number): void {
  if (args.length < min || args.length > max) {
    const wanted = min === max ? `${min}` : `${min} to ${max}`;
    throw new FormatError(file, `${where} expects ${wanted} arguments, found ${args.length}`);
  }
}

/** The tensor a `_rebuild_tensor*` call describes, checked before it is trusted. */
function rebuildTensor(file: string, where: string, args: readonly PickleValue[], dtypeOverride?: DType): TorchTensor {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof TorchStorage)) throw wrongKind(file, storage, `${where} expects a storage first, found ${describe(storage)}`);
  const shape = intList(file, where, size, 'the size');
  const strides = intList(file, where, stride, 'the stride');
  if (Number.isNaN(elementCount(shape))) throw new FormatError(file, `${where} has an impossibly large size [${shape.join(', ')}]`);
  if (strides.length !== shape.length) {
    throw new FormatError(file, `${where} has ${strides.length} strides for ${shape.length} dimensions`);
  }
  // An UntypedStorage holds bytes: PyTorch reads it as uint8 unless the call names a dtype.
  const dtype = dtypeOverride ?? storage.dtype ?? 'U8';
  return new TorchTensor(storage, dtype, index(file, where, offset, 'the storage offset'), shape, strides);
}

function asParameter(file: string, where: string, data: PickleValue | undefined): TorchTensor {
  if (!(data instanceof TorchTensor)) throw wrongKind(file, data, `${where} expects a tensor, found ${describe(data)}`);
  const { storage, dtype, storageOffset, shape, strides } = data;
  return new TorchTensor(storage, dtype, storageOffset, shape, strides, true);
}

function fillDict(file: string, where: string, dict: PickleDict, pairs: PickleValue | undefined): void {
  if (pairs instanceof PickleDict) {
    for (const [key, value] of pairs.entries()) dict.set(key, value);
    return;
  }
  const items = tupleItems(pairs);
  if (!items) throw new FormatError(file, `${where} expects key-value pairs, found ${describe(pairs)}`);
  for (const pair of items) {
    const kv = tupleItems(pair);
    if (!kv || kv.length !== 2 || !dict.set(kv[0]!, kv[1]!)) {
      throw new FormatError(file, `${where} expects key-value pairs with hashable keys, found ${describe(pair)}`);
    }
  }
}

function makeSet(file: string, where: string, frozen: boolean, args: readonly PickleValue[]): PickleSet {
  expectArgs(file, where, args, 0, 1);
  const set = new PickleSet(frozen);
  if (args.length === 0) return set;
  const items = args[0] instanceof PickleSet ? args[0].items : tupleItems(args[0]);
  if (!items) throw new FormatError(file, `${where} expects a list of items, found ${describe(args[0])}`);
  for (const item of items) {
    if (!set.add(item)) throw new FormatError(file, `${where} was given an unhashable ${pickleTypeName(item)}`);
  }
  return set;
}

function encodeText(file: string, where: string, args: readonly PickleValue[]): Uint8Array {
  expectArgs(file, where, args, 1, 2);
  const [text, encoding = 'utf-8'] = args;
  if (typeof text !== 'string' || typeof encoding !== 'string') {
    throw new FormatError(file, `${where} expects a string and an encoding name, found ${describe(text)} and ${describe(encoding)}`);
  }
  const name = encoding.toLowerCase().replace(/_/g, '-');
  if (name === 'latin1' || name === 'latin-1' || name === 'iso-8859-1') {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0xff) throw new FormatError(file, `${where} was asked to encode a character beyond latin-1`);
      out[i] = code;
    }
    return out;
  }
  if (name === 'utf-8' || name === 'utf8') return new Uint8Array(Buffer.from(text, 'utf8'));
  throw new FormatError(file, `${where} uses the encoding '${encoding}'; only latin-1 and UTF-8 are read`);
}

const FROM_TYPE = 'torch._utils._rebuild_from_type_v2';
/**
 * How many `_rebuild_from_type_v2` calls may wrap one another. torch writes one; a hostile pickle
 * can chain tens of thousands (or a list that holds itself) to exhaust the stack.
 */
const MAX_FROM_TYPE_NESTING = 1000;

/**
 * `_rebuild_from_type_v2(func, type, args, state)`: `func(*args)` made a `type`. `func` may be this
 * function again, so the chain is unwound in a loop, bounded, rather than by recursion.
 */
function rebuildFromType(file: string, args: readonly PickleValue[]): TorchTensor {
  const where = FROM_TYPE;
  const asParameters: boolean[] = [];
  let call = args;
  let tensor: TorchTensor;
  for (;;) {
    expectArgs(file, where, call, 4, 4);
    const [func, type, funcArgs] = call;
    const typeName = type instanceof PickleGlobal ? type.qualifiedName : undefined;
    if (typeName !== 'torch.Tensor' && typeName !== 'torch.nn.parameter.Parameter') {
      throw wrongKind(file, type, `${where} expects torch.Tensor or torch.nn.parameter.Parameter as the type, found ${describe(type)}`);
    }
    const inner = func instanceof PickleGlobal && !func.placeholder ? func.call : undefined;
    const innerArgs = tupleItems(funcArgs);
    if (!inner || !innerArgs) {
      throw wrongKind(file, func, `${where} expects a rebuild function and its arguments, found ${describe(func)} and ${describe(funcArgs)}`);
    }
    asParameters.push(typeName === 'torch.nn.parameter.Parameter');
    if ((func as PickleGlobal).qualifiedName !== FROM_TYPE) {
      const made = inner(innerArgs);
      if (!(made instanceof TorchTensor)) throw new FormatError(file, `${where} was asked to rebuild a tensor from ${describe(func)}, which makes none`);
      tensor = made;
      break;
    }
    if (asParameters.length >= MAX_FROM_TYPE_NESTING) {
      throw new FormatError(file, `the pickle nests ${where} calls more than ${MAX_FROM_TYPE_NESTING} levels deep; at most ${MAX_FROM_TYPE_NESTING} are read`);
    }
    call = innerArgs;
  }
  for (let i = asParameters.length - 1; i >= 0; i--) {
    if (asParameters[i]) tensor = asParameter(file, where, tensor);
  }
  return tensor;
}

type Constructor = (file: string, args: readonly PickleValue[]) => PickleValue;

/** The callable allow-list: qualified name to [pure constructor, whether it is a class (NEWOBJ may use it)]. */
const CALLABLES: ReadonlyMap<string, readonly [Constructor, boolean]> = new Map(Object.entries({
  'collections.OrderedDict': [(file, args) => {
    const where = 'collections.OrderedDict';
    expectArgs(file, where, args, 0, 1);
    const dict = new PickleDict('OrderedDict');
    if (args.length === 1) fillDict(file, where, dict, args[0]);
    return dict;
  }, true],
  'torch._utils._rebuild_tensor': [(file, args) => {
    const where = 'torch._utils._rebuild_tensor';
    expectArgs(file, where, args, 4, 4);
    return rebuildTensor(file, where, args);
  }, false],
  'torch._utils._rebuild_tensor_v2': [(file, args) => {
    const where = 'torch._utils._rebuild_tensor_v2';
    expectArgs(file, where, args, 6, 7);
    return rebuildTensor(file, where, args);
  }, false],
  'torch._utils._rebuild_tensor_v3': [(file, args) => {
    const where = 'torch._utils._rebuild_tensor_v3';
    expectArgs(file, where, args, 7, 8);
    const dtype = args[6];
    const known = dtype instanceof PickleGlobal && dtype.module === 'torch' ? TORCH_DTYPES.get(dtype.name) : undefined;
    if (known === null) throw new FormatError(file, `a tensor has dtype ${describe(dtype)}, which Merge Lens cannot read`);
    if (!known) throw wrongKind(file, dtype, `${where} expects a torch dtype, found ${describe(dtype)}`);
    return rebuildTensor(file, where, args, known);
  }, false],
  'torch._utils._rebuild_parameter': [(file, args) => {
    const where = 'torch._utils._rebuild_parameter';
    expectArgs(file, where, args, 3, 3);
    return asParameter(file, where, args[0]);
  }, false],
  'torch._utils._rebuild_parameter_with_state': [(file, args) => {
    const where = 'torch._utils._rebuild_parameter_with_state';
    expectArgs(file, where, args, 4, 4);
    return asParameter(file, where, args[0]);
  }, false],
  'torch._utils._rebuild_from_type_v2': [rebuildFromType, false],
  'torch.Size': [(file, args) => {
    expectArgs(file, 'torch.Size', args, 0, 1);
    return new PickleTuple(args.length === 0 ? [] : intList(file, 'torch.Size', args[0], 'the dimensions'));
  }, true],
  'torch.device': [(file, args) => {
    expectArgs(file, 'torch.device', args, 1, 2);
    const [type, deviceIndex] = args;
    if (typeof type !== 'string') throw new FormatError(file, `torch.device expects a device type string, found ${describe(type)}`);
    return deviceIndex === undefined || deviceIndex === null ? type : `${type}:${index(file, 'torch.device', deviceIndex, 'the device index')}`;
  }, true],
  '_codecs.encode': [(file, args) => encodeText(file, '_codecs.encode', args), false],
  'builtins.bytes': [(file, args) => {
    // Protocol 2 pickles an empty bytes object as bytes().
    expectArgs(file, 'builtins.bytes', args, 0, 0);
    return new Uint8Array(0);
  }, true],
  'builtins.set': [(file, args) => makeSet(file, 'builtins.set', false, args), true],
  'builtins.frozenset': [(file, args) => makeSet(file, 'builtins.frozenset', true, args), true],
  'builtins.slice': [(file, args) => {
    expectArgs(file, 'builtins.slice', args, 1, 3);
    if (args.length === 1) return new PickleSlice(null, args[0]!, null);
    return new PickleSlice(args[0]!, args[1]!, args[2] ?? null);
  }, true],
}));

/** Globals allowed only as values: classes passed to _rebuild_from_type_v2, and the storage types. */
function isInertGlobal(module: string, name: string): boolean {
  if (module === 'torch' && (name === 'Tensor' || name === 'UntypedStorage' || STORAGE_DTYPES.has(name) || TORCH_DTYPES.has(name))) return true;
  return module === 'torch.nn.parameter' && name === 'Parameter';
}

/**
 * Modules whose globals a pickle names only to run code or reach the system (processes, files,
 * sockets, imports, code objects, other pickles). No checkpoint's data needs them.
 */
const FORBIDDEN_MODULES = [
  'os', 'posix', 'nt', 'subprocess', '_posixsubprocess', 'sys', 'shutil', 'socket', 'importlib', 'runpy',
  'ctypes', 'pty', 'code', 'codeop', 'types', 'pickle', '_pickle', 'marshal', 'shelve', 'webbrowser',
  'multiprocessing', 'signal', 'asyncio', 'threading', '_thread', 'timeit', 'pdb', 'bdb', 'trace',
  'profile', 'cProfile', 'io', '_io', 'tempfile', 'glob', 'zipimport', 'pkgutil', 'commands', 'popen2',
  // Python 2's name for builtins: Python 3 has no such module (protocol 2 pickles are mapped to builtins before this).
  '__builtin__',
];

/**
 * The builtins a hyperparameter can be made of, which become placeholders (the data types Python
 * pickles by calling them, and getattr, which Python 3.11 pickles an enum member with); every other
 * builtin (eval, exec, compile, open, __import__, setattr, ...) is refused.
 */
const BUILTIN_PLACEHOLDERS = new Set([
  'getattr', 'complex', 'range', 'bytearray', 'int', 'float', 'str', 'bool', 'list', 'dict', 'tuple', 'object',
]);

/**
 * torch's own machinery for rebuilding tensors and storages beyond the allow-list (quantized and
 * sparse tensors, storages of other kinds, a nested torch.load): whatever it builds is a tensor
 * Merge Lens cannot read, so it is refused, with the conversion to make, rather than stood in for.
 */
function isTensorMachinery(module: string, name: string): boolean {
  if (module === 'torch._utils' || module === 'torch.storage' || module === 'torch.serialization') return true;
  return QUANTIZED_GLOBALS.has(`${module}.${name}`) || (module === 'torch' && name.endsWith('Storage'));
}

function isForbidden(module: string, name: string): boolean {
  if (module === 'builtins') return !BUILTIN_PLACEHOLDERS.has(name);
  return FORBIDDEN_MODULES.some((m) => module === m || module.startsWith(`${m}.`));
}

/** The findGlobal policy for a PyTorch checkpoint in `file`. */
export function torchGlobals(file: string): (module: string, name: string) => PickleGlobal {
  return (module, name) => {
    const callable = CALLABLES.get(`${module}.${name}`);
    if (callable) {
      const [construct, isClass] = callable;
      return new PickleGlobal(module, name, (args) => construct(file, args), isClass);
    }
    if (isInertGlobal(module, name)) return new PickleGlobal(module, name);
    if (isForbidden(module, name) || isTensorMachinery(module, name)) throw refusal(file, module, name);
    return new PickleGlobal(module, name, undefined, true, true);
  };
}

/**
 * A storage reference's fields, checked: the storage type, the key naming its bytes, the device
 * it was saved from and its size in elements.
 */
export function storageReference(file: string, type: PickleValue, key: PickleValue, location: PickleValue, numel: PickleValue): TorchStorage {
  if (!(type instanceof PickleGlobal) || type.module !== 'torch' || !(type.name === 'UntypedStorage' || STORAGE_DTYPES.has(type.name))) {
    throw wrongKind(file, type, `a storage reference names ${describe(type)} as its type, which is not a torch storage class`);
  }
  if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(key)) {
    const shown = typeof key === 'string' ? `'${key.slice(0, 100)}'` : describe(key);
    throw new FormatError(file, `a storage reference has the key ${shown}, which is not a plain member name`);
  }
  if (typeof location !== 'string') throw new FormatError(file, `storage '${key}' has a location that is a ${describe(location)}, not a string`);
  const count = index(file, `storage '${key}'`, numel, 'its size');
  return new TorchStorage(key, STORAGE_DTYPES.get(type.name), location, count);
}

/**
 * The persistentLoad callback for a PyTorch archive: a storage reference
 * `('storage', storage_type, key, location, numel)` becomes a TorchStorage; its bytes are found later.
 */
export function torchPersistentLoad(file: string): (pid: PickleValue) => TorchStorage {
  return (pid) => {
    const items = pid instanceof PickleTuple ? pid.items : undefined;
    if (!items || items.length !== 5 || items[0] !== 'storage') {
      throw new FormatError(file, `has a persistent id that is not a storage reference ('storage', type, key, location, size): found ${describe(pid)}`);
    }
    const [, type, key, location, numel] = items;
    return storageReference(file, type!, key!, location!, numel!);
  };
}
