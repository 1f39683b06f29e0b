// The Training view's state outside any one component: the model registry as last fetched, and
// what each training job of this window has reported (curves, stages, the registered version).
// Events are collected from the moment the view first opens, so switching views mid-run keeps
// the curves.
import type { ModelInfo } from '../../../contract/ipc';
import type { DeviceInfo, EpochRecord, ModelVersion, ModelVersionList, TrainingJobSpec } from '../../../contract/training';
import { call, errorMessage, onEvent } from '../../lib/api';
import { jobs } from '../../lib/jobs.svelte';

export interface Point {
  x: number;
  y: number | null;
}

export interface LiveRun {
  jobId: string;
  kind: 'head' | 'python';
  label: string;
  /** Python runs: what was sent, so a cancelled run can be resumed with the same job. */
  spec?: TrainingJobSpec;
  /** Python runs: the run's id in the app's training folder, to resume it. */
  runId?: string;
  device: DeviceInfo | null;
  /** Loss of each optimisation step (x = global step). */
  stepLoss: Point[];
  epochs: EpochRecord[];
  /** Head training: the stages passed, newest last. */
  stages: { stage: string; message: string }[];
  /** Head training: fit loss per iteration. */
  fit: Point[];
  registered: ModelVersion | null;
  /** The trainer's warnings and errors, for the user to read. */
  messages: string[];
}

/** Step curves longer than this are thinned (every other point) so redraws stay cheap. */
const MAX_STEP_POINTS = 4000;

class TrainingState {
  models = $state.raw<ModelInfo[]>([]);
  /** Test fixtures the developer setting hides (Settings). */
  hiddenFixtures = $state.raw<string[]>([]);
  versions = $state.raw<ModelVersionList[]>([]);
  loadError = $state<string | null>(null);
  actionError = $state<string | null>(null);
  busy = $state(false);
  runs = $state<Record<string, LiveRun>>({});
  /** The run shown in the live panel. */
  currentId = $state<string | null>(null);
  current = $derived(this.currentId ? (this.runs[this.currentId] ?? null) : null);

  private listening = false;

  listen(): void {
    if (this.listening) return;
    this.listening = true;
    onEvent('training.event', ({ jobId, event }) => {
      // The first events of a job can arrive before the call that started it has answered;
      // keep them under the job id so follow() finds them.
      this.runs[jobId] ??= this.emptyRun(jobId, event.type === 'stage' || event.type === 'fit' ? 'head' : 'python', 'Training');
      const run = this.runs[jobId];
      switch (event.type) {
        case 'start':
          run.device = event.device;
          break;
        case 'step':
          run.stepLoss.push({ x: event.globalStep, y: event.loss });
          if (run.stepLoss.length > MAX_STEP_POINTS) run.stepLoss = run.stepLoss.filter((_, i) => i % 2 === 0);
          break;
        case 'epoch':
          run.epochs = [...run.epochs.filter((e) => e.epoch !== event.epoch), event];
          break;
        case 'resumed':
          run.epochs = [...event.history];
          break;
        case 'stage':
          run.stages.push({ stage: event.stage, message: event.message });
          break;
        case 'fit':
          run.fit.push({ x: event.iteration, y: event.loss });
          break;
        case 'registered':
          run.registered = event.version;
          void this.refresh();
          break;
        case 'data':
          for (const w of event.warnings) run.messages.push(w);
          break;
        case 'earlyStop':
          run.messages.push(`Stopped early after epoch ${event.epoch}: no better ${event.metric} for ${event.patience} epochs (best: epoch ${event.bestEpoch}).`);
          break;
        case 'error':
          run.messages.push(event.message);
          break;
      }
    });
    onEvent('job.finished', ({ kind }) => {
      if (kind === 'train' || kind === 'train-head') void this.refresh();
    });
  }

  /** Starts showing a job this window just started. */
  follow(jobId: string, kind: LiveRun['kind'], label: string, extra: Pick<LiveRun, 'spec' | 'runId'> = {}): void {
    jobs.track(jobId, kind === 'head' ? 'train-head' : 'train', label, null);
    const run = this.runs[jobId];
    if (run) Object.assign(run, { kind, label, ...extra });
    else this.runs[jobId] = { ...this.emptyRun(jobId, kind, label), ...extra };
    this.currentId = jobId;
  }

  private emptyRun(jobId: string, kind: LiveRun['kind'], label: string): LiveRun {
    return { jobId, kind, label, device: null, stepLoss: [], epochs: [], stages: [], fit: [], registered: null, messages: [] };
  }

  async refresh(): Promise<void> {
    try {
      const [{ models, hiddenFixtures }, versions] = await Promise.all([call('models.list', {}), call('models.versions', {})]);
      this.models = models;
      this.hiddenFixtures = hiddenFixtures;
      this.versions = versions;
      this.loadError = null;
    } catch (err) {
      this.loadError = errorMessage(err);
    }
  }

  /** The freshest copy of a version (its status changes as the user activates / discards). */
  version(modelId: string, version: string): ModelVersion | null {
    return this.versions.find((l) => l.modelId === modelId)?.versions.find((v) => v.version === version) ?? null;
  }

  /** Runs a registry action, then refetches the registry; errors are shown, not thrown. */
  async act(action: () => Promise<unknown>): Promise<void> {
    this.busy = true;
    this.actionError = null;
    try {
      await action();
    } catch (err) {
      this.actionError = errorMessage(err);
    } finally {
      this.busy = false;
      await this.refresh();
    }
  }

  activate(modelId: string, version: string | null): Promise<void> {
    return this.act(() => call('models.activate', { modelId, version }));
  }

  rollback(modelId: string): Promise<void> {
    return this.act(() => call('models.rollback', { modelId }));
  }

  discard(modelId: string, version: string): Promise<void> {
    return this.act(() => call('models.discard', { modelId, version }));
  }

  /** Measures the version again against whatever is active now; the stored version is updated. */
  remeasure(modelId: string, version: string): Promise<void> {
    return this.act(() => call('models.compare', { modelId, version }));
  }
}

export const training = new TrainingState();
