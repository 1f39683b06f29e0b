import type { Case } from '../../contract/case';
import type { IpcError } from '../../contract/ipc';
import { EventBus } from '../jobs/events';
import { JobRegistry } from '../jobs/registry';
import type { PdfPrinter } from '../reports';
import type { CaseStore } from '../store';
import { defaultUserModelsDir } from '../training/paths';

export interface AppServicesOptions {
  /** App-level state (recent cases): Electron's userData, a temp dir in tests. */
  stateDir: string;
  shell: 'electron' | 'test-server';
  /** The native folder dialog, or its stand-in. */
  pickFolder: (purpose: 'case' | 'import', title?: string) => Promise<string | null>;
  /** The native save dialog, or its stand-in; absent → the renderer must type a path. */
  pickSaveFile?: (purpose: 'report', defaultName?: string) => Promise<string | null>;
  /** Prints report pages: Electron's printToPDF in the app, headless Chromium by default. */
  printer?: PdfPrinter;
  modelsDir?: string;
  /** Trained model versions; default: defaultUserModelsDir() (the CLI uses the same folder). */
  userModelsDir?: string;
}

export interface OpenCase {
  dir: string;
  store: CaseStore;
  case: Case;
}

/** State shared by the service areas: the open case (one at a time), jobs and events. */
export class AppContext {
  readonly events = new EventBus();
  readonly jobs = new JobRegistry(this.events);
  current: OpenCase | null = null;

  readonly userModelsDir: string;

  constructor(readonly options: AppServicesOptions) {
    this.userModelsDir = options.userModelsDir ?? defaultUserModelsDir();
  }

  requireCase(): OpenCase {
    if (!this.current) throw new ServiceError('NO_CASE_OPEN', 'No case is open. Create or open a case first.');
    return this.current;
  }
}

/** A failure with a code the renderer can branch on; its message is shown to the user. */
export class ServiceError extends Error {
  constructor(readonly code: IpcError['code'], message: string) {
    super(message);
  }
}
