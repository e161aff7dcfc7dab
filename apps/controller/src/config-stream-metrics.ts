import type { ConfigServerCallbacks } from '@gw/config-server';
import { Counter, type Registry } from 'prom-client';

/**
 * What the config stream puts on the wire, by mode (`full`: the whole state; `delta`: only
 * what changed since the state the runtime holds, issue 13): responses, resources carried,
 * resources removed by deltas, and encoded bytes. Kept apart from ControllerMetrics so the
 * delta path's counters live next to what they measure.
 */
export class ConfigStreamMetrics {
  /** Pass to the ConfigServer (through combineCallbacks). */
  readonly callbacks: ConfigServerCallbacks;

  constructor(registry: Registry) {
    const registers = [registry];
    const responses = new Counter({
      name: 'gateway_controller_config_stream_responses_total',
      help: 'Config responses sent to runtimes, by mode (full: the whole state; delta: only what changed)',
      labelNames: ['mode'],
      registers,
    });
    const resources = new Counter({
      name: 'gateway_controller_config_stream_resources_total',
      help: 'Resources carried by config responses, by mode (a delta carries only the added or changed ones)',
      labelNames: ['mode'],
      registers,
    });
    const removed = new Counter({ name: 'gateway_controller_config_stream_removed_resources_total', help: 'Resources removed by delta responses', registers });
    const bytes = new Counter({
      name: 'gateway_controller_config_stream_bytes_total',
      help: 'Encoded bytes of config responses sent to runtimes, by mode',
      labelNames: ['mode'],
      registers,
    });
    for (const mode of ['full', 'delta']) {
      responses.inc({ mode }, 0);
      resources.inc({ mode }, 0);
      bytes.inc({ mode }, 0);
    }
    this.callbacks = {
      onResponseSent: (_session, sent) => {
        const mode = sent.mode ?? 'full';
        responses.inc({ mode });
        resources.inc({ mode }, sent.resources ?? 0);
        if (sent.removed) removed.inc(sent.removed);
        if (sent.bytes) bytes.inc({ mode }, sent.bytes);
      },
    };
  }
}
