export { closeServer } from './close-server.js';
export { freePort } from './free-port.js';
export { listenLocal } from './listen-local.js';
export { metricSample } from './metric-sample.js';
export { tempDirs, type TempDirs } from './temp-dirs.js';
export { waitFor, type WaitForOptions } from './wait-for.js';
