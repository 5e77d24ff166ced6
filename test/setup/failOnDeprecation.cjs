// Preloaded into every unit test process (`node --require` in package.json's test:unit; the test
// runner passes it on to each file's process). A deprecation warning, such as DEP0137 for a file
// handle left for the garbage collector to close, fails the file that printed it: a warning alone
// scrolls past in a passing run and would come back unnoticed.
'use strict';

process.on('warning', (warning) => {
  if (warning.name !== 'DeprecationWarning') return;
  process.exitCode = 1;
  process.stderr.write(
    `failOnDeprecation: the ${warning.code ?? 'deprecation'} warning above fails this test file` +
      `${warning.code === 'DEP0137' ? ' (a file was opened and never closed: close it on every path, errors included)' : ''}\n`,
  );
});
