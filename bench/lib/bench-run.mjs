// The skeleton every multi-process bench shares (bench:config, bench:fleet): a results
// directory with the processes' logs, the machine it ran on, each case bounded on its own
// (a hang fails that case, never the run), and one JSON document written at the end.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { NODE, ROOT, bounded } from './cluster.mjs';

/** Starts a run of `bench`: bench/results/<bench>-<time>.json, its logs under <bench>-<time>-logs/. */
export function startBenchRun(bench) {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultsDir = path.join(ROOT, 'bench', 'results');
  const logDir = path.join(resultsDir, `${bench}-${stamp}-logs`);
  mkdirSync(logDir, { recursive: true });
  const machine = {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    node: execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim(),
    loadavg: loadavg().map((v) => Math.round(v * 10) / 10),
  };
  return { bench, logDir, machine, file: path.join(resultsDir, `${bench}-${stamp}.json`) };
}

/**
 * Runs each case within its own time limit; a case that throws or runs out is recorded with
 * its error and the figures its phases filled in `out` so far.
 * cases: [{ label, limitMs, out, run: () => Promise<result> }]
 */
export async function runBenchCases(cases, log) {
  const results = [];
  for (const c of cases) {
    try {
      results.push(await bounded(c.label, c.limitMs, c.run));
    } catch (err) {
      log(`[${c.label}] FAILED: ${err.stack ?? err}`);
      results.push({ ...c.out, error: err.message });
    }
  }
  return results;
}

/** Writes the run's JSON document; prints it (`--json`) or the human summary. */
export function finishBenchRun(run, { flags, goals, results }, summary) {
  const result = { bench: run.bench, at: new Date().toISOString(), machine: run.machine, flags, goals, results };
  writeFileSync(run.file, `${JSON.stringify(result, null, 2)}\n`);
  if (flags.json) console.log(JSON.stringify(result, null, 2));
  else console.log(`\n${summary}\n\nwritten: ${path.relative(ROOT, run.file)} (logs: ${path.relative(ROOT, run.logDir)})`);
}
