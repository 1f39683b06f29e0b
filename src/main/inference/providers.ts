// Which onnxruntime execution providers to try, in which order. Availability comes from the
// installed onnxruntime-node build; whether a provider really works (a GPU adapter exists,
// drivers load) is only known when a session is created, see session.ts.
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

/** Fastest-first preference for this platform: GPU providers, then the CPU. */
function autoPreference(platform: NodeJS.Platform): ExecutionProviderName[] {
  const order: ExecutionProviderName[] = ['webgpu'];
  if (platform === 'win32') order.push('dml');
  if (platform === 'darwin') order.push('coreml');
  order.push('cpu');
  return order;
}

/**
 * The providers to try, in turn.
 * - 'auto' (default): webgpu → dml (Windows) → coreml (macOS) → cpu, keeping only those
 *   this build ships.
 * - a named provider with strict (default for a named provider): only that one, so a
 *   failure is reported instead of silently running somewhere slower.
 * - a named provider, strict false: that one first, then the auto order as fallback.
 */
export function providerOrder(
  requested: ProviderRequest = 'auto',
  options: { strict?: boolean; platform?: NodeJS.Platform; available?: ExecutionProviderName[] } = {},
): ExecutionProviderName[] {
  const available = options.available ?? availableProviders();
  const auto = autoPreference(options.platform ?? process.platform).filter((p) => p === 'cpu' || available.includes(p));
  if (requested === 'auto') return auto;
  const strict = options.strict ?? true;
  return strict ? [requested] : [requested, ...auto.filter((p) => p !== requested)];
}
