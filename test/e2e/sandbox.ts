/**
 * `npm run sandbox`: Merge Lens in a real VS Code in a minute. Installs the freshly packaged VSIX
 * into a private code-server on loopback, opens the demo workspace (the two MNIST MLPs, their
 * held-out digits and the width series, trained on first use) and prints the address to open in
 * a browser. Ctrl-C stops it and removes everything it made except the demo's cached files.
 */
import { join } from 'node:path';
import { repoRoot, startCodeServer } from './codeServer';
import { makeDemoWorkspace } from './demoWorkspace';
import { codeServerBin, packagedVsix } from './prerequisites';

/** A fixed port by default, so a bookmark keeps working; MERGE_LENS_SANDBOX_PORT=0 takes any free one. */
const DEFAULT_PORT = 8737;

async function main(): Promise<void> {
  const requested = process.env.MERGE_LENS_SANDBOX_PORT;
  const port = requested === undefined ? DEFAULT_PORT : Number(requested);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`MERGE_LENS_SANDBOX_PORT=${requested} is not a port number`);
  process.stderr.write('preparing the demo workspace (the first run trains two small MLPs and a width series of eight, and compares them: under a minute)…\n');
  const folder = makeDemoWorkspace(join(repoRoot, '.merge-lens', 'sandbox'));
  const bin = codeServerBin();
  const server = await startCodeServer({ bin, vsix: packagedVsix(), port });
  const url = server.urlFor(folder);
  process.stdout.write(
    [
      '',
      'Merge Lens is running in code-server (VS Code in the browser), on this machine only:',
      '',
      `  ${url}`,
      '',
      'Open it in a browser, then run "Merge Lens: Compare Checkpoints" from the palette (F1)',
      'with demo-a.safetensors, demo-b.safetensors and demo-test.safetensors, or right-click two',
      'checkpoints in the explorer. "Merge Lens: Compare Series…" with series/series.json shows the',
      'width series (16 to 128 units, about 15 s); click a point to open that pair. Ctrl-C stops the server.',
      '',
    ].join('\n'),
  );
  // Runs until Ctrl-C: startCodeServer's exit hook then stops the server and removes its folder.
}

main().catch((error: unknown) => {
  process.stderr.write(`merge-lens sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
