/**
 * Fault injection for apply tests: a driver that refuses one chosen operation, as a kernel
 * would refuse a request; everything else goes through to the driver it wraps (a simulator, or
 * the live kernel, so that what a rollback does is real).
 */
import type { Driver, RunFiles } from "../src/drivers/driver.ts";
import { KernelError } from "../src/errors.ts";
import type { HostState } from "../src/model/state.ts";
import type { Operation } from "../src/model/operations.ts";

/** Refuses its `failAt`-th operation (counted from 0) with ENOBUFS. */
export class FailingDriver implements Driver {
  readonly name: string;
  readonly description: string;
  readonly runFiles?: RunFiles;
  #count = 0;
  constructor(readonly inner: Driver, readonly failAt: number) {
    this.name = inner.name;
    this.description = `${inner.description}, refusing operation ${failAt + 1}`;
    if (inner.runFiles) this.runFiles = inner.runFiles;
  }
  observe(): Promise<HostState> {
    return this.inner.observe();
  }
  execute(operation: Operation): Promise<void> {
    if (this.#count++ === this.failAt) {
      return Promise.reject(new KernelError("ENOBUFS", "Injected failure"));
    }
    return this.inner.execute(operation);
  }
  snapshot(): Promise<string> {
    return this.inner.snapshot();
  }
  clearInterruptedNamespace(name: string): Promise<boolean> {
    return this.inner.clearInterruptedNamespace?.(name) ?? Promise.resolve(false);
  }
  reload(): Promise<void> {
    return this.inner.reload?.() ?? Promise.resolve();
  }
  flush(): Promise<void> {
    return this.inner.flush?.() ?? Promise.resolve();
  }
  close(): void {
    this.inner.close?.();
  }
}
