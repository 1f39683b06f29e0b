// The Electron shell: lifecycle, the one window, security settings and the IPC bridge.
// All behaviour lives in the engine (src/main/*) behind AppServices, and every security setting
// in security.ts, schemes.ts and printer.ts, which tests/electron check against a fake of the
// Electron API; keep this file to wiring. An entry point: it builds the configuration and the
// logger once and hands them down.
import { join } from 'node:path';
import { app, BrowserWindow, dialog, protocol, session } from 'electron';
import { ConfigStore, installLayoutFrom, type InstallLayout } from '../config';
import { createLogger } from '../logger';
import { createAppServices } from '../services';
import { registerIpc } from './ipc';
import { handleMediaProtocol } from './media';
import { ElectronPrinter } from './printer';
import { registerPrivilegedSchemes } from './schemes';
import { applyCommandLineSwitches, hardenWebContents, lockDownSession, mainWindowOptions } from './security';

/** Security messages: into the log file once the configuration is built, on stderr before that. */
let securityLog: (message: string) => void = (message) => console.warn(`[provenance] ${message}`);
const log = (message: string) => securityLog(message);
// Both before 'ready': one privileged-schemes call (Electron allows one), WebRTC kept off the network.
registerPrivilegedSchemes(protocol);
applyCommandLineSwitches(app.commandLine);
// Every web contents, whatever creates it (the window, the report printer, devtools).
app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, log));

/** Where the app's files are: inside the package when packaged (resources outside the asar), else the checkout. */
function installLayout(): InstallLayout {
  const rendererDir = join(import.meta.dirname, '../renderer');
  if (app.isPackaged) return { appRoot: app.getAppPath(), resourcesDir: process.resourcesPath, rendererDir };
  return { ...installLayoutFrom(import.meta.url), rendererDir };
}

async function main(): Promise<void> {
  await app.whenReady();
  const config = new ConfigStore({ install: installLayout(), defaultStateDir: app.getPath('userData') });
  const logger = createLogger({ level: config.current.logLevel, file: config.current.logFile, stderrLevel: 'warn' });
  for (const problem of config.current.problems) logger.warn(problem);
  const security = logger.child('security');
  securityLog = (message) => security.warn(message);
  const devUrl = !app.isPackaged ? (config.current.rendererDevUrl ?? undefined) : undefined;
  lockDownSession(session.defaultSession, log, devUrl ? new URL(devUrl).origin : undefined);

  const services = createAppServices({
    config,
    log: logger,
    shell: 'electron',
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
  else await win.loadFile(join(config.current.rendererDir, 'index.html'));

  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    void services.close();
  });
}

main().catch((err) => {
  console.error(err);
  app.exit(1);
});
