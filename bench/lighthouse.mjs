// Lighthouse over a list of pages in one Chrome, for bench/lighthouse.py.
//
// Reads {"chrome": path, "out": folder, "runs": [{"name", "url", "form", "skip"}]}
// as JSON on stdin ("skip": audit ids left out of that run); writes each run's report
// to <out>/<form>-<name>.json and prints one JSON line per run ({"name", "form",
// "scores": {category: 0-100}, "error"}). One Chrome serves every run
// (Lighthouse resets its cache and storage before each navigation): starting Chrome
// and Lighthouse again for each page would double the time.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";

import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";

const CATEGORIES = ["performance", "accessibility", "best-practices", "seo"];

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

const job = await readStdin();
const chrome = await chromeLauncher.launch({
  chromePath: job.chrome,
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu"],
});
let failed = false;
try {
  for (const run of job.runs) {
    const flags = {
      port: chrome.port,
      output: "json",
      logLevel: "error",
      onlyCategories: CATEGORIES,
      disableFullPageScreenshot: true,
      skipAudits: run.skip || [],
    };
    const config = run.form === "desktop" ? desktopConfig : undefined;
    const result = await lighthouse(run.url, flags, config);
    const lhr = result.lhr;
    await writeFile(join(job.out, `${run.form}-${run.name}.json`), result.report);
    const scores = {};
    for (const id of CATEGORIES) {
      const score = lhr.categories[id].score;
      scores[id] = score === null ? null : Math.round(score * 100);
    }
    const error = lhr.runtimeError ? lhr.runtimeError.message : null;
    if (error) failed = true;
    console.log(JSON.stringify({ name: run.name, form: run.form, scores, error }));
  }
} finally {
  await chrome.kill();
}
process.exitCode = failed ? 1 : 0;
