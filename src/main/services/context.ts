import { randomBytes } from 'node:crypto';
import { ExifToolReader } from '../analysis/exiftool';
import type { Case } from '../../contract/case';
import type { IpcError } from '../../contract/ipc';
import type { Config, ConfigStore } from '../config';
import { ModelCatalogue } from '../inference/catalogue';
import type { IngestOptions } from '../ingest';
import { EventBus } from '../jobs/events';
import { JobRegistry } from '../jobs/registry';
import { silentLogger, type Logger } from '../logger';
import type { PdfPrinter } from '../reports';
import { AnchorBook, type CaseStore } from '../store';

export interface AppServicesOptions {
  /** The configuration the entry point built (the Settings view updates it). */
  config: ConfigStore;
  /** The entry point's logger (a file in the state folder in the app). */
  log?: Logger;
  shell: 'electron' | 'test-server';
  /**
   * The native folder dialog, or its stand-in. Absent (the app served to a plain browser): the
   * renderer browses folders through fs.folders instead.
   */
  pickFolder?: (purpose: 'case' | 'import', title?: string) => Promise<string | null>;
  /**
   * The native save dialog, or its stand-in. What it returns reaches the renderer only as an
   * opaque handle: an output path is never something the renderer chooses. Absent → no report
   * can be exported from the renderer.
   */
  pickSaveFile?: (purpose: 'report', defaultName?: string) => Promise<string | null>;
  /** Prints report pages: Electron's printToPDF in the app, headless Chromium by default. */
  printer?: PdfPrinter;
}

export interface OpenCase {
  dir: string;
  store: CaseStore;
  case: Case;
}

/** State shared by the service areas: the configuration, the open case (one at a time), jobs and events. */
export class AppContext {
  readonly events = new EventBus();
  readonly jobs = new JobRegistry(this.events);
  readonly log: Logger;
  current: OpenCase | null = null;
  /** This installation's audit anchors and their key, in the state folder (never in a case folder). */
  readonly anchors: AnchorBook;

  constructor(readonly options: AppServicesOptions) {
    this.log = options.log ?? silentLogger;
    this.anchors = new AnchorBook(options.config.current.stateDir);
  }

  /** The configuration in force now (read it per request: the Settings view may change it). */
  get config(): Config {
    return this.options.config.current;
  }

  /** The models in force now: the catalogue of the current configuration. */
  get catalogue(): ModelCatalogue {
    return ModelCatalogue.fromConfig(this.config, this.log.child('models'));
  }

  /** The configured limits for reading images. */
  get ingest(): IngestOptions {
    return { maxPixels: this.config.maxPixels, maxFileBytes: this.config.maxFileBytes };
  }

  /** Who works at this workstation (Settings), else the case's examiner. */
  examiner(): string {
    return this.config.examinerName || this.current?.case.examiner || '';
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

  private exiftoolReader: ExifToolReader | null = null;

  /** The one ExifTool reader of this process (a Perl child started on first use, closed with the services). */
  exiftool(): ExifToolReader {
    this.exiftoolReader ??= new ExifToolReader();
    return this.exiftoolReader;
  }

  async closeExiftool(): Promise<void> {
    const reader = this.exiftoolReader;
    this.exiftoolReader = null;
    await reader?.close();
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
