import { fileURLToPath } from 'node:url';

/** The directory of the built page (index.html, fleet.css, the browser modules), for the controller to serve at `/ui/`. */
export const fleetUiRoot: string = fileURLToPath(new URL('./browser/', import.meta.url));
