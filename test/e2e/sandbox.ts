/**
 * `npm run sandbox`: Merge Lens in a real VS Code in a minute. Installs the freshly packaged VSIX
 * into a private code-server on loopback, opens the demo workspace (the two MNIST MLPs, their
 * held-out digits and the width series, trained on first use) and prints the address to open in
 * a browser. `npm run sandbox -- FOLDER` opens that folder instead, to try your own checkpoints.
 * Ctrl-C stops it and removes everything it made except the demo's cached files.
 */
import { join } from 'node:path';
import { repoRoot, startCodeServer } from './codeServer';
import { makeDemoWorkspace } from './demoWorkspace';
import { codeServerBin, packagedVsix } from './prerequisites';
import { sandboxOptions } from './sandboxOptions';

async function main(): Promise<void> {
  const options = sandboxOptions(process.argv.slice(2), process.env, process.cwd());
  let folder = options.folder;
  if (folder === null) {
    process.stderr.write('preparing the demo workspace (the first run trains two small MLPs and a width series of eight, and compares them: under a minute)…\n');
    folder = makeDemoWorkspace(join(repoRoot, '.merge-lens', 'sandbox'));
  }
  const bin = codeServerBin();
  const server = await startCodeServer({ bin, vsix: packagedVsix(), port: options.port });
  const url = server.urlFor(folder);
  const next =
    options.folder === null
      ? [
          'Open it in a browser, then run "Merge Lens: Compare Checkpoints" from the palette (F1)',
          'with demo-a.safetensors, demo-b.safetensors and demo-test.safetensors, or right-click two',
          'checkpoints in the explorer. "Merge Lens: Compare Series…" with series/series.json shows the',
          'width series (16 to 128 units, about 15 s); click a point to open that pair. Ctrl-C stops the server.',
        ]
      : [
          `It opens ${folder}. Open it in a browser, then run "Merge Lens: Compare Checkpoints" from the`,
          'palette (F1) and pick two of your checkpoints and, optionally, an evaluation dataset, or',
          'right-click two checkpoints in the explorer. Nothing is written to your folder but the exports you',
          'ask for (results are cached in code-server\'s temporary folder). Ctrl-C stops the server.',
        ];
  process.stdout.write(['', 'Merge Lens is running in code-server (VS Code in the browser), on this machine only:', '', `  ${url}`, '', ...next, ''].join('\n'));
  // Runs until Ctrl-C: startCodeServer's exit hook then stops the server and removes its folder.
}

main().catch((error: unknown) => {
  process.stderr.write(`merge-lens sandbox: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
