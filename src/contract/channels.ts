// Channel and event names alone, without schemas, so the sandboxed preload can allow-list
// them without bundling the validation library. ipc.ts checks that its schemas cover exactly these.
export const CHANNELS = [
  'app.info',
  'cases.recent',
  'cases.create',
  'cases.open',
  'cases.current',
  'dialog.pickFolder',
  'fs.folders',
  'evidence.import',
  'evidence.relink',
  'evidence.list',
  'evidence.get',
  'evidence.rerunEla',
  'analysis.list',
  'analysis.run',
  'review.set',
  'jobs.list',
  'jobs.cancel',
  'audit.list',
  'case.verify',
  'models.list',
  'dialog.saveFile',
  'datasets.detect',
  'evaluation.start',
  'evaluation.list',
  'evaluation.get',
  'evaluation.flag',
  'evaluation.flags',
  'evaluation.itemEla',
  'report.export',
  'training.environment',
  'training.start',
  'training.head',
  'models.versions',
  'models.activate',
  'models.rollback',
  'models.discard',
  'models.compare',
  'settings.get',
  'settings.update',
] as const;
export type Channel = (typeof CHANNELS)[number];

export const EVENT_NAMES = ['job.progress', 'job.fileError', 'job.finished', 'evidence.changed', 'training.event'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** The single ipcMain handler name; the channel travels as the first argument. */
export const IPC_INVOKE = 'provenance:invoke';
/** Prefix of main → renderer event messages: `provenance:event`. */
export const IPC_EVENT = 'provenance:event';
/** Media URL scheme registered by the Electron shell. */
export const MEDIA_SCHEME = 'evidence';
