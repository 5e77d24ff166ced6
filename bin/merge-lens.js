#!/usr/bin/env node
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'dist', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('merge-lens: the CLI is not built yet; run `npm run build` in the repository first\n');
  process.exit(70);
}
require(cli);
