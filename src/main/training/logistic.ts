// L2-regularised, class-balanced logistic regression fitted with L-BFGS: a convex problem, so
// from a zero start the result is deterministic and independent of any random seed. Sized for
// embeddings of a few thousand dimensions and a few thousand images, in well under a second
// per hundred iterations.

export interface LogisticOptions {
  /** Strength of (l2 / 2)·‖w‖² on standardised features; the bias is not penalised. Default 1e-3. */
  l2?: number;
  maxIterations?: number;
  /** Stop when the gradient's largest component falls below this. Default 1e-6. */
  tolerance?: number;
  /** Weigh each class by n / (2·n_class), so an unbalanced set does not teach "always the majority". Default true. */
  balanced?: boolean;
  onIteration?: (iteration: number, loss: number) => void;
}

export interface LogisticFit {
  /** Weights on the original (unstandardised) features. */
  weight: Float64Array;
  bias: number;
  loss: number;
  iterations: number;
  converged: boolean;
}

const HISTORY = 10;

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/**
 * Fits p(fake | x) = σ(w·x + b). Features are standardised internally (mean 0, std 1 on the
 * training set) so one step size suits every dimension, and the result is folded back onto
 * the raw features: what a Gemm in the ONNX graph computes directly.
 */
export function fitLogistic(features: ArrayLike<number>[], fake: boolean[], options: LogisticOptions = {}): LogisticFit {
  const n = features.length;
  if (n === 0 || n !== fake.length) throw new Error(`fitLogistic needs as many labels as feature rows (got ${n} rows, ${fake.length} labels)`);
  const d = features[0].length;
  const l2 = options.l2 ?? 1e-3;
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-6;

  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (const row of features) for (let j = 0; j < d; j++) mean[j] += row[j] / n;
  for (const row of features) for (let j = 0; j < d; j++) std[j] += (row[j] - mean[j]) ** 2 / n;
  // A constant feature carries nothing; a unit std keeps it harmless (its weight stays 0).
  for (let j = 0; j < d; j++) std[j] = std[j] > 1e-12 ? Math.sqrt(std[j]) : 1;
  const x = features.map((row) => {
    const z = new Float64Array(d);
    for (let j = 0; j < d; j++) z[j] = (row[j] - mean[j]) / std[j];
    return z;
  });

  const positives = fake.filter(Boolean).length;
  const balanced = options.balanced ?? true;
  const weightOf = (isFake: boolean) => {
    if (!balanced || positives === 0 || positives === n) return 1 / n;
    return 1 / (2 * (isFake ? positives : n - positives));
  };
  const sampleWeight = fake.map(weightOf);

  // Parameters θ = [w_0 .. w_{d-1}, b].
  const size = d + 1;
  const evaluate = (theta: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const z = dot(x[i], theta) + theta[d];
      const y = fake[i] ? 1 : 0;
      // BCE with logits: softplus(z) − y·z
      loss += sampleWeight[i] * (softplus(z) - y * z);
      const g = sampleWeight[i] * (1 / (1 + Math.exp(-z)) - y);
      const xi = x[i];
      for (let j = 0; j < d; j++) grad[j] += g * xi[j];
      grad[d] += g;
    }
    for (let j = 0; j < d; j++) {
      loss += 0.5 * l2 * theta[j] * theta[j];
      grad[j] += l2 * theta[j];
    }
    return loss;
  };

  let theta = new Float64Array(size);
  let grad = new Float64Array(size);
  let loss = evaluate(theta, grad);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  let iterations = 0;
  let converged = false;
  const maxAbs = (v: Float64Array) => v.reduce((m, a) => Math.max(m, Math.abs(a)), 0);

  while (iterations < maxIterations) {
    if (maxAbs(grad) < tolerance) {
      converged = true;
      break;
    }
    // Two-loop recursion: direction = −H·grad.
    const q = Float64Array.from(grad);
    const alpha: number[] = [];
    for (let k = s.length - 1; k >= 0; k--) {
      const a = dot(s[k], q) / dot(y[k], s[k]);
      alpha[k] = a;
      for (let j = 0; j < size; j++) q[j] -= a * y[k][j];
    }
    const gamma = s.length ? dot(s[s.length - 1], y[y.length - 1]) / dot(y[y.length - 1], y[y.length - 1]) : 1 / Math.max(1, maxAbs(grad));
    for (let j = 0; j < size; j++) q[j] *= gamma;
    for (let k = 0; k < s.length; k++) {
      const b = dot(y[k], q) / dot(y[k], s[k]);
      for (let j = 0; j < size; j++) q[j] += s[k][j] * (alpha[k] - b);
    }
    for (let j = 0; j < size; j++) q[j] = -q[j];
    let slope = dot(grad, q);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      s.length = 0;
      y.length = 0;
      for (let j = 0; j < size; j++) q[j] = -grad[j];
      slope = dot(grad, q);
    }
    // Backtracking line search with the Armijo condition.
    let step = 1;
    const next = new Float64Array(size);
    const nextGrad = new Float64Array(size);
    let nextLoss = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let j = 0; j < size; j++) next[j] = theta[j] + step * q[j];
      nextLoss = evaluate(next, nextGrad);
      if (nextLoss <= loss + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(nextLoss < loss)) {
      converged = true; // no further decrease possible at float precision
      break;
    }
    const sk = new Float64Array(size);
    const yk = new Float64Array(size);
    for (let j = 0; j < size; j++) {
      sk[j] = next[j] - theta[j];
      yk[j] = nextGrad[j] - grad[j];
    }
    if (dot(sk, yk) > 1e-12) {
      s.push(sk);
      y.push(yk);
      if (s.length > HISTORY) {
        s.shift();
        y.shift();
      }
    }
    const improvement = loss - nextLoss;
    theta = next;
    grad = nextGrad;
    loss = nextLoss;
    iterations += 1;
    options.onIteration?.(iterations, loss);
    if (improvement < 1e-12 * Math.max(1, Math.abs(loss))) {
      converged = true;
      break;
    }
  }

  // Fold the standardisation into the weights: w·((f − μ)/σ) + b = (w/σ)·f + (b − Σ w μ/σ).
  const weight = new Float64Array(d);
  let bias = theta[d];
  for (let j = 0; j < d; j++) {
    weight[j] = theta[j] / std[j];
    bias -= (theta[j] * mean[j]) / std[j];
  }
  return { weight, bias, loss, iterations, converged };
}
