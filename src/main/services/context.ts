import { randomBytes } from 'node:crypto';
import type { Case } from '../../contract/case';
import type { IpcError } from '../../contract/ipc';
import { EventBus } from '../jobs/events';
import { JobRegistry } from '../jobs/registry';
import type { PdfPrinter } from '../reports';
import { AnchorBook, type CaseStore } from '../store';
import { defaultUserModelsDir } from '../training/paths';

export interface AppServicesOptions {
  /** App-level state (recent cases, the audit-anchor key and log): Electron's userData, a temp dir in tests. */
  stateDir: string;
  shell: 'electron' | 'test-server';
  /** The native folder dialog, or its stand-in. */
  pickFolder: (purpose: 'case' | 'import', title?: string) => Promise<string | null>;
  /**
   * The native save dialog, or its stand-in. What it returns reaches the renderer only as an
   * opaque handle: an output path is never something the renderer chooses. Absent → no report
   * can be exported from the renderer.
   */
  pickSaveFile?: (purpose: 'report', defaultName?: string) => Promise<string | null>;
  /** The Python interpreter configured in the settings or on the command line (never by the renderer). */
  python?: string;
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
  /** This installation's audit anchors and their key, in the state folder (never in a case folder). */
  readonly anchors: AnchorBook;

  constructor(readonly options: AppServicesOptions) {
    this.userModelsDir = options.userModelsDir ?? defaultUserModelsDir();
    this.anchors = new AnchorBook(options.stateDir);
  }

  /** Save-dialog answers waiting to be used, by handle (see rememberSaveTarget). */
  private readonly saveTargets = new Map<string, { path: string; purpose: 'report'; expires: number }>();

  /** Stores a path the save dialog returned and gives the renderer a single-use handle for it. */
  rememberSaveTarget(path: string, purpose: 'report', ttlMs = 60 * 60 * 1000): string {
    const now = Date.now();
    for (const [h, t] of this.saveTargets) if (t.expires < now) this.saveTargets.delete(h);
    const handle = randomBytes(16).toString('hex');
    this.saveTargets.set(handle, { path, purpose, expires: now + ttlMs });
    return handle;
  }

  /** The path behind a handle, once: a second use, an expired or unknown handle is refused. */
  claimSaveTarget(handle: string, purpose: 'report'): string {
    const target = this.saveTargets.get(handle);
    this.saveTargets.delete(handle);
    if (!target || target.purpose !== purpose || target.expires < Date.now()) {
      throw new ServiceError('INVALID_REQUEST', 'Choose where the file goes with the save dialog first (the choice is used once and expires after an hour).');
    }
    return target.path;
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
