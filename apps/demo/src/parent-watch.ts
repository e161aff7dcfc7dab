// Preloaded into every process the demo starts (`node --import parent-watch.js app.js`):
// if the demo dies without cleaning up (SIGKILL, a crash), its children notice that they
// were re-parented and shut themselves down, so nothing is left behind. The apps
// themselves stay unaware of the demo. Only active when DEMO_PARENT_PID is set.
const parentPid = Number(process.env['DEMO_PARENT_PID']);
const graceMs = 5_000;

if (Number.isInteger(parentPid) && parentPid > 0) {
  const timer = setInterval(() => {
    // process.ppid is read live: it changes to 1 (or a subreaper) once the parent is gone.
    if (process.ppid === parentPid) return;
    clearInterval(timer);
    // The app's own SIGTERM handler drains as usual; exit anyway if that takes too long.
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.exit(1), graceMs).unref();
  }, 500);
  // Never the reason a process stays alive.
  timer.unref();
}

export {};
