#!/usr/bin/env node
// A native-solc command-line face for the npm `solc` package (solcjs), so that
// foundry-compilers and forge can use it: `--version` and `--standard-json` (input on stdin,
// output JSON on stdout). Other flags that forge/foundry-compilers pass (--base-path,
// --include-path, --allow-paths) set where imports are resolved.
'use strict';
const fs = require('fs');
const path = require('path');

const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));
const args = process.argv.slice(2);

if (args.includes('--version') || args.includes('-v')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}

if (!args.includes('--standard-json')) {
  process.stderr.write('scripts/solc: only --version and --standard-json are supported (solcjs wrapper)\n');
  process.exit(2);
}

// Reading fd 0 of a non-blocking pipe can fail with EAGAIN; /dev/stdin opens it afresh.
function readStdin() {
  try {
    return fs.readFileSync('/dev/stdin', 'utf8');
  } catch (e) {
    const chunks = [];
    const buf = Buffer.alloc(1 << 16);
    for (;;) {
      let n;
      try {
        n = fs.readSync(0, buf, 0, buf.length, null);
      } catch (err) {
        if (err.code === 'EAGAIN') continue;
        throw err;
      }
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

const roots = [process.cwd()];
for (let i = 0; i < args.length; i++) {
  if ((args[i] === '--base-path' || args[i] === '--include-path' || args[i] === '--allow-paths') && args[i + 1]) {
    for (const p of args[i + 1].split(',')) roots.push(path.resolve(p));
    i++;
  }
}

function findImports(p) {
  for (const root of roots) {
    const full = path.isAbsolute(p) ? p : path.join(root, p);
    if (fs.existsSync(full)) return { contents: fs.readFileSync(full, 'utf8') };
  }
  return { error: `File not found: ${p} (searched ${roots.join(', ')})` };
}

const input = readStdin();
const output = solc.compile(input, { import: findImports });
process.stdout.write(output);
process.stdout.write('\n');
