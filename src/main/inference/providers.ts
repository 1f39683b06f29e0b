// Which onnxruntime execution providers to try, in which order. Availability comes from the
// installed onnxruntime-node build; whether a provider really works (a GPU adapter exists,
// drivers load) is only known when a session is created, see session.ts.
import { existsSync, readdirSync } from 'node:fs';
import { listSupportedBackends } from 'onnxruntime-node';
import type { ExecutionProviderName } from '../../contract/evidence';
import { PROVIDER_CHOICES, type ProviderChoice } from '../../contract/settings';

export const PROVIDER_NAMES: readonly ExecutionProviderName[] = PROVIDER_CHOICES.filter((p): p is ExecutionProviderName => p !== 'auto');

/** 'auto' or a named provider; the configured one comes from config.provider. */
export type ProviderRequest = ProviderChoice;

export function isProviderRequest(value: string): value is ProviderRequest {
  return (PROVIDER_CHOICES as readonly string[]).includes(value);
}

/** Providers this onnxruntime-node build ships with (cpu always). */
export function availableProviders(): ExecutionProviderName[] {
  const bundled = new Set<string>(['cpu']);
  for (const backend of listSupportedBackends()) if (backend.bundled) bundled.add(backend.name);
  return PROVIDER_NAMES.filter((name) => bundled.has(name));
}

/**
 * Whether this machine shows a GPU at all. On Linux the GPU drivers expose device nodes (DRM
 * render nodes, NVIDIA's /dev/nvidia*, WSL's /dev/dxg); without one, WebGPU cannot find an
 * adapter, and probing for it only makes Dawn print "Couldn't load Vulkan" and
 * XDG_RUNTIME_DIR warnings on every command. Other platforms always have a graphics stack.
 */
export function gpuDevicePresent(platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== 'linux') return true;
  if (existsSync('/dev/dxg') || existsSync('/dev/nvidia0')) return true;
  try {
    return readdirSync('/dev/dri').some((name) => name.startsWith('renderD') || name.startsWith('card'));
  } catch {
    // No /dev/dri at all: no DRM device, so no GPU for WebGPU to find.
    return false;
  }
}

/** Fastest-first preference for this platform: GPU providers, then the CPU. */
function autoPreference(platform: NodeJS.Platform, gpu: boolean): ExecutionProviderName[] {
  // 'auto' asks for no GPU in particular: without a GPU device, do not probe for one.
  const order: ExecutionProviderName[] = gpu ? ['webgpu'] : [];
  if (platform === 'win32') order.push('dml');
  if (platform === 'darwin') order.push('coreml');
  order.push('cpu');
  return order;
}

/**
 * The providers to try, in turn.
 * - 'auto' (default): webgpu → dml (Windows) → coreml (macOS) → cpu, keeping only those
 *   this build ships; webgpu only when the machine has a GPU device (gpuDevicePresent).
 * - a named provider with strict (default for a named provider): only that one, so a
 *   failure is reported instead of silently running somewhere slower.
 * - a named provider, strict false: that one first, then the auto order as fallback.
 */
export function providerOrder(
  requested: ProviderRequest = 'auto',
  options: { strict?: boolean; platform?: NodeJS.Platform; available?: ExecutionProviderName[]; gpu?: boolean } = {},
): ExecutionProviderName[] {
  const available = options.available ?? availableProviders();
  const platform = options.platform ?? process.platform;
  const auto = autoPreference(platform, options.gpu ?? gpuDevicePresent(platform)).filter((p) => p === 'cpu' || available.includes(p));
  if (requested === 'auto') return auto;
  const strict = options.strict ?? true;
  return strict ? [requested] : [requested, ...auto.filter((p) => p !== requested)];
}
