// electron-vite build configuration for the three Electron targets. The engine (src/main
// outside electron/) is bundled into the main process; native modules (sharp, onnxruntime-node,
// better-sqlite3) stay external and are unpacked from the asar by electron-builder (see
// package.json "build").
import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      outDir: resolve(root, 'out/main'),
      // Worker-thread entries, loaded beside index.js by src/main/workerThreads.ts: the prepare
      // pool (pipeline/preparePool.ts) and the inference host (inference/inferenceHost.ts).
      rollupOptions: {
        input: {
          index: resolve(root, 'src/main/electron/index.ts'),
          prepareWorker: resolve(root, 'src/main/pipeline/prepareWorker.ts'),
          inferenceWorker: resolve(root, 'src/main/inference/inferenceWorker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      externalizeDeps: true,
      outDir: resolve(root, 'out/preload'),
      rollupOptions: { input: { index: resolve(root, 'src/preload/index.ts') }, output: { format: 'cjs' } },
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    plugins: [svelte()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rollupOptions: { input: { index: resolve(root, 'src/renderer/index.html'), report: resolve(root, 'src/renderer/report.html') } },
    },
  },
});
