// The Electron shell: lifecycle, the one window, security settings and the IPC bridge.
// All behaviour lives in the engine (src/main/*) behind AppServices; nothing here is tested
// except by the type-checker, so keep it this thin.
import { join } from 'node:path';
import { app, BrowserWindow, dialog } from 'electron';
import { createAppServices } from '../services';
import { registerIpc } from './ipc';
import { handleMediaProtocol, registerMediaScheme } from './media';
import { ElectronPrinter, registerReportScheme } from './printer';
import { denyNavigation, lockDownSession } from './security';

const log = (message: string) => console.log(`[provenance] ${message}`);
registerMediaScheme();
registerReportScheme();

async function main(): Promise<void> {
  await app.whenReady();
  const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
  lockDownSession(log, devUrl ? new URL(devUrl).origin : undefined);

  const services = createAppServices({
    stateDir: app.getPath('userData'),
    shell: 'electron',
    modelsDir: app.isPackaged ? join(process.resourcesPath, 'models') : undefined,
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
    printer: new ElectronPrinter(),
  });
  handleMediaProtocol(services);
  registerIpc(services, () => BrowserWindow.getAllWindows());

  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Provenance Lab',
    backgroundColor: '#15171a',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  denyNavigation(win.webContents, log);
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
