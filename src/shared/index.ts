// Pure pixel code shared by the engine and the renderer (no Node, no DOM): the inspector's
// instant filters (issue 14, item 8) and the pixel helpers they build on.
export * from './pixels';
export * from './colormap';
export * from './histogram';
export * from './gradient';
export * from './levelSweep';
export * from './pca';
export * from './elaDisplay';
export * from './magnifier';
export * from './analysisFacts';
