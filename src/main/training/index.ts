// Public API of training: Python environment discovery, the Python training job, the
// in-process head training, the converters, and the registry of trained model versions.
export { findPython, installHint, describeProbes, pythonSettings, type FindPythonOptions } from './python';
export { confineRunFolder } from './runFolder';
export { runTrainingJob, measureAgainstBaseline, TrainingProgress, canonicalSha256, type RunTrainingOptions } from './trainingJob';
export { runTrainerProcess, runningTrainers, stopAllTrainers, parseTrainerLine, readTrainerLine, failureMessage, type TrainerLine, type TrainerExit, type TrainerProcessOptions, type RunningTrainer } from './trainerProcess';
export { convertCheckpoint, type ConvertOptions, type ConvertResult } from './convert';
export { trainHead, type HeadTrainingOptions, type HeadTrainingResult } from './headTraining';
export { checkParity, DEFAULT_PARITY_TOLERANCE } from './parity';
export { evaluateOnSplit, summarizeScores, type LabelledPath } from './evaluate';
export { prepareItems, itemsFromFolder, splitItems, dataHash, DataError, type DataSpec, type ResolvedItem } from './dataset';
export { fitLogistic, type LogisticFit, type LogisticOptions } from './logistic';
export { findHead, withHead, type OnnxHead } from './onnxHead';
export {
  registerVersion,
  getVersion,
  updateVersion,
  listModelVersions,
  activateVersion,
  rollbackVersion,
  discardVersion,
  loadVersionModel,
  activeModelDir,
  versionOf,
  modelRefOf,
  VersionError,
  type NewVersion,
} from './versions';
