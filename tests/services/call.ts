import type { Channel, IpcResult, Request, Responses } from '../../src/contract/ipc';
import type { AppServices } from '../../src/main/services';

/** Dispatches like the renderer does and unwraps the value; an error value fails the test with its code and message. */
export function caller(services: () => AppServices) {
  return async function call<C extends Channel>(channel: C, req: Request<C>): Promise<Responses[C]> {
    const r = (await services().dispatch(channel, req)) as IpcResult<C>;
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    return r.value;
  };
}
