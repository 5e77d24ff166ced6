/**
 * Says once, at the first comparison that fell back from native TensorFlow, what that costs and
 * how to get it: a line in the Merge Lens output channel and a notification that can be turned
 * off for good. No `vscode` import: extension.ts hands in the channel, the notification and the
 * stored choice, so the decision is tested alone.
 */
import type { CompareReport } from '../shared/compareReport';
import { NATIVE_BACKEND_PACKAGE, nativeBackendMissing } from '../shared/nativeBackend';

/** globalState key: the user chose "Don't Show Again". */
export const BACKEND_HINT_DISMISSED = 'mergeLens.nativeBackendHintDismissed';
export const DONT_SHOW_AGAIN = "Don't Show Again";

/**
 * GFLOP/s per core on a 2000×784 × 784×512 matrix product, as README's Performance measured them
 * on a two-core machine. 'native' is PyTorch's kernels: tfjs-node's own could not be measured
 * there (its native library could not be downloaded), so the factor is native kernels' in general.
 */
const GFLOPS_PER_CORE = { cpu: 1, wasm: 47, native: 138 } as const;

export interface BackendHintText {
  /** For the output channel: what ran, the measured figures, how to get native TensorFlow. */
  readonly line: string;
  /** For the notification: the same, short. */
  readonly message: string;
}

/** The hint for a report, or null when native TensorFlow ran or another backend was asked for. */
export function backendHintText(report: Pick<CompareReport, 'backend' | 'backendDetail' | 'request'>, extensionFolder: string): BackendHintText | null {
  if (report.request.backend !== 'auto' || (report.backend !== 'wasm' && report.backend !== 'cpu')) return null;
  const why = nativeBackendMissing(report.backendDetail);
  if (!why) return null;
  const ran = report.backend === 'wasm' ? 'WebAssembly' : 'plain JavaScript';
  const speed = GFLOPS_PER_CORE[report.backend];
  const slower = Math.round(GFLOPS_PER_CORE.native / speed);
  const command = `npm install --omit=dev ${NATIVE_BACKEND_PACKAGE}`;
  return {
    line:
      `Backend: ${report.backendDetail}. Merge Lens computes in ${ran}: on a matrix product it ran at ${speed} GFLOP/s a core ` +
      `where native kernels ran at ${GFLOPS_PER_CORE.native} (PyTorch's, README Performance; tfjs-node's own speed was not measured), about ${slower}× slower. ` +
      `For native TensorFlow, run ${command} in ${extensionFolder} (it downloads the TensorFlow library) and reload the window. ` +
      `Where the download fails, npm leaves it out without an error: the panel's Backend line says which backend ran. ` +
      `The merge-lens command line uses it when it is installed in its own folder's node_modules.`,
    // A notification shows plain text: no markdown.
    message: `Merge Lens computes in ${ran} (${why}), about ${slower}× slower per core than native kernels. For native TensorFlow, run ${command} in ${extensionFolder} and reload the window.`,
  };
}

/** What the hint needs of the editor. */
export interface BackendHintHost {
  readonly log: (line: string) => void;
  /** Shows the notification; resolves to the button chosen, if any. */
  readonly notify: (message: string, button: string) => PromiseLike<string | undefined>;
  readonly dismissed: () => boolean;
  readonly dismiss: () => PromiseLike<void>;
}

export class BackendHint {
  private said = false;

  constructor(
    private readonly host: BackendHintHost,
    private readonly extensionFolder: string,
  ) {}

  /** Called with every report shown; speaks at most once a session. */
  async consider(report: Pick<CompareReport, 'backend' | 'backendDetail' | 'request'>): Promise<void> {
    if (this.said) return;
    const text = backendHintText(report, this.extensionFolder);
    if (!text) return;
    this.said = true;
    this.host.log(text.line);
    if (this.host.dismissed()) return;
    if ((await this.host.notify(text.message, DONT_SHOW_AGAIN)) === DONT_SHOW_AGAIN) await this.host.dismiss();
  }
}
