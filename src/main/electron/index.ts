// The Electron shell: lifecycle, the one window, security settings and the IPC bridge.
// All behaviour lives in the engine (src/main/*) behind AppServices, and every security setting
// in security.ts, schemes.ts and printer.ts, which tests/electron check against a fake of the
// Electron API; keep this file to wiring.
import { join } from 'node:path';
import { app, BrowserWindow, dialog, protocol, session } from 'electron';
import { createAppServices } from '../services';
import { registerIpc } from './ipc';
import { handleMediaProtocol } from './media';
import { ElectronPrinter } from './printer';
import { registerPrivilegedSchemes } from './schemes';
import { applyCommandLineSwitches, hardenWebContents, lockDownSession, mainWindowOptions } from './security';

const log = (message: string) => console.log(`[provenance] ${message}`);
// Both before 'ready': one privileged-schemes call (Electron allows one), WebRTC kept off the network.
registerPrivilegedSchemes(protocol);
applyCommandLineSwitches(app.commandLine);
// Every web contents, whatever creates it (the window, the report printer, devtools).
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, log));

async function main(): Promise<void> {
  await app.whenReady();
  const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
  lockDownSession(session.defaultSession, log, devUrl ? new URL(devUrl).origin : undefined);

  const services = createAppServices({
    stateDir: app.getPath('userData'),
    shell: 'electron',
    modelsDir: app.isPackaged ? join(process.resourcesPath, 'models') : undefined,
    // The interpreter the training channels run: the installation's setting, never the renderer's choice.
    python: process.env.PROVENANCE_PYTHON,
    pickFolder: async (purpose, title) => {
      const win = BrowserWindow.getFocusedWindow();
      const options: Electron.OpenDialogOptions = {
        title: title ?? (purpose === 'case' ? 'Choose the case folder' : 'Choose a folder of images to import'),
        properties: ['openDirectory', 'createDirectory'],
      };
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    pickSaveFile: async (_purpose, defaultName) => {
      const options: Electron.SaveDialogOptions = { title: 'Save the case report', defaultPath: defaultName ?? 'report.pdf', filters: [{ name: 'PDF', extensions: ['pdf'] }] };
      const win = BrowserWindow.getFocusedWindow();
      const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      return result.canceled ? null : (result.filePath ?? null);
    },
    printer: new ElectronPrinter({ fromPartition: (partition, options) => session.fromPartition(partition, options), createWindow: (options) => new BrowserWindow(options) }, log),
  });
  handleMediaProtocol(services, protocol);
  registerIpc(services, () => BrowserWindow.getAllWindows());

  const win = new BrowserWindow(mainWindowOptions(join(import.meta.dirname, '../preload/index.js')));
  if (devUrl) await win.loadURL(devUrl);
  else await win.loadFile(join(import.meta.dirname, '../renderer/index.html'));

  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    void services.close();
  });
}

main().catch((err) => {
  console.error(err);
  app.exit(1);
});
