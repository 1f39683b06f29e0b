import { ipcMain, type BrowserWindow } from 'electron';
import { EVENT_NAMES, IPC_EVENT, IPC_INVOKE } from '../../contract/channels';
import type { AppServices } from '../services';

/**
 * One ipcMain handler for the whole contract: the channel name travels with the request and
 * AppServices.dispatch validates channel and payload before any engine code runs. The per-area
 * logic lives in src/main/services (shared with the test server), not here.
 */
export function registerIpc(services: AppServices, windows: () => BrowserWindow[]): () => void {
  ipcMain.handle(IPC_INVOKE, (_event, channel: unknown, payload: unknown) => services.dispatch(String(channel), payload));
  const unsubscribe = services.events.subscribe((event, payload) => {
    if (!EVENT_NAMES.includes(event)) return;
    for (const win of windows()) if (!win.isDestroyed()) win.webContents.send(IPC_EVENT, event, payload);
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(IPC_INVOKE);
  };
}
