// Exposes exactly the IPC contract to the sandboxed renderer as `window.provenance`.
// Channels outside the contract are refused here as well as in main.
import { contextBridge, ipcRenderer } from 'electron';
import { CHANNELS, EVENT_NAMES, IPC_EVENT, IPC_INVOKE, type Channel, type EventName } from '../contract/channels';
import type { ProvenanceApi } from '../contract/ipc';
import { electronMediaUrl } from '../contract/media';

const channels = new Set<string>(CHANNELS);
const events = new Set<string>(EVENT_NAMES);

const api: ProvenanceApi = {
  invoke(channel, request) {
    if (!channels.has(channel)) return Promise.resolve({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `Unknown channel "${channel}"` } });
    return ipcRenderer.invoke(IPC_INVOKE, channel satisfies Channel, request);
  },
  on(event, listener) {
    if (!events.has(event)) throw new Error(`Unknown event "${event}"`);
    const handler = (_e: Electron.IpcRendererEvent, name: EventName, payload: unknown) => {
      if (name === event) listener(payload as Parameters<typeof listener>[0]);
    };
    ipcRenderer.on(IPC_EVENT, handler);
    return () => ipcRenderer.off(IPC_EVENT, handler);
  },
  mediaUrl: electronMediaUrl,
};

contextBridge.exposeInMainWorld('provenance', api);
