/**
 * What the examples share: the instance and its first GPU (or a message that says what to do
 * when there is none), and a timer for their steps.
 *
 * @module
 */
import { skipRun } from "../cli/_args.ts";
import { Instance, type InstanceOptions, type PhysicalDevice } from "../mod.ts";

/** An instance and its first physical device; disposing it destroys the instance. */
export interface Gpu extends Disposable {
  /** The instance. */
  instance: Instance;
  /** Its first physical device. */
  pd: PhysicalDevice;
}

/**
 * Creates an instance named `applicationName` and takes its first physical device; skips (exit
 * 77, one line saying how to get one) when it has none.
 */
export function openGpu(applicationName: string, options: InstanceOptions = {}): Gpu {
  const instance = Instance.create({ applicationName, ...options });
  const pd = instance.physicalDevices()[0];
  if (!pd) {
    instance[Symbol.dispose]();
    skipRun("no Vulkan device: install a driver (`vkshare setup` installs Mesa's lavapipe)");
  }
  return { instance, pd, [Symbol.dispose]: () => instance[Symbol.dispose]() };
}

/** Runs `fn`, prints `what` and how long it took (ms), and returns what it returned. */
export function step<T>(what: string, fn: () => T, width = 58): T {
  const t0 = performance.now();
  const r = fn();
  console.log(`${what.padEnd(width)} ${(performance.now() - t0).toFixed(3).padStart(9)} ms`);
  return r;
}

/** One step of an exchange and how long it took. */
export interface TimedStep {
  /** What the step did. */
  name: string;
  /** Its wall time in ms. */
  ms: number;
}

/** A step runner that times each step, adds it to `steps` and logs "name: ms". */
export function stepRecorder(
  steps: TimedStep[],
  log: (line: string) => void,
): <T>(name: string, fn: () => T) => T {
  return (name, fn) => {
    const t0 = performance.now();
    const r = fn();
    const ms = performance.now() - t0;
    steps.push({ name, ms });
    log(`${name}: ${ms.toFixed(3)} ms`);
    return r;
  };
}
